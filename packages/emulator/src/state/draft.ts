// The world a `mutate` changes: a copy-on-write view of the committed world, so a write costs
// what it touches, not the world. Each collection (resources, principals, …) is a proxy that
// serves the committed records until one is read through it or assigned: a record read through
// the draft is a shallow copy (its own top-level fields may be reassigned; nested objects are
// the committed, frozen ones, so changing one in place throws instead of changing the world
// behind the store's back). At the end, `changes()` lists only what differs.
import type { WorldState } from '../model.js';

/** The maps of a world, one LMDB key range each; every other top-level field is `meta`. */
export const COLLECTIONS = ['subscriptions', 'resourceGroups', 'resources', 'principals', 'roleAssignments', 'operations'] as const;
export type CollectionName = (typeof COLLECTIONS)[number];
const COLLECTION_SET: ReadonlySet<string> = new Set(COLLECTIONS);

/** Whether a top-level field of the world is one of its collections. */
export function isCollection(field: string): field is CollectionName {
  return COLLECTION_SET.has(field);
}

/** One changed record: `value` undefined means deleted; `moved` means deleted and added again (it goes last). */
export interface RecordChange {
  collection: CollectionName;
  key: string;
  value: unknown;
  moved: boolean;
}

export interface DraftChanges {
  records: RecordChange[];
  /** The top-level fields other than the collections, when one of them changed. */
  meta: Record<string, unknown> | undefined;
}

const hasOwn = (object: object, key: string) => Object.prototype.hasOwnProperty.call(object, key);

function shallowEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const aKeys = Object.keys(a);
  if (aKeys.length !== Object.keys(b).length) return false;
  return aKeys.every((key) => hasOwn(b, key) && (a as Record<string, unknown>)[key] === (b as Record<string, unknown>)[key]);
}

function copyOf(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  return Array.isArray(value) ? [...value] : { ...value };
}

/** One collection of the draft. */
class CollectionDraft {
  /** Records read or assigned through the draft, by key. */
  readonly #current = new Map<string, unknown>();
  /** Keys assigned (not only read). */
  readonly #assigned = new Set<string>();
  /** Committed keys deleted in this draft (maybe added again since: then they are in #added). */
  readonly #removed = new Set<string>();
  /** Keys present now that come after the committed ones (new, or deleted and added again), in order. */
  readonly #added = new Set<string>();
  readonly proxy: Record<string, unknown>;

  constructor(readonly name: CollectionName, readonly base: Readonly<Record<string, unknown>>) {
    // The target stays empty; every property the proxy reports is configurable, so the
    // proxy invariants hold.
    this.proxy = new Proxy({} as Record<string, unknown>, {
      get: (_target, key) => (typeof key === 'string' && this.has(key) ? this.get(key) : Reflect.get(Object.prototype, key)),
      set: (_target, key, value) => {
        if (typeof key !== 'string') return false;
        this.set(key, value);
        return true;
      },
      defineProperty: (_target, key, descriptor) => {
        if (typeof key !== 'string' || !('value' in descriptor)) return false;
        this.set(key, descriptor.value);
        return true;
      },
      deleteProperty: (_target, key) => {
        if (typeof key === 'string') this.delete(key);
        return true;
      },
      has: (_target, key) => (typeof key === 'string' ? this.has(key) : Reflect.has(Object.prototype, key)),
      ownKeys: () => this.keys(),
      getOwnPropertyDescriptor: (_target, key) =>
        typeof key === 'string' && this.has(key) ? { value: this.get(key), writable: true, enumerable: true, configurable: true } : undefined,
    });
  }

  #inBase(key: string): boolean {
    return hasOwn(this.base, key) && !this.#removed.has(key);
  }

  has(key: string): boolean {
    return this.#added.has(key) || this.#inBase(key);
  }

  get(key: string): unknown {
    if (this.#current.has(key)) return this.#current.get(key);
    if (!this.#inBase(key)) return undefined;
    const copy = copyOf(this.base[key]);
    this.#current.set(key, copy);
    return copy;
  }

  set(key: string, value: unknown): void {
    if (!this.#inBase(key)) {
      // New, or deleted and added again: it goes last, as on a plain object.
      this.#added.delete(key);
      this.#added.add(key);
    }
    this.#current.set(key, value);
    this.#assigned.add(key);
  }

  delete(key: string): void {
    if (this.#added.has(key)) this.#added.delete(key);
    else if (hasOwn(this.base, key)) this.#removed.add(key);
    this.#current.delete(key);
    this.#assigned.delete(key);
  }

  keys(): string[] {
    const keys = this.#removed.size === 0 ? Object.keys(this.base) : Object.keys(this.base).filter((key) => !this.#removed.has(key));
    for (const key of this.#added) keys.push(key);
    return keys;
  }

  /** Replaces every record (the draft's field was assigned a whole new map). */
  replaceAll(records: Record<string, unknown>): void {
    for (const key of this.keys()) this.delete(key);
    for (const [key, value] of Object.entries(records)) this.set(key, value);
  }

  changes(into: RecordChange[]): void {
    for (const key of this.#removed) {
      if (!this.#added.has(key)) into.push({ collection: this.name, key, value: undefined, moved: false });
    }
    for (const [key, value] of this.#current) {
      const moved = this.#removed.has(key);
      if (moved || this.#added.has(key) || this.#assigned.has(key) || !shallowEqual(value, this.base[key])) {
        into.push({ collection: this.name, key, value, moved });
      }
    }
  }
}

/** A copy-on-write draft of `base`: change `draft.world`, then read `changes()`. */
export class WorldDraft {
  readonly #base: Readonly<WorldState>;
  readonly #collections = new Map<CollectionName, CollectionDraft>();
  readonly #meta = new Map<string, unknown>();
  readonly #metaDeleted = new Set<string>();
  /** The draft as a WorldState for the change function. */
  readonly world: WorldState;

  constructor(base: Readonly<WorldState>) {
    this.#base = base;
    const baseRecord = base as unknown as Record<string, unknown>;
    this.world = new Proxy({} as WorldState, {
      get: (_target, key) => {
        if (typeof key !== 'string') return undefined;
        if (isCollection(key)) return this.#collection(key).proxy;
        if (this.#metaDeleted.has(key)) return undefined;
        return this.#meta.has(key) ? this.#meta.get(key) : baseRecord[key];
      },
      set: (_target, key, value) => {
        if (typeof key !== 'string') return false;
        if (isCollection(key)) this.#collection(key).replaceAll(value as Record<string, unknown>);
        else {
          this.#meta.set(key, value);
          this.#metaDeleted.delete(key);
        }
        return true;
      },
      deleteProperty: (_target, key) => {
        if (typeof key === 'string' && !isCollection(key)) {
          this.#meta.delete(key);
          this.#metaDeleted.add(key);
        }
        return true;
      },
      has: (_target, key) => typeof key === 'string' && (isCollection(key) || this.#meta.has(key) || (!this.#metaDeleted.has(key) && hasOwn(baseRecord, key))),
      ownKeys: () => [...new Set([...Object.keys(baseRecord).filter((key) => !this.#metaDeleted.has(key)), ...this.#meta.keys()])],
      getOwnPropertyDescriptor: (target, key) => {
        if (typeof key !== 'string' || !Reflect.has(this.world, key)) return undefined;
        return { value: Reflect.get(this.world, key), writable: true, enumerable: true, configurable: true };
      },
    });
  }

  #collection(name: CollectionName): CollectionDraft {
    let collection = this.#collections.get(name);
    if (!collection) {
      collection = new CollectionDraft(name, this.#base[name] as Record<string, unknown>);
      this.#collections.set(name, collection);
    }
    return collection;
  }

  /** What differs from the base: the records to write or delete, and the meta fields if one changed. */
  changes(): DraftChanges {
    const records: RecordChange[] = [];
    for (const collection of this.#collections.values()) collection.changes(records);
    const baseRecord = this.#base as unknown as Record<string, unknown>;
    const metaChanged = [...this.#meta].some(([key, value]) => !hasOwn(baseRecord, key) || baseRecord[key] !== value) || [...this.#metaDeleted].some((key) => hasOwn(baseRecord, key));
    return { records, meta: metaChanged ? metaOf(this.world) : undefined };
  }
}

/** The top-level fields of `world` other than its collections (version, worldId, tenantId, any field a newer emulator added). */
export function metaOf(world: Readonly<WorldState>): Record<string, unknown> {
  const meta: Record<string, unknown> = {};
  for (const key of Object.keys(world)) if (!isCollection(key)) meta[key] = (world as unknown as Record<string, unknown>)[key];
  return meta;
}

/** Freezes `value` and everything in it, so a committed record cannot be changed in place. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
