// Starting and stopping an emulator in the background: spawn the emulator process (bin.ts) detached,
// wait for its connection.json; stop it with SIGTERM and wait until it is gone. Used by the CLI and
// tests.
//
// From source (this repository, as learners run it), the process runs bin.ts bundled into plain
// JavaScript, built by the repository's bundler (packages/cli/bin/build.mjs, as the `milab` command
// itself is) and rebuilt when one of its sources changed: no tsx at run time, whose start-up and
// per-function helpers every request would pay. The bundle lives in
// <repo>/node_modules/.cache/milab-emulator (or $MILAB_EMULATOR_CACHE).
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { repoRoot } from './config.js';
import { isProcessAlive, readConnection, type EmulatorConnection } from './connection.js';

/** The emulator process's own log (stdout/stderr of a detached emulator). */
export const PROCESS_LOG_FILE = 'emulator.log';

const FROM_SOURCE = import.meta.url.endsWith('.ts');

/** Absolute path of the emulator's entry in this package: bin.ts from source, bin.js when built. */
export function binPath(): string {
  return join(dirname(fileURLToPath(import.meta.url)), FROM_SOURCE ? 'bin.ts' : 'bin.js');
}

/** The environment variable naming the folder of the emulator's bundle (tests give each run its own). */
export const EMULATOR_CACHE_ENV = 'MILAB_EMULATOR_CACHE';

/** Where the emulator's bundle is kept: `$MILAB_EMULATOR_CACHE`, else `<repo>/node_modules/.cache/milab-emulator`. */
export function emulatorCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env[EMULATOR_CACHE_ENV]?.trim() || join(repoRoot(), 'node_modules', '.cache', 'milab-emulator');
}

/** The part of packages/cli/bin/fresh.mjs the launcher uses (plain JavaScript, shared with `milab`). */
interface BundleBuilds {
  currentBuild(repo: string, cacheDir: string, program: 'emulator'): Promise<{ dir: string; entry?: string }>;
  entryOf(cacheDir: string, record: { dir: string; entry?: string }): string;
  buildProblems(error: unknown): string[];
}

/** One build at a time per cache in this process: emulators started together (tests) share it. */
const building = new Map<string, Promise<string>>();

/**
 * The emulator's bundled entry in `cacheDir`, built first when it is missing or older than a
 * source. A source that does not compile is a {@link LaunchError} whose `problems` name the file
 * and line.
 */
async function bundledEntry(cacheDir: string): Promise<string> {
  const repo = repoRoot();
  const builds = (await import(pathToFileURL(join(repo, 'packages', 'cli', 'bin', 'fresh.mjs')).href)) as BundleBuilds;
  try {
    return builds.entryOf(cacheDir, await builds.currentBuild(repo, cacheDir, 'emulator'));
  } catch (error) {
    const problems = builds.buildProblems(error);
    const message = ['the emulator could not be built from its sources:', ...problems.map((line) => `  ${line}`), '  next step: fix the file named above (or undo your change there), then start the emulator again'].join('\n');
    throw new LaunchError(message, '', undefined, problems);
  }
}

/** The node arguments that run the emulator process: its bundle from source, bin.js when this package is built. */
export async function emulatorProcessArgs(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  if (!FROM_SOURCE) return [binPath()];
  const cacheDir = emulatorCacheDir(env);
  let entry = building.get(cacheDir);
  if (!entry) {
    entry = bundledEntry(cacheDir).finally(() => building.delete(cacheDir));
    building.set(cacheDir, entry);
  }
  // MILAB_DEBUG=1 (as for `milab` itself): stack traces in emulator.log name the TypeScript
  // sources instead of the bundle's lines, for the price of reading the source map at every start.
  return [...(env.MILAB_DEBUG === '1' ? ['--enable-source-maps'] : []), await entry];
}

export interface DetachOptions {
  stateDir: string;
  port?: number;
  rbacDelaySeconds?: number;
  pageSize?: number;
  /** Profile flags passed on to the emulator process (`--latency`, `--throttle`, …). */
  profile?: { latency?: string; throttle?: string; imdsFaults?: string; imdsLimits?: string };
  /** How long to wait for connection.json (default 15 s). */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export class LaunchError extends Error {
  override readonly name = 'LaunchError';
  constructor(
    message: string,
    /** The last lines this start wrote to emulator.log (never an earlier run's). */
    readonly logTail: string,
    /**
     * The emulator's exit code, when it exited: 2 when it refused to start (another emulator
     * serves the state directory, or a state file is corrupt: the tail says which).
     */
    readonly exitCode?: number | null,
    /** When the emulator's sources do not compile (nothing was started): each problem with its file and line. */
    readonly problems?: readonly string[],
  ) {
    super(message);
  }
}

/** The last `lines` lines of `file` written after byte `from` (where this start's output begins). */
function tail(file: string, from: number, lines = 10): string {
  try {
    const text = readFileSync(file).subarray(from).toString('utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Spawns the emulator detached and resolves with its connection once it is serving. */
export async function startDetached(options: DetachOptions): Promise<EmulatorConnection> {
  const env = options.env ?? process.env;
  // Before anything is opened: a build that fails leaves no trace in the state directory.
  const processArgs = await emulatorProcessArgs(env);
  mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
  const logFile = join(options.stateDir, PROCESS_LOG_FILE);
  // Appended to by every run: this start's lines begin at the current end.
  const logStart = sizeOf(logFile);
  const out = openSync(logFile, 'a', 0o600);
  const args = [...processArgs, '--state-dir', options.stateDir];
  if (options.port !== undefined) args.push('--port', String(options.port));
  if (options.rbacDelaySeconds !== undefined) args.push('--rbac-delay', String(options.rbacDelaySeconds));
  if (options.pageSize !== undefined) args.push('--page-size', String(options.pageSize));
  const profileArgs = { latency: options.profile?.latency, throttle: options.profile?.throttle, 'imds-faults': options.profile?.imdsFaults, 'imds-limits': options.profile?.imdsLimits };
  for (const [flag, value] of Object.entries(profileArgs)) if (value !== undefined) args.push(`--${flag}`, value);
  const child = spawn(process.execPath, args, {
    cwd: repoRoot(),
    detached: true,
    stdio: ['ignore', out, out],
    env,
  });
  closeSync(out);
  const pid = child.pid;
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  child.unref();
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  while (Date.now() < deadline) {
    const connection = readConnection(options.stateDir);
    if (connection && connection.pid === pid) return connection;
    if (exited !== undefined) {
      throw new LaunchError(`the emulator exited with code ${exited} before it was serving`, tail(logFile, logStart), exited);
    }
    await sleep(15);
  }
  if (pid !== undefined && isProcessAlive(pid)) process.kill(pid, 'SIGTERM');
  throw new LaunchError(`the emulator did not start serving within ${(options.timeoutMs ?? 15_000) / 1000} s`, tail(logFile, logStart));
}

/**
 * Stops the emulator serving `stateDir` (SIGTERM, then SIGKILL after `timeoutMs`).
 * Returns the connection it stopped, or undefined if none was running.
 */
export async function stopEmulator(stateDir: string, timeoutMs = 5_000): Promise<EmulatorConnection | undefined> {
  const connection = readConnection(stateDir);
  if (!connection) return undefined;
  process.kill(connection.pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isProcessAlive(connection.pid)) return connection;
    await sleep(20);
  }
  process.kill(connection.pid, 'SIGKILL');
  return connection;
}
