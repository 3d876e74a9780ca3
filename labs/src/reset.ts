// Restoring a lab's starter: the learner edits `labs/NN-slug/starter/` in place, and git holds
// the pristine copy. Through zx, with a time limit and without throwing on a failed command.
import { relative } from 'node:path';
import { MilabError, repoRoot } from '@milab/core';
import { $ } from 'zx/core';
import type { Lab } from './manifest.js';

/** What {@link restoreStarter} did. */
export interface RestoreResult {
  /** The starter folder, relative to the repository root. */
  readonly path: string;
  /** Files that differed from the committed starter and were restored. */
  readonly restored: readonly string[];
}

const git = (timeoutMs: number) => $({ cwd: repoRoot(), timeout: timeoutMs, nothrow: true, quiet: true, verbose: false });

/** Restores `labs/NN-slug/starter/` to the committed version (tracked files; files you added are left alone). */
export async function restoreStarter(lab: Lab, timeoutMs = 15_000): Promise<RestoreResult> {
  const path = relative(repoRoot(), `${lab.dir}/starter`);
  const changed = await git(timeoutMs)`git diff --name-only HEAD -- ${path}`;
  if (changed.exitCode !== 0) {
    throw new MilabError(`Cannot restore ${path} from git: ${changed.stderr.trim() || `git exited with ${changed.exitCode}`}.`, {
      code: 'MILAB_RESET_FAILED',
      hint: 'The starter is restored from the git history: run milab from a git clone of the repository (with git installed), or download the lab folder again.',
      exitCode: 1,
    });
  }
  const restored = changed.stdout.split('\n').filter((line) => line.trim() !== '');
  if (restored.length > 0) {
    const checkout = await git(timeoutMs)`git checkout HEAD -- ${path}`;
    if (checkout.exitCode !== 0) {
      throw new MilabError(`Cannot restore ${path}: ${checkout.stderr.trim()}.`, {
        code: 'MILAB_RESET_FAILED',
        hint: `Restore it by hand: \`git checkout HEAD -- ${path}\`.`,
        exitCode: 1,
      });
    }
  }
  return { path, restored };
}
