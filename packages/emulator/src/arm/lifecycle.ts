// Removing resources with what hangs off them: a user-assigned identity takes its service
// principal along, a VM its system-assigned one. Role assignments at a deleted resource's
// scope (or below a deleted resource group) go too; assignments elsewhere that name a deleted
// principal stay behind, orphaned, as in Azure.
import { deletePrincipal } from '../directory.js';
import { removeIdentity, USER_ASSIGNED_IDENTITY_TYPE } from '../identity.js';
import { keyOf, type ResourceRecord, type WorldState } from '../model.js';
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
