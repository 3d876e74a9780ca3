// One emulator per state directory. The first thing an emulator does is create
// `emulator.lock` exclusively (a complete file linked into place: link(2) fails with EEXIST
// like open(O_CREAT|O_EXCL), and no reader can ever see it half written). The file names the
// owner's pid, its process start time and, once known, its port. A lock whose pid is gone — or
// whose pid now belongs to another process (pid reuse, told apart by the start time where
// /proc has it) — is stale and taken over; a live one refuses the start. The lock is removed
// on close and when the process exits.
import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isProcessAlive } from './connection.js';

export const LOCK_FILE = 'emulator.lock';

/** What the lock file says about the emulator holding it. */
export interface LockOwner {
  pid: number;
  /** The owner's process start time (clock ticks since boot, from /proc), when the OS has it. */
  processStart?: string;
  /** Random per acquisition, so an owner removes only its own lock. */
  nonce: string;
  acquiredAt: string;
  /** The port it serves (or is about to bind), once known. */
  port?: number;
  url?: string;
}

/** A process's start time from /proc (Linux); undefined elsewhere or when there is no such process. */
function processStart(pid: number): { start: string; zombie: boolean } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = fields[19];
    return start === undefined ? undefined : { start, zombie: fields[0] === 'Z' };
  } catch {
    return undefined;
  }
}

/** Whether the process that wrote `owner` still runs (not a zombie, not a reused pid). */
export function ownerAlive(owner: LockOwner): boolean {
  if (!isProcessAlive(owner.pid)) return false;
  const now = processStart(owner.pid);
  if (now?.zombie) return false;
  if (owner.processStart !== undefined && now !== undefined && now.start !== owner.processStart) return false;
  return true;
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockOwner> | null;
    if (typeof value !== 'object' || value === null || typeof value.pid !== 'number' || typeof value.nonce !== 'string') return undefined;
    return value as LockOwner;
  } catch {
    return undefined;
  }
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The live owner of the lock in `stateDir`, if any. */
export function readLockOwner(stateDir: string): LockOwner | undefined {
  const text = readText(join(stateDir, LOCK_FILE));
  const owner = text === undefined ? undefined : parseOwner(text);
  return owner && ownerAlive(owner) ? owner : undefined;
}

/** `an emulator (pid N) already serves DIR at URL (port P)`: what a refused start or reset says. */
export function describeOwner(stateDir: string, owner: Readonly<LockOwner>): string {
  const { pid, port, url } = owner;
  const where = url ? ` at ${url} (port ${port})` : port ? ` on port ${port}` : ' (still starting: its port is not known yet)';
  return `an emulator (pid ${pid}) already serves ${stateDir}${where}`;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** A takeover that crashed in its (microseconds long) critical section leaves its guard behind this long at most. */
const GUARD_STALE_MS = 10_000;

/**
 * Removes the lock file if it still holds `staleText`, under a guard file so that two starts
 * taking over the same stale lock cannot remove each other's fresh one.
 */
function removeStale(file: string, staleText: string): void {
  const guard = `${file}.takeover`;
  let fd: number;
  try {
    fd = openSync(guard, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    try {
      if (Date.now() - statSync(guard).mtimeMs > GUARD_STALE_MS) unlinkSync(guard);
    } catch {
      // Gone already: its taker finished.
    }
    sleepSync(5);
    return;
  }
  try {
    writeSync(fd, String(process.pid));
    if (readText(file) === staleText) unlinkSync(file);
  } finally {
    closeSync(fd);
    unlinkSync(guard);
  }
}

const held = new Set<StateLock>();
let exitHookInstalled = false;

/** The exclusive lock of one state directory, held by this process. */
export class StateLock {
  #owner: LockOwner;
  #released = false;

  private constructor(
    readonly file: string,
    owner: LockOwner,
  ) {
    this.#owner = owner;
  }

  /**
   * Takes the lock of `stateDir`, or returns the live owner that holds it. `port` is recorded
   * at once when known (a fixed port), so a refused start can name it.
   */
  static acquire(stateDir: string, port?: number): { lock: StateLock } | { owner: LockOwner } {
    const file = join(stateDir, LOCK_FILE);
    const owner: LockOwner = {
      pid: process.pid,
      ...(processStart(process.pid) ? { processStart: processStart(process.pid)?.start } : {}),
      nonce: randomBytes(12).toString('hex'),
      acquiredAt: new Date().toISOString(),
      ...(port ? { port } : {}),
    };
    const text = JSON.stringify(owner);
    const temp = `${file}.${process.pid}.${owner.nonce}.tmp`;
    writeFileSync(temp, text, { mode: 0o600 });
    try {
      for (;;) {
        try {
          linkSync(temp, file);
          const lock = new StateLock(file, owner);
          held.add(lock);
          if (!exitHookInstalled) {
            exitHookInstalled = true;
            process.on('exit', () => {
              for (const l of held) l.release();
            });
          }
          return { lock };
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
        const existingText = readText(file);
        if (existingText === undefined) continue;
        const existing = parseOwner(existingText);
        if (existing && ownerAlive(existing)) return { owner: existing };
        // Dead owner, reused pid, or a file that is not a lock at all: stale.
        removeStale(file, existingText);
      }
    } finally {
      unlinkSync(temp);
    }
  }

  get owner(): Readonly<LockOwner> {
    return this.#owner;
  }

  get released(): boolean {
    return this.#released;
  }

  /** Records the bound port and URL in the lock file (replaced atomically: it never disappears). */
  update(details: { port: number; url: string }): void {
    if (this.#released) return;
    this.#owner = { ...this.#owner, ...details };
    const temp = `${this.file}.${process.pid}.${this.#owner.nonce}.tmp`;
    writeFileSync(temp, JSON.stringify(this.#owner), { mode: 0o600 });
    renameSync(temp, this.file);
  }

  /** Removes the lock file if it is still this lock's (idempotent). */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    held.delete(this);
    const current = parseOwner(readText(this.file) ?? '');
    if (current?.nonce !== this.#owner.nonce) return;
    try {
      unlinkSync(this.file);
    } catch {
      // Already gone.
    }
  }
}
