// The audit log: one JSON line per ARM call (time, principal, method, path, status,
// api-version). Never tokens, secrets or bodies. Graders' read-only promise is checked from it.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { escapeControl } from './log.js';

export const AUDIT_FILE = 'audit.log';

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

export class AuditLog {
  readonly file: string;
  constructor(stateDir: string) {
    this.file = join(stateDir, AUDIT_FILE);
  }

  /**
   * Appends one entry. Its strings are stored with control characters escaped: JSON keeps the
   * file one entry per line anyway, but a path decoded from `%0A` or `%1B` would otherwise come
   * back raw to whoever prints the entry (`milab emulator log`) and forge a line there.
   */
  append(entry: AuditEntry): void {
    const safe = Object.fromEntries(Object.entries(entry).map(([key, value]) => [key, typeof value === 'string' ? escapeControl(value) : value]));
    appendFileSync(this.file, `${JSON.stringify(safe)}\n`, { mode: 0o600 });
  }

  clear(): void {
    writeFileSync(this.file, '', { mode: 0o600 });
  }
}

export interface AuditQuery {
  /** Keep entries of this principal (seeded name, display name, object id or app id; case-insensitive). */
  principal?: string;
  /** Keep the last N entries. */
  limit?: number;
}

/** Entries from the audit log in `stateDir`, oldest first. */
export function readAudit(stateDir: string, query: AuditQuery = {}): AuditEntry[] {
  const file = join(stateDir, AUDIT_FILE);
  if (!existsSync(file)) return [];
  let entries = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as AuditEntry];
      } catch {
        return [];
      }
    });
  if (query.principal) {
    const wanted = query.principal.toLowerCase();
    entries = entries.filter((e) => [e.principal, e.oid, e.appid].some((v) => v?.toLowerCase() === wanted));
  }
  if (query.limit !== undefined) entries = entries.slice(-query.limit);
  return entries;
}
