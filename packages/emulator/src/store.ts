// State behind one small interface. The store keeps the world in memory as the read model
// (handlers read `store.state` synchronously) and on disk in an LMDB file, world.mdb (see
// state/world-db.ts). A `mutate` runs its change on a copy-on-write draft (state/draft.ts),
// writes just the records it changed in one synchronous LMDB transaction, fsynced before it
// returns, and only then applies them to the read model and its indexes (state/indexes.ts).
// Mutations are synchronous functions, so two requests can never interleave inside one: Node
// runs each to completion, which serializes writes without a lock, and a write holds the event
// loop for its own records and its own fsync only.
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { WorldState } from './model.js';
import { worldSchema } from './schema.js';
import { COLLECTIONS, deepFreeze, isCollection, WorldDraft, type RecordChange } from './state/draft.js';
import { registerIndexes, WorldIndexes } from './state/indexes.js';
import { dbKeyOf, entryOf, loadWorld, META_KEY, openWorldDb, putWorld, readWorldDb, writeWorldDb, type WorldDb } from './state/world-db.js';
import { readJsonStateFile } from './state-error.js';
import { seedWorld } from './world.js';

/** The world database. */
export const WORLD_DB_FILE = 'world.mdb';
/** The JSON world of emulators before world.mdb: migrated on first start, then renamed to `world.json.migrated`. */
export const WORLD_FILE = 'world.json';
export const MIGRATED_SUFFIX = '.migrated';

/** Where the emulator keeps its world. */
export interface Store {
  /** The current world. Read-only by contract (its records are frozen): change it only through `mutate`. */
  readonly state: Readonly<WorldState>;
  /** Indexes over `state` (assignments by principal and scope, resources by type and group), kept current. */
  readonly indexes: WorldIndexes;
  /**
   * Runs `change` on a copy-on-write draft of the world and makes its changes current once
   * they are durable. If `change` throws, nothing changes and the error propagates.
   */
  mutate<T>(change: (draft: WorldState) => T): T;
  /** Replaces the whole world (reset). */
  replace(world: WorldState): void;
}

// Writes `data` to `path` so that a crash leaves either the old or the new file, never half.
export { writeFileAtomic } from './fs-atomic.js';

/**
 * The world stored in `stateDir`, or `undefined` if none has been written yet: world.mdb, or a
 * world.json not migrated yet. A file that cannot be read or is not shaped as a world throws
 * a StateFileError naming it: it is never treated as missing (that would reseed over it).
 * Safe while an emulator serves the directory (LMDB readers do not block its writer).
 */
export function readWorld(stateDir: string): WorldState | undefined {
  const db = join(stateDir, WORLD_DB_FILE);
  if (existsSync(db)) return readWorldDb(db) as WorldState;
  return readJsonStateFile(join(stateDir, WORLD_FILE), worldSchema) as WorldState | undefined;
}

/**
 * Writes `world` as the world of `stateDir` (offline: no emulator may hold the directory),
 * replacing any world.mdb atomically.
 */
export function writeWorld(stateDir: string, world: WorldState): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  writeWorldDb(join(stateDir, WORLD_DB_FILE), world);
}

/** The world in an LMDB file, with the in-memory world as its read model. */
export class FileStore implements Store {
  #state: WorldState;
  #indexes: WorldIndexes;
  readonly #file: string;
  /** Undefined once closed; the next write opens it again (an emulator may listen again after close()). */
  #db: WorldDb | undefined;
  /** Each record's sequence number (its place in the world's order), by LMDB key. */
  readonly #seqs: Map<string, number>;
  #nextSeq: number;

  private constructor(file: string, db: WorldDb, state: WorldState, seqs: Map<string, number>, nextSeq: number) {
    this.#file = file;
    this.#db = db;
    this.#state = state;
    this.#seqs = seqs;
    this.#nextSeq = nextSeq;
    this.#indexes = this.#adopt(state);
  }

  /**
   * Opens the store in `stateDir`. Without a world.mdb: migrates world.json (validated first;
   * kept as world.json.migrated) or, only when there is neither, seeds a new world.
   */
  static open(stateDir: string): FileStore {
    const file = join(stateDir, WORLD_DB_FILE);
    if (!existsSync(file)) {
      const legacy = join(stateDir, WORLD_FILE);
      const old = readJsonStateFile(legacy, worldSchema);
      writeWorldDb(file, old ?? seedWorld());
      if (old) renameSync(legacy, `${legacy}${MIGRATED_SUFFIX}`);
    }
    const db = openWorldDb(file);
    let store: FileStore;
    try {
      const loaded = loadWorld(db, file);
      store = new FileStore(file, db, loaded.world as WorldState, loaded.seqs, loaded.nextSeq);
    } catch (error) {
      db.close();
      throw error;
    }
    // Worlds written before world ids existed get one (once, durably).
    if (typeof store.state.worldId !== 'string') store.mutate((draft) => void (draft.worldId = randomUUID()));
    return store;
  }

  get state(): Readonly<WorldState> {
    return this.#state;
  }

  get indexes(): WorldIndexes {
    return this.#indexes;
  }

  mutate<T>(change: (draft: WorldState) => T): T {
    const draft = new WorldDraft(this.#state);
    const result = change(draft.world);
    const { records, meta } = draft.changes();
    if (records.length === 0 && meta === undefined) return result;
    const seqOf = (c: RecordChange, dbKey: string) => (c.moved ? undefined : this.#seqs.get(dbKey)) ?? this.#nextSeq++;
    const planned = records.map((c) => ({ change: c, dbKey: dbKeyOf(c.collection, c.key) }));
    const seqs = planned.map(({ change, dbKey }) => (change.value === undefined ? -1 : seqOf(change, dbKey)));
    const db = this.#open();
    db.transactionSync(() => {
      if (meta) db.put(META_KEY, JSON.stringify(meta));
      planned.forEach(({ change, dbKey }, i) => {
        if (change.value === undefined) db.remove(dbKey);
        else db.put(dbKey, entryOf(seqs[i]!, change.key, change.value));
      });
    });
    // Durable: now the read model and its indexes.
    const state = this.#state as unknown as Record<string, unknown>;
    if (meta) {
      for (const key of Object.keys(state)) if (!(key in meta) && !isCollection(key)) delete state[key];
      Object.assign(state, meta);
    }
    planned.forEach(({ change, dbKey }, i) => {
      const map = this.#state[change.collection] as Record<string, unknown>;
      const before = map[change.key];
      if (change.value === undefined) {
        delete map[change.key];
        this.#seqs.delete(dbKey);
      } else {
        if (change.moved) delete map[change.key];
        map[change.key] = deepFreeze(change.value);
        this.#seqs.set(dbKey, seqs[i]!);
      }
      this.#indexes.update(change.collection, change.key, before, change.value, change.moved);
    });
    return result;
  }

  replace(world: WorldState): void {
    const seqs = new Map<string, number>();
    let nextSeq = 0;
    const db = this.#open();
    db.transactionSync(() => {
      for (const key of [...db.getKeys({})]) db.remove(key);
      nextSeq = putWorld(db, world, seqs);
    });
    this.#seqs.clear();
    for (const [key, seq] of seqs) this.#seqs.set(key, seq);
    this.#nextSeq = nextSeq;
    this.#state = world;
    this.#indexes = this.#adopt(world);
  }

  /** Closes the database (the emulator's close): another process may then open it, or reset replace it. */
  close(): void {
    const db = this.#db;
    this.#db = undefined;
    if (db) void db.close();
  }

  #open(): WorldDb {
    this.#db ??= openWorldDb(this.#file);
    return this.#db;
  }

  /** Freezes `world`'s records, indexes it, and registers the indexes for RBAC's lookups. */
  #adopt(world: WorldState): WorldIndexes {
    for (const collection of COLLECTIONS) {
      for (const record of Object.values(world[collection])) deepFreeze(record);
    }
    const indexes = WorldIndexes.build(world);
    registerIndexes(world, indexes);
    return indexes;
  }
}
