// Removing resources with what hangs off them: a user-assigned identity takes its service
// principal along, a VM its system-assigned one. Role assignments at a deleted resource's
// scope (or below a deleted resource group) go too; assignments elsewhere that name a deleted
// principal stay behind, orphaned, as in Azure. A resource group being deleted shows as
// `Deleting` until its operation ends (see `startDeleting`).
import { deletePrincipal } from '../directory.js';
import { removeIdentity, USER_ASSIGNED_IDENTITY_TYPE } from '../identity.js';
import { keyOf, type ResourceGroupRecord, type ResourceRecord, type WorldState } from '../model.js';
import { isAtOrBelow } from '../rbac.js';

function removeAssignmentsAtOrBelow(draft: WorldState, scope: string): void {
  for (const [key, assignment] of Object.entries(draft.roleAssignments)) {
    if (isAtOrBelow(assignment.scope, scope)) delete draft.roleAssignments[key];
  }
}

/** Deletes one resource from `draft`. */
export function removeResource(draft: WorldState, resource: ResourceRecord): void {
  if (resource.type.toLowerCase() === USER_ASSIGNED_IDENTITY_TYPE.toLowerCase()) {
    deletePrincipal(draft, (resource.properties as { principalId?: string }).principalId);
  }
  removeIdentity(draft, resource);
  removeAssignmentsAtOrBelow(draft, resource.id);
  delete draft.resources[keyOf(resource.id)];
}

/** Deletes a resource group and everything in it from `draft`; returns the removed resources. */
export function removeResourceGroup(draft: WorldState, resourceGroupId: string): ResourceRecord[] {
  const removed = Object.values(draft.resources).filter((r) => isAtOrBelow(r.id, resourceGroupId));
  for (const resource of removed) removeResource(draft, resource);
  removeAssignmentsAtOrBelow(draft, resourceGroupId);
  delete draft.resourceGroups[keyOf(resourceGroupId)];
  return removed;
}

/**
 * Resource groups being deleted. Azure answers a delete with 202 and shows the group as
 * `provisioningState: "Deleting"` until the operation ends; the emulator removes the group from
 * the world at once (so a restart or another plane never sees half a deletion) and keeps, in
 * memory, what GETs and lists show meanwhile. A deletion ends at the first poll of its operation
 * at least DELETE_MIN_MS after it started, or at any look once DELETE_MAX_MS have passed, so an
 * unpolled group does not stay "Deleting" for ever. Per store: one process may run several emulators.
 */
interface Deleting {
  record: ResourceGroupRecord;
  operationId: string;
  started: number;
}

/** How long a deletion lasts at least (what `Retry-After` tells pollers to wait). */
export const DELETE_MIN_MS = 1000;
/** After this long a deletion has ended whether or not anyone polled it. */
export const DELETE_MAX_MS = 30_000;

const deleting = new WeakMap<object, Map<string, Deleting>>();

function deletingIn(store: object): Map<string, Deleting> {
  let map = deleting.get(store);
  if (!map) {
    map = new Map();
    deleting.set(store, map);
  }
  const now = Date.now();
  for (const [key, entry] of map) if (now - entry.started >= DELETE_MAX_MS) map.delete(key);
  return map;
}

/** Shows `record` as being deleted by operation `operationId` (the group is already gone from the world). */
export function startDeleting(store: object, record: ResourceGroupRecord, operationId: string): void {
  deletingIn(store).set(keyOf(record.id), { record: structuredClone(record), operationId, started: Date.now() });
}

/** The group as it shows while being deleted, if it is. */
export function beingDeleted(store: object, resourceGroupId: string): ResourceGroupRecord | undefined {
  return deletingIn(store).get(keyOf(resourceGroupId))?.record;
}

/** Every group being deleted. */
export function allBeingDeleted(store: object): ResourceGroupRecord[] {
  return [...deletingIn(store).values()].map((entry) => entry.record);
}

/** Forgets a deletion (a PUT created the group again). */
export function stopDeleting(store: object, resourceGroupId: string): void {
  deletingIn(store).delete(keyOf(resourceGroupId));
}

/**
 * A poll of operation `operationId`: whether its deletion is still running (true: answer 202).
 * A poll at least DELETE_MIN_MS after the start ends it.
 */
export function pollDeletion(store: object, operationId: string): boolean {
  const map = deletingIn(store);
  for (const [key, entry] of map) {
    if (entry.operationId !== operationId) continue;
    if (Date.now() - entry.started < DELETE_MIN_MS) return true;
    map.delete(key);
  }
  return false;
}
