// The identity block of a resource (VMs today), as Azure treats it. Every identity change of a
// resource goes through here: `planIdentity` turns a PUT or PATCH request into the next block
// (and the user-assigned identities the caller must be allowed to assign), `applyIdentity`
// makes it so, creating or deleting the system-assigned service principal.
import { createManagedIdentityPrincipal, deletePrincipal } from './directory.js';
import { errors } from './errors.js';
import { keyOf, type ResourceIdentity, type ResourceRecord, type WorldState } from './model.js';

export const USER_ASSIGNED_IDENTITY_TYPE = 'Microsoft.ManagedIdentity/userAssignedIdentities';
export const ASSIGN_ACTION = 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action';

export interface IdentityPlan {
  /** The identity block after the request (undefined: no identity). */
  next: { system: boolean; userAssigned: Record<string, { principalId: string; clientId: string }> } | undefined;
  /** Ids of the user-assigned identities the request names (each needs `assign/action`). */
  linked: string[];
}

function parseType(type: unknown): { system: boolean; user: boolean } {
  if (typeof type !== 'string') throw errors.invalidIdentityType(String(type));
  const parts = type.split(',').map((p) => p.trim().toLowerCase()).filter(Boolean);
  if (parts.length === 1 && parts[0] === 'none') return { system: false, user: false };
  const known = new Set(['systemassigned', 'userassigned']);
  if (parts.length === 0 || parts.some((p) => !known.has(p))) throw errors.invalidIdentityType(type);
  return { system: parts.includes('systemassigned'), user: parts.includes('userassigned') };
}

/** The stored user-assigned identity resource an id names, or a 400 error. */
function resolveUserAssigned(state: Readonly<WorldState>, id: string): ResourceRecord {
  const record = state.resources[keyOf(id)];
  if (!record || record.type.toLowerCase() !== USER_ASSIGNED_IDENTITY_TYPE.toLowerCase()) throw errors.userAssignedIdentityNotFound(id);
  return record;
}

/**
 * The identity block a request leads to. `requested` is the request's `identity` (undefined
 * when the request has none: the block stays as it is). PUT replaces the user-assigned set;
 * PATCH merges into it, where a `null` value removes that identity.
 */
export function planIdentity(state: Readonly<WorldState>, current: ResourceIdentity | undefined, requested: unknown, mode: 'put' | 'patch'): IdentityPlan {
  const currentUser = { ...(current?.userAssignedIdentities ?? {}) };
  const currentSystem = current?.type.toLowerCase().includes('systemassigned') ?? false;
  if (requested === undefined) {
    return { next: current ? { system: currentSystem, userAssigned: currentUser } : undefined, linked: [] };
  }
  if (requested === null || typeof requested !== 'object') throw errors.invalidIdentityType(String(requested));
  const body = requested as { type?: unknown; userAssignedIdentities?: Record<string, unknown> | null };
  const type = parseType(body.type);
  const map = body.userAssignedIdentities ?? undefined;
  if (map && !type.user && Object.keys(map).length > 0) throw errors.userAssignedIdentitiesWithoutType();

  let userAssigned: Record<string, { principalId: string; clientId: string }> = {};
  const linked: string[] = [];
  if (type.user) {
    if (mode === 'patch') userAssigned = currentUser;
    for (const [id, value] of Object.entries(map ?? {})) {
      const existingKey = Object.keys(userAssigned).find((k) => k.toLowerCase() === id.toLowerCase());
      if (value === null) {
        if (existingKey) delete userAssigned[existingKey];
        continue;
      }
      const record = resolveUserAssigned(state, id);
      linked.push(id);
      const props = record.properties as { principalId: string; clientId: string };
      if (existingKey) delete userAssigned[existingKey];
      userAssigned[existingKey ?? id] = { principalId: props.principalId, clientId: props.clientId };
    }
  }
  if (!type.system && Object.keys(userAssigned).length === 0) return { next: undefined, linked };
  return { next: { system: type.system, userAssigned }, linked };
}

/**
 * Sets `resource.identity` in `draft` to the planned block: creates the system-assigned
 * service principal when one is added, deletes it when it is removed (Azure deletes it with
 * the identity, and role assignments naming it stay behind, orphaned).
 */
export function applyIdentity(draft: WorldState, resource: ResourceRecord, next: IdentityPlan['next']): void {
  const current = resource.identity;
  const hadSystem = current?.type.includes('SystemAssigned') ?? false;
  const wantSystem = next?.system ?? false;
  let principalId = hadSystem ? current?.principalId : undefined;
  if (hadSystem && !wantSystem) {
    deletePrincipal(draft, principalId);
    principalId = undefined;
  }
  if (!hadSystem && wantSystem) {
    principalId = createManagedIdentityPrincipal(draft, 'systemAssignedIdentity', resource.name, resource.id).objectId;
  }
  if (!next) {
    delete resource.identity;
    return;
  }
  const hasUser = Object.keys(next.userAssigned).length > 0;
  const type = wantSystem && hasUser ? 'SystemAssigned, UserAssigned' : wantSystem ? 'SystemAssigned' : 'UserAssigned';
  const identity: ResourceIdentity = { type };
  if (wantSystem) {
    identity.principalId = principalId;
    identity.tenantId = draft.tenantId;
  }
  if (hasUser) identity.userAssignedIdentities = next.userAssigned;
  resource.identity = identity;
}

/** Removes a resource's identity block (and its system-assigned principal) before deletion. */
export function removeIdentity(draft: WorldState, resource: ResourceRecord): void {
  // On a copy: the resource may be the committed (frozen) record, and is deleted next anyway.
  applyIdentity(draft, { ...resource }, undefined);
}

/**
 * The `xms_mirid` claim of a managed identity token: the identity's id for a user-assigned one,
 * the resource's id with lower-case `resourcegroups` for a system-assigned one.
 */
export function managedIdentityResourceId(kind: 'userAssignedIdentity' | 'systemAssignedIdentity', resourceId: string): string {
  return kind === 'systemAssignedIdentity' ? resourceId.replace(/\/resourceGroups\//i, '/resourcegroups/') : resourceId;
}
