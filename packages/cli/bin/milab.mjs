#!/usr/bin/env node
// The `milab` command: runs the CLI bundled as plain JavaScript (no tsx at start-up), rebuilding the
// bundle first when one of its inputs changed. `./milab …` (the launcher at the repository root)
// and `pnpm milab …` (the root package depends on @milab/cli, whose bin this is: pnpm prints no
// command line and no ELIFECYCLE, and the exit code is milab's) both run this file.
//
// The bundle lives in <repo>/node_modules/.cache/milab-cli (or $MILAB_CLI_CACHE); current.json
// there names the build folder and lists every file the build read with the time it started. The
// check costs one small read and a stat per input; esbuild is loaded only to rebuild (build.mjs).
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const cacheDir = process.env.MILAB_CLI_CACHE?.trim() || join(repo, 'node_modules', '.cache', 'milab-cli');

/**
 * Filesystems that keep mtimes in whole seconds would let an edit made just after a build started
 * look older than it: anything changed up to this long before the build's start also rebuilds.
 */
const MTIME_SLACK_MS = 1000;

/** The current build's record when every input is older than it, else undefined. */
function freshBuild() {
  let record;
  try {
    record = JSON.parse(readFileSync(join(cacheDir, 'current.json'), 'utf8'));
  } catch {
    return undefined; // never built, or unreadable: build again
  }
  if (!record || typeof record.dir !== 'string' || !Array.isArray(record.inputs)) return undefined;
  for (const file of record.inputs) {
    try {
      if (statSync(file).mtimeMs > record.builtAt - MTIME_SLACK_MS) return undefined;
    } catch {
      return undefined; // an input was removed
    }
  }
  return record;
}

/** Prints why the bundle could not be built (esbuild's messages name the file and line) and exits 2. */
function buildFailed(error) {
  const lines = ['milab: could not build the milab command from its sources:'];
  const messages = Array.isArray(error?.errors) && error.errors.length > 0 ? error.errors : [{ text: error instanceof Error ? error.message : String(error) }];
  for (const { text, location } of messages) lines.push(`  ${location ? `${location.file}:${location.line}:${location.column + 1}: ` : ''}${text}`);
  lines.push('  next step: fix the file named above (or undo your change there), then run the command again.');
  process.stderr.write(`${lines.join('\n')}\n`);
  process.exit(2);
}

let record = freshBuild();
if (!record) {
  const { buildBundle } = await import('./build.mjs');
  record = await buildBundle(repo, cacheDir).catch(buildFailed);
}
if (process.env.MILAB_DEBUG === '1') process.setSourceMapsEnabled(true);
// Tells the bundle that nothing compiles TypeScript in this process (see src/typescript.ts).
globalThis[Symbol.for('milab.cli.bundled')] = true;
await import(pathToFileURL(join(cacheDir, record.dir, 'main.js')).href);
