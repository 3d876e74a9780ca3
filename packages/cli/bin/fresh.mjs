// Whether a program's JavaScript bundle is current, and building it when it is not: shared by the
// `milab` launcher (milab.mjs, the CLI) and the emulator's launcher (packages/emulator/src/
// launcher.ts, the emulator process), so that neither runs TypeScript through tsx at run time.
//
// A program's cache folder holds current.json: the build folder, the file to run in it, and every
// file the build read with the time it started. The check costs one small read and a stat per
// input; esbuild is loaded only to rebuild (build.mjs).
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Filesystems that keep mtimes in whole seconds would let an edit made just after a build started
 * look older than it: anything changed up to this long before the build's start also rebuilds.
 */
const MTIME_SLACK_MS = 1000;

/** The current build's record in `cacheDir` when every input is older than it, else undefined. */
export function freshBuild(cacheDir) {
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

/** The file to run of a build `record` in `cacheDir` (records written before `entry` existed ran main.js). */
export function entryOf(cacheDir, record) {
  return join(cacheDir, record.dir, typeof record.entry === 'string' ? record.entry : 'main.js');
}

/**
 * The current build of `program` ('cli' or 'emulator', see build.mjs) in `cacheDir`, built first
 * when there is none or an input changed. Rejects with esbuild's error when a source does not
 * compile: {@link buildProblems} words it.
 */
export async function currentBuild(repo, cacheDir, program) {
  const fresh = freshBuild(cacheDir);
  if (fresh) return fresh;
  const { buildBundle } = await import('./build.mjs');
  return buildBundle(repo, cacheDir, program);
}

/** The lines saying why a build failed: esbuild's messages, each with its file and line when it has one. */
export function buildProblems(error) {
  const messages = Array.isArray(error?.errors) && error.errors.length > 0 ? error.errors : [{ text: error instanceof Error ? error.message : String(error) }];
  return messages.map(({ text, location }) => `${location ? `${location.file}:${location.line}:${location.column + 1}: ` : ''}${text}`);
}
