// Running lab programs: `runLab` is the last line of every starter and solution (it runs `main`
// when the file is the process entry, and does nothing when a test or the CLI imports it);
// `runLabProgram` starts one as a child process, the way a learner runs it, contained (a time
// limit, capped output, its process tree gone after) and without throwing on failure.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { repoRoot, toMilabError } from '@milab/core';
import { runContained } from './contained.js';
import { createLabContext, TodoError, type LabMain } from './context.js';
import { labOfFile, type Lab } from './manifest.js';

/** Whether the module at `moduleUrl` is the process entry (`node … file.ts`), not imported by a test or the CLI. */
export function isMainModule(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

/** The text and exit code for a lab program's failure (what happened, the next step). */
export function describeLabFailure(error: unknown, lab: Lab | undefined): { text: string; exitCode: number } {
  const where = lab ? `lab ${lab.id}` : 'the lab';
  if (error instanceof TodoError) {
    return { text: `${where}: ${error.message}\n  next step: complete it in the starter, or ask for a hint: \`./milab hint ${lab?.id ?? 'NN'}\`.\n`, exitCode: 1 };
  }
  const known = toMilabError(error);
  if (known) {
    const hint = known.hint ? `\n  next step: ${known.hint}` : '';
    return { text: `${where}: ${known.message}${hint}\n`, exitCode: known.exitCode ?? 1 };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { text: `${where}: unexpected error: ${message}\n  next step: run it again with MILAB_DEBUG=1 for the details.\n`, exitCode: 1 };
}

/**
 * Runs `main` when the calling module is the process entry (`node … labs/01-…/starter/index.ts`):
 * builds the context for the lab the file belongs to, as the learner, and reports the outcome.
 */
export async function runLab(moduleUrl: string, main: LabMain): Promise<void> {
  if (!isMainModule(moduleUrl)) return;
  const file = fileURLToPath(moduleUrl);
  const lab = labOfFile(file);
  try {
    if (!lab) throw new Error(`${file} is not inside a lab folder (labs/NN-slug/).`);
    const ctx = await createLabContext(lab);
    await main(ctx);
    console.log(`lab ${lab.id}: done. Check your work: ./milab grade ${lab.id}`);
  } catch (error) {
    const { text, exitCode } = describeLabFailure(error, lab);
    process.stderr.write(text);
    if (process.env.MILAB_DEBUG === '1') console.error(error);
    process.exitCode = exitCode;
  }
}

/** The outcome of {@link runLabProgram}. */
export interface LabProgramResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** Whether the time limit stopped it. */
  timedOut: boolean;
  /** The stream that went past its cap (1 MiB; the program was then killed). */
  overflow?: 'stdout' | 'stderr';
}

/** Options of {@link runLabProgram}. */
export interface RunLabProgramOptions {
  env?: NodeJS.ProcessEnv;
  /** Default 120 s. */
  timeoutMs?: number;
}

/** Starts a lab's starter or solution in a child process with Node and tsx, from the repository root. */
export async function runLabProgram(lab: Lab, kind: 'starter' | 'solution', options: RunLabProgramOptions = {}): Promise<LabProgramResult> {
  const file = kind === 'starter' ? lab.starter : lab.solution;
  const run = await runContained(process.execPath, ['--conditions=source', '--import', 'tsx', file], {
    cwd: repoRoot(),
    env: options.env ?? process.env,
    timeoutMs: options.timeoutMs ?? 120_000,
  });
  return {
    exitCode: run.exitCode,
    stdout: run.stdout,
    stderr: run.stderr,
    timedOut: run.timedOut,
    ...(run.overflow && run.overflow !== 'result' ? { overflow: run.overflow } : {}),
  };
}
