// The audit log: one JSON line per ARM call (time, principal, method, path, status,
// api-version). Never tokens, secrets or bodies. Graders' read-only promise is checked from it.
//
// It is a record for people, not the durability record (the world is): entries are buffered and
// appended in batches off the request path (after AUDIT_FLUSH_MS, or at AUDIT_FLUSH_BYTES), on
// close and at process exit; a kill -9 loses at most the last batch. `audit.log` is rotated to
// `audit.log.1` at AUDIT_MAX_BYTES (one old file kept), and `readAudit` reads both from their end
// backwards, stopping once it has its `limit`, so a long-lived log costs a query only what it returns.
import { closeSync, fstatSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { escapeControl } from './log.js';

/** What escapeControl would change (log.ts's CONTROL, without its `g`: a test keeps no state). */
// eslint-disable-next-line no-control-regex
const HAS_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export const AUDIT_FILE = 'audit.log';
/** The rotated, older part of the audit log. */
export const AUDIT_OLD_FILE = `${AUDIT_FILE}.1`;
/** Size at which `audit.log` becomes `audit.log.1` (the previous `.1` is dropped). */
export const AUDIT_MAX_BYTES = 16 * 1024 * 1024;
/** How long an entry may wait in memory before it is written. */
export const AUDIT_FLUSH_MS = 50;
/** A buffer this large is written at once. */
export const AUDIT_FLUSH_BYTES = 64 * 1024;

export interface AuditEntry {
  time: string;
  /** Seeded name (learner, grader, instructor), identity name, or the object id. */
  principal: string;
  /** Object id of the caller, when the token was valid. */
  oid?: string;
  appid?: string;
  method: string;
  /** Path without the query string. */
  path: string;
  apiVersion?: string;
  status: number;
  /** The RBAC action the call needed, when known. */
  action?: string;
  /** The ARM error code of a failed call. */
  error?: string;
  durationMs: number;
}

export interface AuditLogOptions {
  /** Rotate at this size (default {@link AUDIT_MAX_BYTES}). */
  maxBytes?: number;
  /** Write the buffer after this long (default {@link AUDIT_FLUSH_MS}). */
  flushMs?: number;
  /** Reports a write that failed (the entries are dropped: the log is not the durability record). */
  log?: (message: string) => void;
}

/** Open audit logs of this process by file, so that `readAudit` and process exit can flush them. */
const open = new Map<string, AuditLog>();
let exitHookInstalled = false;

function flushAllAtExit(): void {
  for (const audit of open.values()) audit.flush();
}

export class AuditLog {
  readonly stateDir: string;
  readonly file: string;
  readonly oldFile: string;
  readonly #maxBytes: number;
  readonly #flushMs: number;
  readonly #log: (message: string) => void;
  #pending: string[] = [];
  #pendingBytes = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(stateDir: string, options: AuditLogOptions = {}) {
    this.stateDir = stateDir;
    this.file = join(stateDir, AUDIT_FILE);
    this.oldFile = join(stateDir, AUDIT_OLD_FILE);
    this.#maxBytes = options.maxBytes ?? AUDIT_MAX_BYTES;
    this.#flushMs = options.flushMs ?? AUDIT_FLUSH_MS;
    this.#log = options.log ?? (() => undefined);
    open.set(this.file, this);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', flushAllAtExit);
    }
  }

  /**
   * Buffers one entry (written within {@link AUDIT_FLUSH_MS}). Its strings are stored with
   * control characters escaped: JSON keeps the file one entry per line anyway, but a path decoded
   * from `%0A` or `%1B` would otherwise come back raw to whoever prints the entry (`milab emulator
   * log`) and forge a line there.
   */
  append(entry: AuditEntry): void {
    // JSON.stringify of the entry with its strings escaped, written field by field (its keys are
    // plain names; undefined fields are left out, as JSON.stringify leaves them): no copy of the
    // entry per request, and the escaping only for a string that has a control character.
    let line = '{';
    for (const key in entry) {
      const value = entry[key as keyof AuditEntry];
      if (value === undefined) continue;
      line += `${line.length > 1 ? ',' : ''}"${key}":${JSON.stringify(typeof value === 'string' && HAS_CONTROL.test(value) ? escapeControl(value) : value)}`;
    }
    line += '}\n';
    // Tracked again after a close(), should the emulator listen anew.
    if (open.get(this.file) !== this) open.set(this.file, this);
    this.#pending.push(line);
    this.#pendingBytes += line.length;
    if (this.#pendingBytes >= AUDIT_FLUSH_BYTES) this.flush();
    else if (!this.#timer) {
      this.#timer = setTimeout(() => this.flush(), this.#flushMs);
      // A pending batch never keeps a process alive: exit and close() flush it.
      this.#timer.unref();
    }
  }

  /**
   * Writes the buffered entries now (one append), rotating first when they would take
   * `audit.log` past the size cap. Synchronous, so that its callers (a reader in this process,
   * close, process exit) see every entry made before it.
   */
  flush(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#pending.length === 0) return;
    const batch = this.#pending.join('');
    this.#pending = [];
    this.#pendingBytes = 0;
    try {
      let fd = openSync(this.file, 'a', 0o600);
      try {
        const size = fstatSync(fd).size;
        if (size > 0 && size + Buffer.byteLength(batch) > this.#maxBytes) {
          // The full file becomes the old part (replacing the one before), this batch starts anew.
          closeSync(fd);
          fd = -1;
          renameSync(this.file, this.oldFile);
          fd = openSync(this.file, 'a', 0o600);
        }
        writeSync(fd, batch);
      } finally {
        if (fd >= 0) closeSync(fd);
      }
    } catch (error) {
      this.#log(`warning: could not write the audit log ${this.file}: ${(error as Error).message}`);
    }
  }

  /** Empties the log (buffered entries, `audit.log` and its rotated part). */
  clear(): void {
    this.#pending = [];
    this.#pendingBytes = 0;
    clearAudit(this.stateDir);
  }

  /** Writes what is buffered and stops tracking this log. */
  close(): void {
    this.flush();
    if (open.get(this.file) === this) open.delete(this.file);
  }
}

/** Empties the audit log of `stateDir` (both files), e.g. on reset with no emulator running. */
export function clearAudit(stateDir: string): void {
  open.get(join(stateDir, AUDIT_FILE))?.flush();
  rmSync(join(stateDir, AUDIT_OLD_FILE), { force: true });
  closeSync(openSync(join(stateDir, AUDIT_FILE), 'w', 0o600));
}

export interface AuditQuery {
  /** Keep entries of this principal (seeded name, display name, object id or app id; case-insensitive). */
  principal?: string;
  /** Keep the last N entries. */
  limit?: number;
}

/** How much of a file is read at a time, from its end. */
const CHUNK_BYTES = 64 * 1024;
/**
 * A line longer than this is not an entry (a path is at most a few KiB: Node refuses request
 * heads over 16 KiB) and is skipped unread, so a corrupt file cannot make a reader hold it whole.
 */
const MAX_LINE_BYTES = 1024 * 1024;

/**
 * The complete lines of `file`, last first, read backwards a chunk at a time; `visit` returns
 * false to stop. Lines are cut at the byte 0x0A, which never occurs inside a UTF-8 sequence.
 */
function linesBackwards(file: string, visit: (line: string) => boolean): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
  try {
    let position = fstatSync(fd).size;
    let carry = Buffer.alloc(0);
    // Within a run of bytes longer than MAX_LINE_BYTES with no newline: junk, not an entry.
    let skipping = false;
    while (position > 0) {
      const length = Math.min(CHUNK_BYTES, position);
      position -= length;
      const chunk = Buffer.allocUnsafe(length);
      readSync(fd, chunk, 0, length, position);
      const buffer = carry.length > 0 ? Buffer.concat([chunk, carry]) : chunk;
      let end = buffer.length;
      for (let i = buffer.lastIndexOf(0x0a, end - 1); i >= 0; i = i === 0 ? -1 : buffer.lastIndexOf(0x0a, i - 1)) {
        if (skipping) skipping = false;
        else if (end > i + 1 && !visit(buffer.toString('utf8', i + 1, end))) return false;
        end = i;
      }
      // The end of a line that begins in an earlier chunk (copied: the chunk is let go).
      carry = skipping ? Buffer.alloc(0) : Buffer.from(buffer.subarray(0, end));
      if (carry.length > MAX_LINE_BYTES) {
        carry = Buffer.alloc(0);
        skipping = true;
      }
    }
    return carry.length === 0 || skipping || visit(carry.toString('utf8'));
  } finally {
    closeSync(fd);
  }
}

/**
 * Entries from the audit log in `stateDir` (`audit.log`, then its rotated `audit.log.1`), oldest
 * first. Read from the end: with a `limit` only as much as it takes to find that many entries.
 * An emulator in this process writes what it has buffered first; one in another process may
 * hold its last {@link AUDIT_FLUSH_MS} of entries still. Lines that are not JSON are skipped.
 */
export function readAudit(stateDir: string, query: AuditQuery = {}): AuditEntry[] {
  const file = join(stateDir, AUDIT_FILE);
  open.get(file)?.flush();
  const wanted = query.principal?.toLowerCase();
  const limit = query.limit ?? Infinity;
  const found: AuditEntry[] = [];
  if (limit <= 0) return found;
  const visit = (line: string): boolean => {
    if (line.trim() === '') return true;
    let entry: AuditEntry;
    try {
      entry = JSON.parse(line) as AuditEntry;
    } catch {
      return true;
    }
    if (typeof entry !== 'object' || entry === null) return true;
    if (wanted !== undefined && ![entry.principal, entry.oid, entry.appid].some((v) => v?.toLowerCase() === wanted)) return true;
    found.push(entry);
    return found.length < limit;
  };
  if (linesBackwards(file, visit)) linesBackwards(join(stateDir, AUDIT_OLD_FILE), visit);
  return found.reverse();
}
