// State behind one small interface. The file store keeps the world in memory and writes a JSON
// snapshot durably (temp file, fsync, rename, fsync of the folder) before a write is
// acknowledged. Mutations are synchronous functions, so two requests can never interleave
// inside one: Node runs each to completion, which serializes writes without a lock.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { WorldState } from './model.js';
import { worldSchema } from './schema.js';
import { readJsonStateFile } from './state-error.js';
import { seedWorld } from './world.js';

export const WORLD_FILE = 'world.json';

/** Where the emulator keeps its world. */
export interface Store {
  /** The current world. Read-only by contract: change it only through `mutate`. */
  readonly state: Readonly<WorldState>;
  /**
   * Runs `change` on a copy of the world and makes the copy current once it is durable.
   * If `change` throws, nothing changes and the error propagates.
   */
  mutate<T>(change: (draft: WorldState) => T): T;
  /** Replaces the whole world (reset). */
  replace(world: WorldState): void;
}

/** Writes `data` to `path` so that a crash leaves either the old or the new file, never half. */
export function writeFileAtomic(path: string, data: string, mode = 0o600): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w', mode);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  const dirFd = openSync(dirname(path), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

/**
 * The world stored in `stateDir`, or `undefined` if none has been written yet. A world.json
 * that cannot be read, is not JSON or is not shaped as a world throws a StateFileError naming
 * it: it is never treated as missing (that would reseed over it).
 */
export function readWorld(stateDir: string): WorldState | undefined {
  return readJsonStateFile(join(stateDir, WORLD_FILE), worldSchema) as WorldState | undefined;
}

/** The world as a JSON snapshot file in the state directory. */
export class FileStore implements Store {
  #state: WorldState;
  readonly #file: string;

  private constructor(file: string, state: WorldState) {
    this.#file = file;
    this.#state = state;
  }

  /** Opens the store in `stateDir`, seeding it when there is no world.json (only then). */
  static open(stateDir: string): FileStore {
    const file = join(stateDir, WORLD_FILE);
    const existing = readWorld(stateDir);
    const store = new FileStore(file, existing ?? seedWorld());
    if (!existing) store.#persist(store.#state);
    // Worlds written before world ids existed get one (once, durably).
    else if (typeof existing.worldId !== 'string') store.mutate((draft) => void (draft.worldId = randomUUID()));
    return store;
  }

  get state(): Readonly<WorldState> {
    return this.#state;
  }

  mutate<T>(change: (draft: WorldState) => T): T {
    const draft = structuredClone(this.#state);
    const result = change(draft);
    this.#persist(draft);
    this.#state = draft;
    return result;
  }

  replace(world: WorldState): void {
    this.#persist(world);
    this.#state = world;
  }

  #persist(world: WorldState): void {
    writeFileAtomic(this.#file, JSON.stringify(world));
  }
}
