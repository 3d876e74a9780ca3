// Indexes over the committed world, derived (never persisted): role assignments by principal
// and by scope, resources by type and by resource group. The store keeps them current on every
// commit, so an RBAC decision costs the assignments on the scope's path and a list costs the
// records it can return, not the world.
import { keyOf, type ResourceRecord, type RoleAssignmentRecord, type WorldState } from '../model.js';

type Bucket<T> = Map<string, T>;

function addTo<T>(index: Map<string, Bucket<T>>, bucket: string, key: string, record: T): void {
  let entries = index.get(bucket);
  if (!entries) index.set(bucket, (entries = new Map()));
  entries.set(key, record);
}

function removeFrom<T>(index: Map<string, Bucket<T>>, bucket: string, key: string): void {
  const entries = index.get(bucket);
  if (!entries) return;
  entries.delete(key);
  if (entries.size === 0) index.delete(bucket);
}

/** The key of the resource group a resource id lies in (`/subscriptions/…/resourcegroups/…`), or '' if none. */
export function resourceGroupKeyOf(resourceId: string): string {
  const match = /^(\/subscriptions\/[^/]+\/resourcegroups\/[^/]+)(?:\/|$)/.exec(keyOf(resourceId));
  return match?.[1] ?? '';
}

/**
 * The keys of every scope at or above `scope`: '' (the root), then each whole-segment prefix,
 * then the scope itself; exactly the scopes `a` for which `isAtOrBelow(scope, a)` holds.
 */
export function ancestorKeys(scope: string): string[] {
  const s = keyOf(scope);
  const keys = [''];
  for (let i = 1; i < s.length; i++) if (s[i] === '/') keys.push(s.slice(0, i));
  if (s !== '') keys.push(s);
  return keys;
}

const EMPTY: ReadonlyMap<string, never> = new Map<string, never>();

/** A role assignment in the listing order, with the keys a list filters on computed once. */
export interface OrderedAssignment {
  readonly record: RoleAssignmentRecord;
  /** The record's key in the world (its id's key). */
  readonly key: string;
  /** `keyOf(record.scope)`. */
  readonly scopeKey: string;
  /** The principal's object id, lower case. */
  readonly principalId: string;
}

/** Code-unit order (ISO times and GUIDs compare as they read; locale rules cost more than a whole page). */
const ordinal = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The order role assignments are listed in: creation time, then name, then key (two scopes can
 * hold the same GUID). Every part is fixed for the life of an assignment (a PUT on an existing one
 * keeps its createdOn), so a cursor on it stays put while others are added or deleted.
 */
export function compareAssignmentOrder(a: { createdOn: string; name: string; key: string }, b: { createdOn: string; name: string; key: string }): number {
  return ordinal(a.createdOn, b.createdOn) || ordinal(a.name, b.name) || ordinal(a.key, b.key);
}

/** The indexes of one world. */
export class WorldIndexes {
  readonly #assignmentsByPrincipal = new Map<string, Bucket<RoleAssignmentRecord>>();
  readonly #assignmentsByScope = new Map<string, Bucket<RoleAssignmentRecord>>();
  readonly #resourcesByType = new Map<string, Bucket<ResourceRecord>>();
  readonly #resourcesByGroup = new Map<string, Bucket<ResourceRecord>>();
  readonly #assignments = new Map<string, RoleAssignmentRecord>();
  /** Every assignment in {@link compareAssignmentOrder}; made on first read after a change. */
  #assignmentOrder: readonly OrderedAssignment[] | undefined;

  /** Indexes every record of `world`, in its order. */
  static build(world: Readonly<WorldState>): WorldIndexes {
    const indexes = new WorldIndexes();
    for (const [key, a] of Object.entries(world.roleAssignments)) indexes.update('roleAssignments', key, undefined, a);
    for (const [key, r] of Object.entries(world.resources)) indexes.update('resources', key, undefined, r);
    return indexes;
  }

  /**
   * Moves `key` of `collection` from `before` to `after` (either undefined: added or deleted).
   * A record that stays in the same buckets keeps its place, as a reassigned key of a plain
   * object does; `moved` puts it last (deleted and added again).
   */
  update(collection: string, key: string, before: unknown, after: unknown, moved = false): void {
    if (collection === 'roleAssignments') {
      const b = before as RoleAssignmentRecord | undefined;
      const a = after as RoleAssignmentRecord | undefined;
      this.#move(this.#assignmentsByPrincipal, key, b && b.principalId.toLowerCase(), a && a.principalId.toLowerCase(), a, moved);
      this.#move(this.#assignmentsByScope, key, b && keyOf(b.scope), a && keyOf(a.scope), a, moved);
      if (a) this.#assignments.set(key, a);
      else this.#assignments.delete(key);
      this.#assignmentOrder = undefined;
    } else if (collection === 'resources') {
      const b = before as ResourceRecord | undefined;
      const a = after as ResourceRecord | undefined;
      this.#move(this.#resourcesByType, key, b && b.type.toLowerCase(), a && a.type.toLowerCase(), a, moved);
      this.#move(this.#resourcesByGroup, key, b && resourceGroupKeyOf(b.id), a && resourceGroupKeyOf(a.id), a, moved);
    }
  }

  #move<T>(index: Map<string, Bucket<T>>, key: string, from: string | undefined, to: string | undefined, record: T | undefined, moved: boolean): void {
    if (from !== undefined && (from !== to || moved)) removeFrom(index, from, key);
    if (to !== undefined && record !== undefined) addTo(index, to, key, record);
  }

  /** The assignments naming `principalId` (any case). */
  assignmentsOf(principalId: string): ReadonlyMap<string, RoleAssignmentRecord> {
    return this.#assignmentsByPrincipal.get(principalId.toLowerCase()) ?? EMPTY;
  }

  /** The assignments made exactly at `scope`. */
  assignmentsAt(scope: string): ReadonlyMap<string, RoleAssignmentRecord> {
    return this.#assignmentsByScope.get(keyOf(scope)) ?? EMPTY;
  }

  /**
   * The assignments of `principalId` at `scope` or above it: from the principal's own
   * assignments or from the scopes on the path, whichever is fewer to look at.
   */
  assignmentsOnPath(principalId: string, scope: string): RoleAssignmentRecord[] {
    const own = this.assignmentsOf(principalId);
    if (own.size === 0) return [];
    const ancestors = ancestorKeys(scope);
    if (own.size <= ancestors.length * 2) return [...own.values()];
    const oid = principalId.toLowerCase();
    const found: RoleAssignmentRecord[] = [];
    for (const ancestor of ancestors) {
      for (const a of this.#assignmentsByScope.get(ancestor)?.values() ?? []) if (a.principalId.toLowerCase() === oid) found.push(a);
    }
    return found;
  }

  /**
   * Every role assignment in the listing order ({@link compareAssignmentOrder}), sorted once per
   * change of the assignments rather than once per page: a list page starts from its cursor here
   * (a binary search) and reads on only as far as the page needs.
   */
  assignmentsInOrder(): readonly OrderedAssignment[] {
    if (!this.#assignmentOrder) {
      const ordered = [...this.#assignments].map(([key, record]) => ({ record, key, scopeKey: keyOf(record.scope), principalId: record.principalId.toLowerCase(), createdOn: record.createdOn, name: record.name }));
      ordered.sort(compareAssignmentOrder);
      this.#assignmentOrder = Object.freeze(ordered.map(({ record, key, scopeKey, principalId }) => Object.freeze({ record, key, scopeKey, principalId })));
    }
    return this.#assignmentOrder;
  }

  /** The resources of `type` (any case), in the world's order. */
  resourcesOfType(type: string): ReadonlyMap<string, ResourceRecord> {
    return this.#resourcesByType.get(type.toLowerCase()) ?? EMPTY;
  }

  /** The resources in the resource group `resourceGroupId` (any case), in the world's order. */
  resourcesInGroup(resourceGroupId: string): ReadonlyMap<string, ResourceRecord> {
    return this.#resourcesByGroup.get(keyOf(resourceGroupId)) ?? EMPTY;
  }
}

const registry = new WeakMap<object, WorldIndexes>();

/** Makes `indexes` the ones `indexesOf(world)` answers (the store does, for the world it serves). */
export function registerIndexes(world: Readonly<WorldState>, indexes: WorldIndexes): void {
  registry.set(world, indexes);
}

/** The indexes the store keeps for `world`, or undefined for a world no store serves (callers then scan). */
export function indexesOf(world: Readonly<WorldState>): WorldIndexes | undefined {
  return registry.get(world);
}
