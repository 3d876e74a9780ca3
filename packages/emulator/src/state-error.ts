// A state file the emulator will not start on: unreadable, not JSON, of the wrong shape, or a
// key or certificate that does not parse. The file is never replaced behind the user's back
// (that is how a world of 668 identities once became a fresh seed): the start stops, names the
// file, says what is wrong, and gives the two ways out.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { z } from 'zod';

/** Why the emulator refuses to start on `file`. Exit code 2 in bin.ts and the CLI. */
export class StateFileError extends Error {
  override readonly name = 'StateFileError';
  readonly code = 'StateFileCorrupt';
  /** What is wrong, naming the file: `the state file … is not usable: …. It was left as it is.` */
  readonly summary: string;
  /** The two ways out: reset to start over, or move the file aside to keep it. */
  readonly waysOut: string;

  constructor(
    /** Absolute path of the file. */
    readonly file: string,
    /** What is wrong with it, e.g. `resources./subscriptions/…: expected object, received null`. */
    readonly problem: string,
  ) {
    const summary = `the state file ${file} is not usable: ${problem}. It was left as it is`;
    const name = basename(file);
    // A world.json from before world.mdb is not made again: without it, a new world is seeded in world.mdb.
    const remade = name === 'world.json' ? 'a new world is seeded (in world.mdb)' : `a new ${name} is made`;
    const waysOut =
      `To start over, run \`./milab emulator reset\` (it puts ${name} aside as ${name}.corrupt; ${remade}); ` +
      `to keep it, move it aside (e.g. \`mv ${file} ${file}.broken\`) and start again: ${remade}`;
    super(`${summary}. ${waysOut}.`);
    this.summary = summary;
    this.waysOut = waysOut;
  }
}

/**
 * The text of `file`, or undefined when it does not exist (a first start creates it).
 * Any other read failure (a directory, no permission) is a StateFileError.
 */
export function readStateText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new StateFileError(file, `it could not be read (${code ?? (error as Error).message})`);
  }
}

/** zod's issues as one line: `path: message; path: message` (at most three, then a count). */
export function describeIssues(error: z.ZodError): string {
  const shown = error.issues.slice(0, 3).map((issue) => {
    const path = issue.path.map(String).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  const more = error.issues.length - shown.length;
  return `${shown.join('; ')}${more > 0 ? ` (and ${more} more problem${more === 1 ? '' : 's'})` : ''}`;
}

/** The JSON in `file` checked against `schema`, or undefined when the file does not exist. */
export function readJsonStateFile<T>(file: string, schema: z.ZodType<T>): T | undefined {
  const text = readStateText(file);
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new StateFileError(file, `it is not valid JSON (${(error as Error).message})`);
  }
  const result = schema.safeParse(value);
  if (!result.success) throw new StateFileError(file, describeIssues(result.error));
  return result.data;
}
