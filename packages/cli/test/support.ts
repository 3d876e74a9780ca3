// Runs the real `milab` CLI in a child process, the way `./milab` and `pnpm milab` do, with a clean
// environment: a temporary MILAB_HOME, and no AZURE_* / MILAB_* / proxy variables from outside.
import { execFile } from 'node:child_process';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(AZURE_|MILAB_|IDENTITY_|MSI_|IMDS_)|_proxy$/i.test(name)) continue;
    env[name] = value;
  }
  // Never the real IMDS from a test: point at a closed port unless the test gives one.
  return { AZURE_POD_IDENTITY_AUTHORITY_HOST: 'http://127.0.0.1:9', ...env, ...extra };
}

/** Options of {@link runProcess}. */
export interface ProcessOptions {
  /** How long the child may run before it is stopped (default 60 s). */
  timeoutMs?: number;
}

/**
 * Runs `node <args>` from the repository root with `cleanEnv(env)`. A child stopped at its time
 * limit (or by a signal) exits 1, and its stderr ends with a line saying so: a step that timed out
 * reads as that, not as a failure of its own.
 */
export function runProcess(args: readonly string[], env: Record<string, string>, options: ProcessOptions = {}): Promise<CliResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve) => {
    execFile(process.execPath, [...args], { cwd: repo, env: cleanEnv(env), timeout: timeoutMs, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (!error) return resolve({ code: 0, stdout, stderr });
      if (typeof error.code === 'number') return resolve({ code: error.code, stdout, stderr });
      const how = error.killed ? `stopped by the test at its time limit (${timeoutMs / 1000} s), ${error.signal ?? 'killed'}` : `did not run to an exit code (${error.signal ?? error.message})`;
      resolve({ code: 1, stdout, stderr: `${stderr}${stderr.endsWith('\n') || stderr === '' ? '' : '\n'}[${how}]\n` });
    });
  });
}

/** Runs `./milab <args>` in a child process: the launcher, as `./milab` and `pnpm milab` run it (the bundle, rebuilt if a source changed). */
export function milab(args: readonly string[], env: Record<string, string>, options: ProcessOptions = {}): Promise<CliResult> {
  return runProcess([join(repo, 'packages/cli/bin/milab.mjs'), ...args], env, options);
}

/** A one-route IMDS look-alike on 127.0.0.1; `answer` decides each response. */
export async function fakeImds(answer: (url: URL, headers: Record<string, unknown>, res: ServerResponse) => void) {
  const seen: URL[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    seen.push(url);
    answer(url, req.headers, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** An unsigned JWT built at test time (no token-like text is stored in the repository). */
export function makeJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ typ: 'JWT', alg: 'RS256' })}.${part(claims)}.${Buffer.from(`sig-${Math.random()}`).toString('base64url')}`;
}

/** `export NAME='value'` lines (what `emulator env`, `vm env`, `class env` print) as a POSIX shell reads them. */
export function parseExports(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^export ([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let value = m[2]!;
    if (/^'.*'$/.test(value)) value = value.slice(1, -1).replace(/'\\''/g, "'");
    else if (/^".*"$/.test(value)) value = value.slice(1, -1);
    vars[m[1]!] = value;
  }
  return vars;
}

