// The shapes of the state the emulator loads (the world, from world.mdb or a world.json not yet
// migrated; secrets.json), as zod schemas.
// Objects are loose: a field this version does not know is kept, not stripped, so a world
// written by a newer emulator survives an older one. A schema checks what the handlers rely on
// (a record where they index, a string where they compare), not every business rule.
import { z } from 'zod';
import { PRINCIPAL_NAMES, type PrincipalName } from './connection.js';
import type { WorldState } from './model.js';

const text = z.string();
const stringMap = z.record(z.string(), z.string());

const principal = z.looseObject({
  objectId: text,
  appId: text,
  displayName: text,
  kind: z.enum(['application', 'userAssignedIdentity', 'systemAssignedIdentity']),
  seededAs: z.enum(PRINCIPAL_NAMES as [PrincipalName, ...PrincipalName[]]).optional(),
  resourceId: text.optional(),
  createdVia: z.literal('admin').optional(),
  name: text.optional(),
  tags: stringMap.optional(),
  createdAt: text,
});

const subscription = z.looseObject({
  subscriptionId: text,
  displayName: text,
  tenantId: text,
  state: z.literal('Enabled'),
});

const resourceGroup = z.looseObject({
  id: text,
  name: text,
  location: text,
  tags: stringMap.optional(),
  managedBy: text.optional(),
});

const identity = z.looseObject({
  type: z.enum(['SystemAssigned', 'UserAssigned', 'SystemAssigned, UserAssigned']),
  principalId: text.optional(),
  tenantId: text.optional(),
  userAssignedIdentities: z.record(z.string(), z.looseObject({ principalId: text, clientId: text })).optional(),
});

const resource = z.looseObject({
  id: text,
  name: text,
  type: text,
  location: text,
  resourceGroup: text,
  tags: stringMap.optional(),
  properties: z.record(z.string(), z.unknown()),
  identity: identity.optional(),
  zones: z.array(text).optional(),
  etag: text.optional(),
  createdAt: text,
});

const optionalNullableText = text.nullable().optional();
const roleAssignment = z.looseObject({
  id: text,
  name: text,
  scope: text,
  roleDefinitionName: text,
  principalId: text,
  principalType: text,
  description: optionalNullableText,
  condition: optionalNullableText,
  conditionVersion: optionalNullableText,
  createdOn: text,
  updatedOn: text,
  createdBy: text,
  updatedBy: text,
});

const operation = z.looseObject({
  id: text,
  name: text,
  status: z.enum(['InProgress', 'Succeeded', 'Failed', 'Canceled']),
  startTime: text,
  endTime: text.optional(),
});

/**
 * The world (world.mdb's entries put together, or an older emulator's world.json). `worldId`
 * may be missing: worlds written before world ids existed get one when the store opens them.
 */
export const worldSchema = z.looseObject({
  version: z.literal(1),
  worldId: text.optional(),
  tenantId: text,
  subscriptions: z.record(z.string(), subscription),
  resourceGroups: z.record(z.string(), resourceGroup),
  resources: z.record(z.string(), resource),
  principals: z.record(z.string(), principal),
  roleAssignments: z.record(z.string(), roleAssignment),
  operations: z.record(z.string(), operation),
});

/** A world as loaded: a WorldState that may still lack its worldId. */
export type LoadedWorld = Omit<WorldState, 'worldId'> & { worldId?: string };
// Compile-time check that the schema describes the model (a field added to one and not the
// other fails here).
const _worldMatchesModel = (world: z.infer<typeof worldSchema>): LoadedWorld => world;
void _worldMatchesModel;

/** secrets.json: one non-empty client secret per seeded principal. */
export const secretsSchema = z.looseObject({
  version: z.literal(1),
  principals: z.looseObject(
    Object.fromEntries(PRINCIPAL_NAMES.map((name) => [name, z.string().min(1)])) as Record<PrincipalName, z.ZodString>,
  ),
});

/** principal-secrets.json: the client secret of each class principal, by object id. */
export const principalSecretsSchema = z.looseObject({
  version: z.literal(1),
  principals: z.record(z.string(), z.string().min(1)),
});
