// The world on disk: an LMDB file (world.mdb, through the `lmdb` package) holding one entry
// per record, `<collection>:<key>` → JSON `[seq, key, record]` (seq keeps the world's order
// across restarts: LMDB iterates in key order), and `meta` → the other top-level fields. A
// write is one synchronous LMDB transaction of just the changed entries, fsynced before it
// returns. Reading validates every entry and the whole world with the world schema: a file
// that is not a usable world is a StateFileError naming it, never treated as missing.
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fstatSync, fsyncSync, openSync, readSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { open, type Database } from 'lmdb';
import type { WorldState } from '../model.js';
import { worldSchema, type LoadedWorld } from '../schema.js';
import { describeIssues, StateFileError } from '../state-error.js';
import { COLLECTIONS, isCollection, metaOf, type CollectionName } from './draft.js';

export const META_KEY = 'meta';

/** An open world database (values are JSON text). */
export type WorldDb = Database<string, string>;

/**
 * LMDB maps the file and trusts its pages: opening a file that is not an LMDB environment can
 * crash the process instead of failing. So the two meta pages are checked first (LMDB's
 * MDB_meta: magic 0xBEEFC0DE and version 2 after the 24-byte page header of lmdb-js's LMDB,
 * the page size at +48, the last page at +144, the transaction id at +152, as the files it
 * writes show), and the file must reach the last page the newer meta names.
 */
function checkHeader(file: string): void {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    throw new StateFileError(file, `it could not be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new StateFileError(file, 'it could not be read (EISDIR)');
    if (!stat.isFile()) throw new StateFileError(file, 'it could not be read (it is not a regular file)');
    const readAt = (position: number, length: number): Buffer => {
      const buffer = Buffer.alloc(length);
      const read = readSync(fd, buffer, 0, length, position);
      return buffer.subarray(0, read);
    };
    const first = readAt(0, 160);
    if (first.length < 160 || first.readUInt32LE(24) !== 0xbeefc0de) throw new StateFileError(file, 'it is not an LMDB database (no LMDB header)');
    if (first.readUInt32LE(28) !== 2) throw new StateFileError(file, `it is an LMDB database of an unknown format version (${first.readUInt32LE(28)})`);
    const pageSize = first.readUInt32LE(48);
    if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) throw new StateFileError(file, `its LMDB header names an impossible page size (${pageSize})`);
    const second = readAt(pageSize, 160);
    if (second.length < 160 || second.readUInt32LE(24) !== 0xbeefc0de) throw new StateFileError(file, 'it is cut off (its second LMDB meta page is missing)');
    const newer = first.readBigUInt64LE(152) >= second.readBigUInt64LE(152) ? first : second;
    const lastPage = newer.readBigUInt64LE(144);
    if (BigInt(stat.size) < (lastPage + 1n) * BigInt(pageSize)) throw new StateFileError(file, `it is cut off (${stat.size} bytes; its last page ends at ${(lastPage + 1n) * BigInt(pageSize)})`);
  } finally {
    closeSync(fd);
  }
}

function openDb(file: string, readOnly: boolean): WorldDb {
  checkHeader(file);
  try {
    // overlappingSync off and noSync off: a synchronous commit is flushed (fsync) before it returns.
    return open<string, string>({ path: file, encoding: 'string', compression: false, cache: false, overlappingSync: false, noSync: false, readOnly });
  } catch (error) {
    throw new StateFileError(file, `it could not be opened as an LMDB database (${(error as Error).message})`);
  }
}

/** Opens the world database `file` (which must exist) for the emulator, writable. */
export function openWorldDb(file: string): WorldDb {
  return openDb(file, false);
}

/** The LMDB key of a record (long keys by their hash: LMDB keys are at most 511 bytes). */
export function dbKeyOf(collection: CollectionName, key: string): string {
  return Buffer.byteLength(key) <= 400 ? `${collection}:${key}` : `${collection}:#${createHash('sha256').update(key).digest('hex')}`;
}

/** The JSON an entry holds. */
export function entryOf(seq: number, key: string, record: unknown): string {
  return JSON.stringify([seq, key, record]);
}

export interface LoadedDb {
  world: LoadedWorld;
  /** Each record's sequence number, by LMDB key. */
  seqs: Map<string, number>;
  nextSeq: number;
}

/** Reads and validates the world in `db` (stored in `file`, named in errors). */
export function loadWorld(db: WorldDb, file: string): LoadedDb {
  let meta: Record<string, unknown> | undefined;
  const entries = new Map<CollectionName, [number, string, unknown][]>(COLLECTIONS.map((c) => [c, []]));
  const seqs = new Map<string, number>();
  let nextSeq = 0;
  try {
    for (const { key, value } of db.getRange({})) {
      const dbKey = String(key);
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch (error) {
        throw new StateFileError(file, `its entry ${JSON.stringify(dbKey)} is not valid JSON (${(error as Error).message})`);
      }
      if (dbKey === META_KEY) {
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new StateFileError(file, `its entry "meta" is not an object`);
        meta = parsed as Record<string, unknown>;
        continue;
      }
      const collection = dbKey.slice(0, dbKey.indexOf(':'));
      // An entry of a collection this version does not know (a newer emulator's) is left alone.
      if (!isCollection(collection)) continue;
      if (!Array.isArray(parsed) || parsed.length !== 3 || typeof parsed[0] !== 'number' || typeof parsed[1] !== 'string') {
        throw new StateFileError(file, `its entry ${JSON.stringify(dbKey)} is not a [sequence, key, record] entry`);
      }
      const [seq, recordKey, record] = parsed as [number, string, unknown];
      entries.get(collection)?.push([seq, recordKey, record]);
      seqs.set(dbKey, seq);
      nextSeq = Math.max(nextSeq, seq + 1);
    }
  } catch (error) {
    if (error instanceof StateFileError) throw error;
    throw new StateFileError(file, `it could not be read (${(error as Error).message})`);
  }
  if (!meta) throw new StateFileError(file, 'it holds no world (its "meta" entry is missing)');
  const world: Record<string, unknown> = { ...meta };
  for (const [collection, list] of entries) {
    list.sort((a, b) => a[0] - b[0]);
    const records: Record<string, unknown> = {};
    for (const [, key, record] of list) records[key] = record;
    world[collection] = records;
  }
  const result = worldSchema.safeParse(world);
  if (!result.success) throw new StateFileError(file, describeIssues(result.error));
  return { world: result.data, seqs, nextSeq };
}

/** Writes every record of `world` into `db` (which must be empty or cleared in the same transaction). */
export function putWorld(db: WorldDb, world: Readonly<LoadedWorld | WorldState>, seqs: Map<string, number>): number {
  db.put(META_KEY, JSON.stringify(metaOf(world as WorldState)));
  let seq = 0;
  for (const collection of COLLECTIONS) {
    for (const [key, record] of Object.entries(world[collection])) {
      const dbKey = dbKeyOf(collection, key);
      db.put(dbKey, entryOf(seq, key, record));
      seqs.set(dbKey, seq++);
    }
  }
  return seq;
}

function fsyncDir(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Makes `file` a new world database holding `world`, atomically: written (and fsynced) under a
 * temporary name, then renamed over `file`. A crash leaves the old file or the new one.
 */
export function writeWorldDb(file: string, world: Readonly<LoadedWorld | WorldState>): void {
  const temp = `${file}.new`;
  for (const leftover of [temp, `${temp}-lock`]) if (existsSync(leftover)) rmSync(leftover, { force: true });
  const db = open<string, string>({ path: temp, encoding: 'string', compression: false, cache: false, overlappingSync: false, noSync: false });
  try {
    db.transactionSync(() => putWorld(db, world, new Map()));
  } finally {
    db.close();
  }
  // Owner-only, as world.json was (LMDB creates it 0644).
  chmodSync(temp, 0o600);
  renameSync(temp, file);
  rmSync(`${temp}-lock`, { force: true });
  fsyncDir(dirname(file));
}

/** The world stored in `file`, read by a process that may not be the emulator's (LMDB allows readers beside the writer). */
export function readWorldDb(file: string): LoadedWorld {
  const db = openDb(file, true);
  try {
    return loadWorld(db, file).world;
  } finally {
    db.close();
  }
}
