// Running learner code so that it cannot outlive, flood or hang whoever runs it (the graders of
// labs 04-05, `milab solve`, the self-check). The program runs in its own session and process
// group, with a marker variable in its environment; when it ends — normally, by its time limit,
// by an abort, or because it printed too much — every process of its tree is killed: the group,
// every process carrying the marker (found through /proc/<pid>/environ: this follows a detached
// grandchild, which makes its own group and session, and an orphan, whose parent pid is lost),
// and every descendant seen while it ran (a ppid walk of /proc, for one that cleared its
// environment). SIGTERM first; SIGKILL after a short grace. Its stdout and stderr are collected up
// to a cap each; past it, collection stops and the program is killed. If this process itself
// exits or is interrupted (Ctrl-C) meanwhile, the trees still running are killed first.
// With `startupTimeoutMs`, the time limit counts from when the program says it is loaded
// (markReady: a line on the result channel), not from its start: a slow machine's start-up of
// Node, tsx and the modules is not charged to the code it then runs; the start-up has its own limit.
// Linux gives the /proc walks; elsewhere only the process group is killed.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, writeSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

/** Most bytes collected from each of stdout and stderr (and from the result channel, times 4). */
export const MAX_OUTPUT_BYTES = 1 << 20;
/** How long a program has to end after SIGTERM before it gets SIGKILL. */
export const KILL_GRACE_MS = 2_000;
/** The variable every process of a contained run carries (its value: the run's id). */
export const RUN_MARKER_ENV = 'MILAB_CONTAINED_RUN';
/** The line markReady writes on the result channel (taken out of `result`). */
export const READY_LINE = 'milab-contained:ready';
/** The file descriptor of the result channel (`resultChannel`). */
const RESULT_CHANNEL_FD = 3;

/** Options of {@link runContained}. */
export interface ContainedOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** Ends the run (and its tree) when aborted. */
  signal?: AbortSignal;
  /** Most bytes kept of stdout and of stderr (default {@link MAX_OUTPUT_BYTES}). */
  maxOutputBytes?: number;
  /** Also copy the output to this process's stdout and stderr as it comes. */
  stream?: boolean;
  /** Called with each piece of stdout and stderr as it comes (within the cap). */
  onOutput?: (text: string, stream: 'stdout' | 'stderr') => void;
  /** Open file descriptor 3 as a channel for a result the program writes there (see `result`). */
  resultChannel?: boolean;
  /**
   * With `resultChannel`: the time limit until the program calls {@link markReady}; `timeoutMs`
   * then counts from that moment instead of from the start (default: from the start, no mark).
   */
  startupTimeoutMs?: number;
}

/** How a contained run ended. */
export interface ContainedResult {
  exitCode: number | null;
  /** The signal that ended the program, if any. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** What the program wrote to file descriptor 3, with `resultChannel`. */
  result?: string;
  /** Whether the time limit stopped it (the start-up's, with `startupTimeoutMs`, or the run's). */
  timedOut: boolean;
  /** Which limit stopped it: `startup` (no mark within `startupTimeoutMs`) or `run` (`timeoutMs`). */
  timedOutIn?: 'startup' | 'run';
  /** Milliseconds from the start to the program's mark (with `startupTimeoutMs`; absent: no mark). */
  readyAfterMs?: number;
  /** Milliseconds from the start to the program's end. */
  durationMs: number;
  /** Whether the caller's signal stopped it. */
  aborted: boolean;
  /** The stream that went past the cap (the program was then killed). */
  overflow?: 'stdout' | 'stderr' | 'result';
  /** Whether SIGTERM was not enough and it took SIGKILL. */
  killedAfterGrace: boolean;
  /** Processes of its tree still there after the program ended (they were killed). */
  leftBehind: number;
}

interface Proc {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  start: string;
}

const PROC = '/proc';
const hasProc = (() => {
  try {
    readFileSync(`${PROC}/self/stat`);
    return true;
  } catch {
    return false;
  }
})();

/** Every live process (no zombies), from /proc/<pid>/stat; empty where there is no /proc. */
function processes(): Proc[] {
  if (!hasProc) return [];
  const out: Proc[] = [];
  for (const name of readdirSync(PROC)) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`${PROC}/${name}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: the fields start after the last ')'.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (f[0] === 'Z' || f[0] === 'X') continue;
      out.push({ pid: Number(name), ppid: Number(f[1]), pgid: Number(f[2]), sid: Number(f[3]), start: f[19] ?? '' });
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

function carriesMarker(pid: number, marker: string): boolean {
  try {
    return readFileSync(`${PROC}/${pid}/environ`, 'latin1').split('\0').includes(marker);
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

/** One run's tree: what to kill, found again at every sweep. */
class Tree {
  /** Descendants seen while the program ran, by pid with their start time (a reused pid is not theirs). */
  readonly #seen = new Map<number, string>();
  constructor(
    readonly root: number,
    readonly marker: string,
  ) {}

  /** Remembers the descendants of the root and of those seen before (a ppid walk). */
  track(all: Proc[] = processes()): void {
    const children = new Map<number, Proc[]>();
    for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
    const queue = [this.root, ...this.#seen.keys()];
    for (let pid = queue.pop(); pid !== undefined; pid = queue.pop()) {
      for (const child of children.get(pid) ?? []) {
        if (this.#seen.has(child.pid)) continue;
        this.#seen.set(child.pid, child.start);
        queue.push(child.pid);
      }
    }
  }

  /** The live processes of the tree (the root included while it lives). */
  members(): number[] {
    const all = processes();
    this.track(all);
    const me = process.pid;
    return all
      .filter((p) => p.pid !== me)
      .filter((p) => p.pid === this.root || p.pgid === this.root || p.sid === this.root || this.#seen.get(p.pid) === p.start || carriesMarker(p.pid, this.marker))
      .map((p) => p.pid);
  }

  /** Signals the group and every member; returns how many members there were. */
  kill(sig: NodeJS.Signals): number {
    if (process.platform !== 'win32') signal(-this.root, sig);
    const members = this.members();
    for (const pid of members) signal(pid, sig);
    return members.length;
  }
}

// The watchdog's code: plain JavaScript that loads no module but Node's own and runs without
// the parent's loaders (execArgv: []), since loading modules in a worker can wait on the main
// thread, which a learner's loop may block. It repeats, in short, what Tree finds: the processes
// carrying the marker, and the group.
const WATCHDOG = `
const { readdirSync, readFileSync } = require('node:fs');
const { parent, marker, self } = require('node:worker_threads').workerData;
const kill = (pid) => { try { process.kill(pid, 'SIGKILL'); } catch {} };
setInterval(() => {
  if (process.ppid === parent) return;
  for (const name of readdirSync('/proc')) {
    if (!/^\\d+$/.test(name) || Number(name) === self) continue;
    try { if (readFileSync('/proc/' + name + '/environ', 'latin1').split('\\0').includes(marker)) kill(Number(name)); } catch {}
  }
  kill(-self);
  kill(self);
}, 500);
`;

/**
 * Called inside a program run contained: starts a watchdog on its own thread that, once the
 * process that started the run is gone (killed outright, so it could not clean up), kills with
 * SIGKILL every process of the run — those carrying its marker, its process group — and this one.
 * Does nothing outside a contained run or where there is no /proc.
 */
export function startRunWatchdog(): void {
  const id = process.env[RUN_MARKER_ENV];
  if (!id || !hasProc) return;
  const watchdog = new Worker(WATCHDOG, { eval: true, execArgv: [], workerData: { parent: process.ppid, marker: `${RUN_MARKER_ENV}=${id}`, self: process.pid } });
  watchdog.unref();
}

/**
 * Called inside a program run contained with `startupTimeoutMs`, once what it runs is loaded:
 * from now on the run's time limit counts. Does nothing outside such a run (no result channel).
 */
export function markReady(): void {
  if (!process.env[RUN_MARKER_ENV]) return;
  try {
    writeSync(RESULT_CHANNEL_FD, `${READY_LINE}\n`);
  } catch {
    // No result channel: nobody waits for the mark.
  }
}

// The trees of the runs still going, killed if this process exits or is interrupted first.
const active = new Set<Tree>();
const EXIT_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const killAll = (): void => {
  for (const tree of active) tree.kill('SIGKILL');
};
const onSignal = (sig: NodeJS.Signals): void => {
  killAll();
  // Alone on this signal, this handler took away its default (ending the process): give it back.
  if (process.listenerCount(sig) === 1) {
    unhook();
    process.kill(process.pid, sig);
  }
};
function hook(): void {
  if (active.size > 0) return;
  process.on('exit', killAll);
  for (const sig of EXIT_SIGNALS) process.on(sig, onSignal);
}
function unhook(): void {
  process.off('exit', killAll);
  for (const sig of EXIT_SIGNALS) process.off(sig, onSignal);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A stream's collected bytes, up to a cap. */
class Capped {
  readonly #chunks: Buffer[] = [];
  #size = 0;
  constructor(readonly cap: number) {}
  /** Adds a chunk; returns the part kept, and whether the cap was passed. */
  add(chunk: Buffer): { kept: Buffer; over: boolean } {
    const room = this.cap - this.#size;
    const kept = chunk.length <= room ? chunk : chunk.subarray(0, Math.max(0, room));
    this.#chunks.push(kept);
    this.#size += kept.length;
    return { kept, over: chunk.length > room };
  }
  text(): string {
    return Buffer.concat(this.#chunks).toString('utf8');
  }
}

/**
 * Runs `command args` contained (see the file's comment). Never rejects for what the program
 * does; rejects only when it cannot be started.
 */
export async function runContained(command: string, args: readonly string[], options: ContainedOptions): Promise<ContainedResult> {
  const marker = `${RUN_MARKER_ENV}=${randomUUID()}`;
  const cap = options.maxOutputBytes ?? MAX_OUTPUT_BYTES;
  const clocked = options.resultChannel === true && options.startupTimeoutMs !== undefined;
  const startedAt = performance.now();
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...options.env, [RUN_MARKER_ENV]: marker.slice(RUN_MARKER_ENV.length + 1) },
    // Its own session and process group: a signal to the group reaches what it started.
    detached: process.platform !== 'win32',
    stdio: ['ignore', 'pipe', 'pipe', options.resultChannel ? 'pipe' : 'ignore'],
    windowsHide: true,
  });
  const started = await new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', resolve);
  });
  if (started || child.pid === undefined) throw started ?? new Error(`could not start ${command}`);
  const closed = new Promise((resolve) => child.once('close', resolve));
  const tree = new Tree(child.pid, marker);
  hook();
  active.add(tree);

  const out = { stdout: new Capped(cap), stderr: new Capped(cap), result: new Capped(cap * 4) };
  let overflow: ContainedResult['overflow'];
  let timedOut = false;
  let timedOutIn: ContainedResult['timedOutIn'];
  let readyAfterMs: number | undefined;
  let aborted = false;
  let killedAfterGrace = false;
  let stopping = false;
  let graceTimer: NodeJS.Timeout | undefined;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    tree.kill('SIGTERM');
    graceTimer = setTimeout(() => {
      killedAfterGrace = true;
      tree.kill('SIGKILL');
    }, KILL_GRACE_MS);
  };

  // The result channel's first bytes, until the ready line is found there (or cannot be).
  let head: Buffer | undefined = clocked ? Buffer.alloc(0) : undefined;
  const ready = Buffer.from(`${READY_LINE}\n`);
  const collect = (name: 'stdout' | 'stderr' | 'result') => (chunk: Buffer) => {
    if (overflow) return;
    if (name === 'result' && head) {
      head = Buffer.concat([head, chunk]);
      if (head.length < ready.length && ready.subarray(0, head.length).equals(head)) return;
      chunk = head;
      head = undefined;
      if (chunk.subarray(0, ready.length).equals(ready)) {
        chunk = chunk.subarray(ready.length);
        onReady();
      }
      if (chunk.length === 0) return;
    }
    const { kept, over } = out[name].add(chunk);
    if (name !== 'result' && kept.length > 0) {
      if (options.stream) (name === 'stdout' ? process.stdout : process.stderr).write(kept);
      options.onOutput?.(kept.toString('utf8'), name);
    }
    if (over) {
      overflow = name;
      stop();
    }
  };
  child.stdout?.on('data', collect('stdout'));
  child.stderr?.on('data', collect('stderr'));
  const channel = child.stdio[3];
  if (channel && 'on' in channel) channel.on('data', collect('result'));

  const limit = (which: 'startup' | 'run', ms: number) =>
    setTimeout(() => {
      timedOut = true;
      timedOutIn = which;
      stop();
    }, ms);
  let timer = clocked ? limit('startup', options.startupTimeoutMs!) : limit('run', options.timeoutMs);
  function onReady(): void {
    if (readyAfterMs !== undefined || stopping) return;
    readyAfterMs = Math.round(performance.now() - startedAt);
    clearTimeout(timer);
    timer = limit('run', options.timeoutMs);
  }
  const onAbort = (): void => {
    aborted = true;
    stop();
  };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  // Descendants are remembered while the program runs, so one that is orphaned is still known.
  const tracker = setInterval(() => tree.track(), 250);

  const [exitCode, exitSignal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (code, sig) => resolve([code, sig])));
  const durationMs = Math.round(performance.now() - startedAt);
  clearTimeout(timer);
  clearInterval(tracker);
  options.signal?.removeEventListener('abort', onAbort);

  // The program is gone; what it started goes too (after success as well).
  let leftBehind = 0;
  for (let round = 0; round < 20; round++) {
    const killed = tree.kill('SIGKILL');
    if (round === 0) leftBehind = killed;
    if (killed === 0) break;
    await sleep(50);
  }
  clearTimeout(graceTimer);
  active.delete(tree);
  if (active.size === 0) unhook();
  // Output already in the pipes is read; a writer that escaped every sweep cannot hold the run.
  await Promise.race([closed, sleep(500)]);
  for (const stream of [child.stdout, child.stderr, channel]) if (stream && 'destroy' in stream) stream.destroy();
  // A start of the channel that was not the ready line, and nothing after it: kept as written.
  if (head && head.length > 0) out.result.add(head);

  return {
    exitCode,
    signal: exitSignal,
    stdout: out.stdout.text(),
    stderr: out.stderr.text(),
    ...(options.resultChannel ? { result: out.result.text() } : {}),
    timedOut,
    ...(timedOutIn ? { timedOutIn } : {}),
    ...(readyAfterMs !== undefined ? { readyAfterMs } : {}),
    durationMs,
    aborted,
    ...(overflow ? { overflow } : {}),
    killedAfterGrace,
    leftBehind,
  };
}
