// The managed identity token endpoint's logic: which identity of the VM a request means
// (system-assigned by default; a user-assigned one by client_id, object_id, msi_res_id or
// mi_res_id), whether Entra knows the resource, and the token itself, minted by the emulator's
// Entra for the identity's service principal (`xms_mirid`, `appidacr` 2, about a day).
import { findByObjectId } from '../directory.js';
import { MANAGED_IDENTITY_TOKEN_LIFETIME_SECONDS, type TokenIssuer } from '../entra/tokens.js';
import { managedIdentityResourceId } from '../identity.js';
import type { Principal, ResourceRecord, WorldState } from '../model.js';
import { isKnownResource } from './constants.js';
import { imdsErrors } from './errors.js';

/** The selectors IMDS accepts, as (query name, what it matches). */
export const SELECTORS = ['client_id', 'object_id', 'msi_res_id', 'mi_res_id'] as const;
export type Selector = (typeof SELECTORS)[number];

interface Candidate {
  kind: 'systemAssignedIdentity' | 'userAssignedIdentity';
  /** The identity's ARM id (user-assigned) or the VM's id (system-assigned). */
  resourceId: string;
  principalId: string;
  clientId: string | undefined;
}

function candidates(state: Readonly<WorldState>, vm: ResourceRecord): { system: Candidate | undefined; user: Candidate[] } {
  const identity = vm.identity;
  let system: Candidate | undefined;
  if (identity?.type.includes('SystemAssigned') && identity.principalId) {
    system = {
      kind: 'systemAssignedIdentity',
      resourceId: vm.id,
      principalId: identity.principalId,
      clientId: findByObjectId(state, identity.principalId)?.appId,
    };
  }
  const user = Object.entries(identity?.userAssignedIdentities ?? {}).map(([id, ids]) => ({
    kind: 'userAssignedIdentity' as const,
    resourceId: id,
    principalId: ids.principalId,
    clientId: ids.clientId,
  }));
  return { system, user };
}

/** The identity a token request means, or the IMDS error for why there is none. */
export function selectIdentity(state: Readonly<WorldState>, vm: ResourceRecord, query: URLSearchParams): { candidate: Candidate; principal: Principal; selector?: [Selector, string] } {
  const given = SELECTORS.filter((name) => query.has(name));
  if (given.length > 1) throw imdsErrors.identitySelectorConflict(given);
  const { system, user } = candidates(state, vm);
  const all = [...(system ? [system] : []), ...user];
  let chosen: Candidate | undefined;
  let selector: [Selector, string] | undefined;
  const [name] = given;
  if (name) {
    const value = (query.get(name) ?? '').trim().toLowerCase();
    selector = [name, query.get(name) ?? ''];
    chosen = all.find((c) => {
      switch (name) {
        case 'client_id':
          return c.clientId?.toLowerCase() === value;
        case 'object_id':
          return c.principalId.toLowerCase() === value;
        default:
          return c.kind === 'userAssignedIdentity' && c.resourceId.toLowerCase() === value.replace(/\/+$/, '');
      }
    });
    if (!chosen) throw imdsErrors.identityNotFound();
  } else if (system) {
    // No selector: the system-assigned identity when the VM has one, even beside user-assigned
    // ones; else the only user-assigned one; else the caller must choose (Microsoft Learn,
    // "Managed identities for Azure resources frequently asked questions", "What identity will
    // IMDS default to if don't specify the identity in the request?":
    // https://learn.microsoft.com/entra/identity/managed-identities-azure-resources/managed-identities-faq).
    chosen = system;
  } else if (user.length === 1) {
    chosen = user[0];
  } else if (user.length > 1) {
    throw imdsErrors.multipleUserAssigned();
  }
  if (!chosen) throw imdsErrors.identityNotFound();
  // The identity may have been deleted while still listed on the VM: its principal is gone.
  const principal = findByObjectId(state, chosen.principalId);
  if (!principal) throw imdsErrors.identityNotFound();
  return { candidate: chosen, principal, ...(selector ? { selector } : {}) };
}

/** The IMDS token response (every field a string, as IMDS sends them). */
export async function issueManagedIdentityToken(
  state: Readonly<WorldState>,
  tokens: TokenIssuer,
  vm: ResourceRecord,
  query: URLSearchParams,
): Promise<Record<string, string>> {
  const resource = query.get('resource') ?? '';
  const { candidate, principal, selector } = selectIdentity(state, vm, query);
  if (!isKnownResource(resource, (r) => tokens.acceptsArmAudience(r))) throw imdsErrors.invalidResource(resource, state.tenantId);
  // The same issuer as Entra's token endpoint: one signing path, one set of claims.
  const minted = await tokens.mint({
    principal,
    audience: resource,
    appidacr: '2',
    lifetimeSeconds: MANAGED_IDENTITY_TOKEN_LIFETIME_SECONDS,
    extraClaims: { xms_mirid: managedIdentityResourceId(candidate.kind, candidate.resourceId) },
  });
  const body: Record<string, string> = {
    access_token: minted.accessToken,
    client_id: principal.appId,
    expires_in: String(minted.expiresIn),
    expires_on: String(minted.expiresOn),
    ext_expires_in: String(minted.expiresIn),
    not_before: String(minted.notBefore),
    resource,
    token_type: 'Bearer',
  };
  if (selector?.[0] === 'object_id') body.object_id = selector[1];
  if (selector?.[0] === 'msi_res_id' || selector?.[0] === 'mi_res_id') body.msi_res_id = selector[1];
  return body;
}
