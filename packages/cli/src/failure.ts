// The message and exit code for a failure: what happened, what was expected, the next step; a
// stack trace only when asked. Apart from run.ts, which loads it only when a command failed.
import { inspect } from 'node:util';
import { toMilabError } from '@milab/core';

/**
 * The message for a failure, and its exit code: a MilabError (or anything core can explain) prints
 * its message and hint; anything else is an unexpected failure.
 */
export function describeFailure(error: unknown, debug = false): { text: string; exitCode: number } {
  const known = toMilabError(error);
  const lines: string[] = [];
  let exitCode = 1;
  if (known) {
    lines.push(`milab: ${known.message}`);
    if (known.hint) lines.push(`  next step: ${known.hint}`);
    exitCode = known.exitCode ?? 1;
  } else {
    const message = error instanceof Error ? error.message : String(error);
    lines.push(`milab: unexpected error: ${message}`);
    lines.push('  next step: run it again with MILAB_DEBUG=1 to see the details, and report an issue if it persists.');
  }
  if (debug) lines.push('', inspect(error, { depth: 6 }));
  return { text: `${lines.join('\n')}\n`, exitCode };
}
