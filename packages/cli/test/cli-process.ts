// The end-to-end class tests' way to run things in a child process, as a learner or an
// instructor would: `./milab …` (the launcher, which runs the CLI's bundle), or a lab program with
// node and tsx — with a clean environment (support.ts's cleanEnv), from the repository root.
// Their runs are long (a class provision, a 30-learner grade): a generous time limit and output
// buffer, and a step that fails says which step, how it ended and its last lines.
import { milab as run, runProcess as runNode, type CliResult, type ProcessOptions } from './support.js';

export type { ProcessOptions };

const DEFAULT_TIMEOUT_MS = 300_000;

/** support.ts's runProcess (`node <args>`), with these tests' longer default time limit (5 min). */
export function runProcess(args: readonly string[], env: Record<string, string>, options: ProcessOptions = {}): Promise<CliResult> {
  return runNode(args, env, { timeoutMs: DEFAULT_TIMEOUT_MS, ...options });
}

/** support.ts's milab (`./milab <args>`, the launcher, as the README does), with the 5-min default. */
export function milab(args: readonly string[], env: Record<string, string>, options: ProcessOptions = {}): Promise<CliResult> {
  return run(args, env, { timeoutMs: DEFAULT_TIMEOUT_MS, ...options });
}

/** Runs a lab program (a path from the repository root) as a learner does: node with tsx, from source. */
export function labProgram(file: string, env: Record<string, string>, options: ProcessOptions = {}): Promise<CliResult> {
  return runProcess(['--conditions=source', '--import', 'tsx', file], env, options);
}

/**
 * `./milab <args>` as one step of a scenario: fails with the step, the command, its exit code and
 * its last lines when it did not exit with one of `codes`.
 */
export async function step(what: string, args: readonly string[], env: Record<string, string>, codes: readonly number[] = [0]): Promise<CliResult> {
  const result = await milab(args, env);
  if (!codes.includes(result.code)) {
    throw new Error(`step "${what}" (./milab ${args.join(' ')}) exited ${result.code}:\n${`${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-15).join('\n')}`);
  }
  return result;
}
