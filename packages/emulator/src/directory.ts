// The emulated Entra directory: service principals of the seeded apps and of managed
// identities, all in one place (`WorldState.principals`), so Entra, RBAC and (next) IMDS see
// the same principals.
import { randomUUID } from 'node:crypto';
import type { Principal, WorldState } from './model.js';

export function findByObjectId(state: Readonly<WorldState>, objectId: string): Principal | undefined {
  return state.principals[objectId.toLowerCase()];
}

export function findByAppId(state: Readonly<WorldState>, appId: string): Principal | undefined {
  const wanted = appId.toLowerCase();
  return Object.values(state.principals).find((p) => p.appId === wanted);
}

/** Creates the service principal of a managed identity with fresh object and client ids. */
export function createManagedIdentityPrincipal(
  draft: WorldState,
  kind: 'userAssignedIdentity' | 'systemAssignedIdentity',
  displayName: string,
  resourceId: string,
): Principal {
  const principal: Principal = {
    objectId: randomUUID(),
    appId: randomUUID(),
    displayName,
    kind,
    resourceId,
    createdAt: new Date().toISOString(),
  };
  draft.principals[principal.objectId] = principal;
  return principal;
}

/** Removes a service principal. Role assignments that name it stay behind, orphaned, as in Azure. */
export function deletePrincipal(draft: WorldState, objectId: string | undefined): void {
  if (objectId) delete draft.principals[objectId.toLowerCase()];
}

/**
 * The `principalType` ARM gives a role assignment of this principal: `ServicePrincipal` for
 * applications and managed identities alike (the only kinds the emulated directory holds).
 */
export function principalTypeOf(principal: Principal): 'ServicePrincipal' {
  switch (principal.kind) {
    case 'application':
    case 'userAssignedIdentity':
    case 'systemAssignedIdentity':
      return 'ServicePrincipal';
  }
}

/** A short name for logs: the seeded role (learner, grader, instructor) or the display name. */
export function principalLabel(principal: Principal | undefined, objectId: string): string {
  if (!principal) return objectId;
  return principal.seededAs ?? principal.displayName;
}
