#!/usr/bin/env node
// The `milab` command: runs the CLI bundled as plain JavaScript (no tsx at start-up), rebuilding the
// bundle first when one of its inputs changed. `./milab …` (the launcher at the repository root)
// and `pnpm milab …` (the root package depends on @milab/cli, whose bin this is: pnpm prints no
// command line and no ELIFECYCLE, and the exit code is milab's) both run this file.
//
// The bundle lives in <repo>/node_modules/.cache/milab-cli (or $MILAB_CLI_CACHE); fresh.mjs says
// whether it is current (one small read and a stat per input); esbuild is loaded only to rebuild.
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildProblems, entryOf, freshBuild } from './fresh.mjs';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const cacheDir = process.env.MILAB_CLI_CACHE?.trim() || join(repo, 'node_modules', '.cache', 'milab-cli');

/** Prints why the bundle could not be built (esbuild's messages name the file and line) and exits 2. */
function buildFailed(error) {
  const lines = ['milab: could not build the milab command from its sources:', ...buildProblems(error).map((line) => `  ${line}`)];
  lines.push('  next step: fix the file named above (or undo your change there), then run the command again.');
  process.stderr.write(`${lines.join('\n')}\n`);
  process.exit(2);
}

let record = freshBuild(cacheDir);
if (!record) {
  const { buildBundle } = await import('./build.mjs');
  record = await buildBundle(repo, cacheDir, 'cli').catch(buildFailed);
}
if (process.env.MILAB_DEBUG === '1') process.setSourceMapsEnabled(true);
// Tells the bundle that nothing compiles TypeScript in this process (see src/typescript.ts).
globalThis[Symbol.for('milab.cli.bundled')] = true;
await import(pathToFileURL(entryOf(cacheDir, record)).href);
