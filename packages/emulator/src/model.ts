// The emulated world as data: what the store persists and the handlers read and change.
// Map keys are lower-cased ARM ids (ARM ids are case-insensitive); records keep their casing.
import type { PrincipalName } from './connection.js';

/** A service principal in the emulated directory: seeded apps and managed identities alike. */
export interface Principal {
  /** Object id: the `oid`/`sub` claim, the `principalId` of role assignments. */
  objectId: string;
  /** Application (client) id: the `appid` claim. */
  appId: string;
  displayName: string;
  kind: 'application' | 'userAssignedIdentity' | 'systemAssignedIdentity';
  /** For seeded principals: which one (their secrets live in secrets.json, not here). */
  seededAs?: PrincipalName;
  /** For managed identities: the identity's ARM id (user-assigned) or the resource's id (system). */
  resourceId?: string;
  /**
   * `admin` for a class principal made through `/_milab/principals` (admin/principals.ts): an
   * application that signs in with its own secret (in principal-secrets.json, not here).
   */
  createdVia?: 'admin';
  /** For class principals: the name they are ensured, listed and deleted by (unique among them). */
  name?: string;
  /** For class principals: their tags (e.g. `class`, `learner`), matched by `list`. */
  tags?: Record<string, string>;
  createdAt: string;
}

export interface SubscriptionRecord {
  subscriptionId: string;
  displayName: string;
  tenantId: string;
  state: 'Enabled';
}

export interface ResourceGroupRecord {
  id: string;
  name: string;
  location: string;
  tags?: Record<string, string>;
  managedBy?: string;
}

/** The identity block of a resource, as stored (and served) for VMs. */
export interface ResourceIdentity {
  type: 'SystemAssigned' | 'UserAssigned' | 'SystemAssigned, UserAssigned';
  principalId?: string;
  tenantId?: string;
  userAssignedIdentities?: Record<string, { principalId: string; clientId: string }>;
}

/** A tracked ARM resource (user-assigned identity, virtual machine, …). */
export interface ResourceRecord {
  id: string;
  name: string;
  type: string;
  location: string;
  resourceGroup: string;
  tags?: Record<string, string>;
  properties: Record<string, unknown>;
  identity?: ResourceIdentity;
  zones?: string[];
  etag?: string;
  createdAt: string;
}

export interface RoleAssignmentRecord {
  id: string;
  name: string;
  scope: string;
  /** The role definition's GUID (the name of the built-in). */
  roleDefinitionName: string;
  principalId: string;
  principalType: string;
  description?: string | null;
  condition?: string | null;
  conditionVersion?: string | null;
  createdOn: string;
  updatedOn: string;
  createdBy: string;
  updatedBy: string;
}

/** An asynchronous operation (the `Azure-AsyncOperation` / `Location` of an LRO). */
export interface OperationRecord {
  id: string;
  name: string;
  status: 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled';
  startTime: string;
  endTime?: string;
}

export interface WorldState {
  version: 1;
  /**
   * A fresh id each time the world is seeded (first start, `milab emulator reset`): progress
   * records it, so results earned on an earlier world are shown as such.
   */
  worldId: string;
  tenantId: string;
  subscriptions: Record<string, SubscriptionRecord>;
  resourceGroups: Record<string, ResourceGroupRecord>;
  resources: Record<string, ResourceRecord>;
  principals: Record<string, Principal>;
  roleAssignments: Record<string, RoleAssignmentRecord>;
  operations: Record<string, OperationRecord>;
}

/** The map key of an ARM id. */
export function keyOf(id: string): string {
  return id.toLowerCase().replace(/\/+$/, '');
}
