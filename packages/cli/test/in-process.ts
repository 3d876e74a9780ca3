// Runs learner commands in-process (the same definitions and error handling as the real entry
// point), capturing what they print and the exit code.
import { Command } from 'commander';
import { vi } from 'vitest';
import { registerGrade } from '../src/commands/grade.js';
import { registerHint } from '../src/commands/hint.js';
import { registerReset } from '../src/commands/reset.js';
import { registerSolve } from '../src/commands/solve.js';
import { registerStart } from '../src/commands/start.js';
import { registerStatus } from '../src/commands/status.js';
import { registerToken } from '../src/commands/token.js';
import { runMain } from '../src/run.js';

/** Runs one command in-process; reads process.env. */
export async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const program = new Command('milab');
  for (const register of [registerStart, registerStatus, registerGrade, registerHint, registerReset, registerSolve, registerToken]) register(program);
  return runProgram(program, args);
}

/** Runs `args` on `program` (the commands a test registered) in-process, as the real entry point would. */
export async function runProgram(program: Command, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const log = vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => {
    stdout += `${parts.join(' ')}\n`;
  });
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  process.exitCode = 0;
  try {
    await runMain(program, ['node', 'milab', ...args], { stderr: { write: (text: string) => (stderr += text) }, env: process.env });
  } finally {
    log.mockRestore();
    out.mockRestore();
    err.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, stdout, stderr };
}
