// Runs the program and turns any thrown error into one clear message on stderr (what happened,
// what was expected, the next step) and an exit code. A stack trace only with MILAB_DEBUG=1.
import { inspect } from 'node:util';
import { CommanderError, type Command } from 'commander';
import { toMilabError } from '@milab/core';

/** Where runMain writes and what it reads; replaceable in tests. */
export interface RunIo {
  stderr: { write(text: string): unknown };
  env: Readonly<Record<string, string | undefined>>;
}

/** Makes commander throw instead of exiting, on every command (settings are not inherited after creation). */
function throwInsteadOfExit(command: Command): void {
  command.exitOverride();
  for (const sub of command.commands) throwInsteadOfExit(sub);
}

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

/**
 * When the reader of our output goes away (`milab emulator log | head`), stop quietly, as Unix
 * tools do, instead of dying on an unhandled EPIPE with a stack trace.
 */
export function exitQuietlyOnClosedPipe(stream: NodeJS.WriteStream, exit: (code: number) => void = (code) => process.exit(code)): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') exit(0);
    else throw error;
  });
}

/** Parses `argv` and runs the chosen command; sets `process.exitCode` on failure. */
export async function runMain(program: Command, argv: string[], io: RunIo = { stderr: process.stderr, env: process.env }): Promise<void> {
  exitQuietlyOnClosedPipe(process.stdout);
  throwInsteadOfExit(program);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed help, the version, or its usage error.
      process.exitCode = error.exitCode;
      return;
    }
    const { text, exitCode } = describeFailure(error, io.env.MILAB_DEBUG === '1');
    io.stderr.write(text);
    process.exitCode = exitCode;
  }
}
