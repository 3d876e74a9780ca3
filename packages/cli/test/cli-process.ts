// The end-to-end class tests' way to run things in a child process, as a learner or an
// instructor would: `./milab …` (the launcher, which runs the CLI's bundle), or a lab program with
// node and tsx — with a clean environment (support.ts's cleanEnv), from the repository root.
// Their runs are long (a class provision, a 30-learner grade): a generous time limit and output
// buffer, and a step that fails says which step, how it ended and its last lines.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { cleanEnv, repo, type CliResult } from './support.js';

/** Options of {@link runProcess}. */
export interface ProcessOptions {
  /** How long the child may run before it is stopped (default 5 min). */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 300_000;

/**
 * Runs `node <args>` from the repository root with `cleanEnv(env)`. A child stopped at its time
 * limit (or by a signal) exits 1, and its stderr ends with a line saying so: a step that timed out
 * reads as that, not as a failure of its own.
 */
export function runProcess(args: readonly string[], env: Record<string, string>, options: ProcessOptions = {}): Promise<CliResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve) => {
    execFile(process.execPath, [...args], { cwd: repo, env: cleanEnv(env), timeout: timeoutMs, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (!error) return resolve({ code: 0, stdout, stderr });
      if (typeof error.code === 'number') return resolve({ code: error.code, stdout, stderr });
      const how = error.killed ? `stopped by the test at its time limit (${timeoutMs / 1000} s), ${error.signal ?? 'killed'}` : `did not run to an exit code (${error.signal ?? error.message})`;
      resolve({ code: 1, stdout, stderr: `${stderr}${stderr.endsWith('\n') || stderr === '' ? '' : '\n'}[${how}]\n` });
    });
  });
}

/** Runs `./milab <args>` (the launcher, as the README does) in a child process. */
export function milab(args: readonly string[], env: Record<string, string>, options: ProcessOptions = {}): Promise<CliResult> {
  return runProcess([join(repo, 'packages/cli/bin/milab.mjs'), ...args], env, options);
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
