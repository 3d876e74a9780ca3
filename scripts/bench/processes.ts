// Whole processes, timed from spawn to exit: the CLI through its launcher or through
// `npx -y pnpm@12.4.2`, `node -e 0`, `az`. Output is kept (bounded) for failure messages only.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is scripts/bench/processes.ts). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The `milab` launcher as the CLI package declares it (package.json `bin.milab`), absolute. */
export function launcherPath(): string {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'packages', 'cli', 'package.json'), 'utf8')) as { bin?: Record<string, string> | string };
  const bin = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin?.milab;
  if (!bin) throw new Error('packages/cli/package.json declares no `milab` bin; the suite runs the CLI through it.');
  return join(ROOT, 'packages', 'cli', bin);
}

/**
 * The direct way to run the CLI: the repository's `./milab` script when there is one (as the
 * README runs it), otherwise node on the CLI package's bin. `label` says which, for the table.
 */
export function directLauncher(): { label: string; command: string; args: string[] } {
  const script = join(ROOT, 'milab');
  if (existsSync(script)) return { label: './milab', command: script, args: [] };
  return { label: `node ${relative(ROOT, launcherPath())}`, command: process.execPath, args: [launcherPath()] };
}

/** How the README runs pnpm. */
export const NPX_PNPM = ['npx', '-y', 'pnpm@12.4.2'] as const;

export interface ProcessRun {
  ms: number;
  code: number | null;
  /** The last few kilobytes of stdout and stderr together. */
  output: string;
}

/** Runs `command` with `args` to completion (killed after `timeoutMs`) and times it. */
export function runProcess(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<ProcessRun> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ ms: performance.now() - started, code, output });
    });
  });
}

/** Times `runs` runs of a command that must exit 0 (or with one of `okCodes`); throws with its output otherwise. */
export async function timeProcess(label: string, command: string, args: readonly string[], runs: number, options: { env?: NodeJS.ProcessEnv; okCodes?: readonly number[]; timeoutMs?: number } = {}): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const run = await runProcess(command, args, options);
    if (!(options.okCodes ?? [0]).includes(run.code ?? -1)) {
      throw new Error(`${label} exited with ${run.code ?? 'a signal'}:\n${run.output.trim().split('\n').slice(-8).join('\n')}`);
    }
    times.push(run.ms);
  }
  return times;
}

/**
 * The environment for a CLI process of the suite: this one's without the developer's milab and
 * Azure settings (so nothing reaches their emulator or a subscription), in `home`.
 */
export function cliEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(MILAB_|AZURE_|ARM_|MSI_|IDENTITY_)/.test(key) && key !== 'NODE_EXTRA_CA_CERTS') env[key] = value;
  }
  return { ...env, MILAB_HOME: home, ...extra };
}
