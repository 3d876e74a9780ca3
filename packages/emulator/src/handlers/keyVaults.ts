// Microsoft.KeyVault: vaults (put, patch, get, delete, list by resource group and by
// subscription), the soft-deleted vaults (list, get, purge) and checkNameAvailability. A vault
// names its data plane in `properties.vaultUri` (keyvault/dataplane.ts serves it). Deleting a
// vault soft-deletes it: the deleted vault holds its name (names are global) until it is purged
// or its retention ends, and purge protection forbids the purge. Shapes: the arm-keyvault
// 4.0.0 client (api-version 2025-05-01) and the keyvault spec's examples (Azure/azure-rest-api-specs
// specification/keyvault/resource-manager/Microsoft.KeyVault/stable/*/examples: createVault.json,
// getVault.json, deleteVault.json, listDeletedVaults.json, getDeletedVault.json, purgeDeletedVault.json).
import type { ArmContext } from '../arm/context.js';
import { removeResource } from '../arm/lifecycle.js';
import { matchProviderPath } from '../arm/paths.js';
import { isObject, listTracked, regionOf, sameLocation, tagsOf, trackedTarget } from '../arm/tracked.js';
import { errors } from '../errors.js';
import type { Reply } from '../http.js';
import { keyVaultPlaneOf, vaultUriOf } from '../keyvault/dataplane.js';
import { keyVaultArmErrors } from '../keyvault/errors.js';
import { DELETED_VAULT_TYPE, keyVaultStateOf, VAULT_TYPE, type DeletedVault } from '../keyvault/state.js';
import { keyOf, type ResourceRecord } from '../model.js';

/** 3-24 letters, digits and hyphens; a letter first; a letter or digit last; no `--`. */
const VAULT_NAME = /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/;
const DELETED_PATH = /^\/subscriptions\/([^/]+)\/providers\/microsoft\.keyvault\/(?:locations\/([^/]+)\/)?deletedvaults(?:\/([^/]+)(\/purge)?)?\/?$/i;
const CHECK_NAME_PATH = /^\/subscriptions\/([^/]+)\/providers\/microsoft\.keyvault\/checknameavailability\/?$/i;

/**
 * Whether a new vault gets the RBAC permission model when the request does not say: with
 * api-version 2026-02-01 and later, yes; before it, access policies (Microsoft Learn, "Azure Key
 * Vault default access control model", learn.microsoft.com/azure/key-vault/general/access-control-default:
 * the default applies to creation only; existing vaults keep their model).
 */
function rbacByDefault(apiVersion: string): boolean {
  return apiVersion >= '2026-02-01';
}

function toWire(r: ResourceRecord): Record<string, unknown> {
  return { id: r.id, name: r.name, type: VAULT_TYPE, location: r.location, tags: r.tags ?? {}, properties: { ...r.properties } };
}

function subscriptionOf(id: string): string {
  return /^\/subscriptions\/([^/]+)/i.exec(id)?.[1] ?? '';
}

function deletedToWire(d: DeletedVault): Record<string, unknown> {
  const sub = subscriptionOf(d.meta.id);
  return {
    id: `/subscriptions/${sub}/providers/${VAULT_TYPE.split('/')[0]}/locations/${d.meta.location}/deletedVaults/${d.meta.name}`,
    name: d.meta.name,
    type: DELETED_VAULT_TYPE,
    properties: {
      vaultId: d.meta.id,
      location: d.meta.location,
      deletionDate: d.deletionDate,
      scheduledPurgeDate: d.scheduledPurgeDate,
      tags: d.meta.tags,
      purgeProtectionEnabled: d.meta.purgeProtection,
    },
  };
}

/** Every live vault of the world (any subscription: vault names are global). */
function liveVaults(ctx: ArmContext): ResourceRecord[] {
  return [...ctx.store.indexes.resourcesOfType(VAULT_TYPE).values()];
}

export function handleKeyVaults(ctx: ArmContext): Reply | undefined {
  const deleted = DELETED_PATH.exec(ctx.path);
  if (deleted) return handleDeleted(ctx, deleted);
  const check = CHECK_NAME_PATH.exec(ctx.path);
  if (check) return checkNameAvailability(ctx, check[1] ?? '');
  const p = matchProviderPath(ctx.path, VAULT_TYPE);
  if (!p) return undefined;
  if (/^accesspolicies\/(add|replace|remove)$/.test(p.child) && p.name !== undefined) return updateAccessPolicies(ctx, p.subscriptionId, p.resourceGroup ?? '', p.name, p.child.slice('accesspolicies/'.length));
  if (p.child !== '') return undefined;
  const { method } = ctx;
  ctx.requireSubscription(p.subscriptionId);

  if (p.name === undefined) {
    if (method !== 'GET') throw errors.methodNotAllowed(method, ctx.path);
    return { status: 200, body: ctx.page(listTracked(ctx, p, VAULT_TYPE), toWire) };
  }

  const { rg, existing, notFound, name } = trackedTarget(ctx, p, VAULT_TYPE);
  const kv = keyVaultStateOf(ctx.store, ctx.config.stateDir);
  switch (method) {
    case 'GET':
      if (!existing) throw notFound();
      return { status: 200, body: toWire(existing) };
    case 'PUT':
      return putVault(ctx, p.subscriptionId, rg.name, name, existing);
    case 'PATCH': {
      if (!existing) throw notFound();
      const body = ctx.json();
      const tags = tagsOf(body.tags);
      const changes = isObject(body.properties) ? body.properties : {};
      const properties = { ...existing.properties, ...vaultProperties(ctx, changes, existing, false) };
      const record = ctx.store.mutate((draft) => {
        const r = draft.resources[keyOf(existing.id)] as ResourceRecord;
        draft.resources[keyOf(existing.id)] = { ...r, ...(tags ? { tags } : {}), properties };
        return draft.resources[keyOf(existing.id)] as ResourceRecord;
      });
      kv.recordVault(record);
      return { status: 200, body: toWire(record) };
    }
    case 'DELETE':
      if (!existing) return { status: 204 };
      // Soft-delete first: the name is held (and the secrets kept) before the resource goes.
      kv.softDelete(existing);
      ctx.store.mutate((draft) => removeResource(draft, existing));
      keyVaultPlaneOf(ctx.store)?.release(existing.id);
      return { status: 200 };
    default:
      throw errors.methodNotAllowed(method, ctx.path);
  }
}

/** The vault properties a PUT (`create`) or PATCH sets, checked. */
function vaultProperties(ctx: ArmContext, body: Record<string, unknown>, existing: ResourceRecord | undefined, create: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const old = (existing?.properties ?? {}) as Record<string, unknown>;
  if (create || body.tenantId !== undefined) {
    if (typeof body.tenantId !== 'string' || !/^[0-9a-f-]{36}$/i.test(body.tenantId)) throw keyVaultArmErrors.badProperty('properties.tenantId', `the tenant's id (a GUID; this emulator's tenant is ${ctx.state.tenantId})`);
    out.tenantId = body.tenantId.toLowerCase();
  }
  if (create || body.sku !== undefined) {
    const sku = body.sku;
    if (!isObject(sku) || typeof sku.name !== 'string' || !['standard', 'premium'].includes(sku.name.toLowerCase())) throw keyVaultArmErrors.badProperty('properties.sku', "{ family: 'A', name: 'standard' | 'premium' }");
    out.sku = { family: typeof sku.family === 'string' ? sku.family : 'A', name: sku.name.toLowerCase() };
  }
  if (body.accessPolicies !== undefined || create) {
    const policies = body.accessPolicies ?? [];
    if (!Array.isArray(policies)) throw keyVaultArmErrors.badProperty('properties.accessPolicies', 'an array of { tenantId, objectId, permissions }');
    out.accessPolicies = policies;
  }
  for (const flag of ['enabledForDeployment', 'enabledForDiskEncryption', 'enabledForTemplateDeployment'] as const) {
    if (body[flag] !== undefined) out[flag] = body[flag] === true;
    else if (create) out[flag] = old[flag] ?? false;
  }
  if (body.enableRbacAuthorization !== undefined) {
    if (typeof body.enableRbacAuthorization !== 'boolean') throw keyVaultArmErrors.badProperty('properties.enableRbacAuthorization', 'true (Azure RBAC) or false (access policies)');
    out.enableRbacAuthorization = body.enableRbacAuthorization;
  } else if (create) out.enableRbacAuthorization = old.enableRbacAuthorization ?? rbacByDefault(ctx.apiVersion);
  if (body.enableSoftDelete === false) throw keyVaultArmErrors.softDeleteRequired();
  if (create) out.enableSoftDelete = true;
  if (body.softDeleteRetentionInDays !== undefined) {
    const days = body.softDeleteRetentionInDays;
    if (typeof days !== 'number' || !Number.isInteger(days) || days < 7 || days > 90) throw keyVaultArmErrors.retentionDays(days);
    out.softDeleteRetentionInDays = days;
  } else if (create) out.softDeleteRetentionInDays = old.softDeleteRetentionInDays ?? 90;
  if (body.enablePurgeProtection !== undefined) {
    if (body.enablePurgeProtection !== true) {
      if (old.enablePurgeProtection === true) throw keyVaultArmErrors.purgeProtectionIrreversible();
    } else out.enablePurgeProtection = true;
  }
  if (typeof body.publicNetworkAccess === 'string') out.publicNetworkAccess = body.publicNetworkAccess;
  else if (create) out.publicNetworkAccess = old.publicNetworkAccess ?? 'Enabled';
  return out;
}

function putVault(ctx: ArmContext, subscriptionId: string, rgName: string, name: string, existing: ResourceRecord | undefined): Reply {
  if (!VAULT_NAME.test(name)) throw keyVaultArmErrors.vaultNameNotValid(name);
  const body = ctx.json();
  const requested = typeof body.location === 'string' ? body.location : undefined;
  if (!requested) throw errors.missingLocation();
  const location = regionOf(requested, VAULT_TYPE);
  if (existing && !sameLocation(existing.location, location)) throw errors.invalidResourceLocation(existing.name, existing.location, rgName, requested);
  if (!isObject(body.properties)) throw keyVaultArmErrors.badProperty('properties', 'an object with tenantId and sku');
  const tags = tagsOf(body.tags) ?? {};
  const kv = keyVaultStateOf(ctx.store, ctx.config.stateDir);
  const id = `/subscriptions/${subscriptionId}/resourceGroups/${rgName}/providers/${VAULT_TYPE}/${name}`;
  let createdAt = existing?.createdAt ?? new Date().toISOString();
  if (!existing) {
    // Vault names are global: a vault elsewhere, or a soft-deleted one, holds the name.
    const elsewhere = liveVaults(ctx).find((v) => v.name.toLowerCase() === name.toLowerCase());
    if (elsewhere) throw keyVaultArmErrors.vaultAlreadyExists(name);
    const held = kv.deletedVault(name);
    if (held) {
      // `createMode: recover` brings the deleted vault back, secrets and all, in its own group.
      if (body.properties.createMode !== 'recover' || keyOf(held.meta.id) !== keyOf(id)) throw keyVaultArmErrors.deletedVaultHoldsName();
      createdAt = held.instance.slice(held.instance.indexOf('|') + 1);
    }
  }
  const properties: Record<string, unknown> = { ...(existing?.properties ?? {}), ...vaultProperties(ctx, body.properties, existing, true) };
  // The data plane's origin, claimed now so the reply can name it.
  const port = keyVaultPlaneOf(ctx.store)?.claim(id);
  if (!properties.vaultUri || !existing) properties.vaultUri = port === undefined ? 'https://127.0.0.1:0/' : vaultUriOf(port);
  properties.provisioningState = 'Succeeded';
  const record = ctx.store.mutate((draft) => {
    const r: ResourceRecord = existing
      ? { ...(draft.resources[keyOf(existing.id)] as ResourceRecord), tags, properties }
      : { id, name, type: VAULT_TYPE, location, resourceGroup: rgName, tags, properties, createdAt };
    draft.resources[keyOf(r.id)] = r;
    return r;
  });
  if (!existing && kv.deletedVault(name)) kv.change((file) => void delete file.deleted[name.toLowerCase()]);
  kv.recordVault(record);
  return { status: existing ? 200 : 201, body: toWire(record) };
}

function handleDeleted(ctx: ArmContext, match: RegExpExecArray): Reply {
  const [, subscriptionId = '', location, name, purge] = match;
  ctx.requireSubscription(subscriptionId);
  const kv = keyVaultStateOf(ctx.store, ctx.config.stateDir);
  const inSubscription = (d: DeletedVault) => subscriptionOf(d.meta.id).toLowerCase() === subscriptionId.toLowerCase();
  if (name === undefined) {
    if (ctx.method !== 'GET') throw errors.methodNotAllowed(ctx.method, ctx.path);
    ctx.authorize('Microsoft.KeyVault/deletedVaults/read', `/subscriptions/${subscriptionId}`);
    const all = kv.deletedVaults().filter(inSubscription).filter((d) => location === undefined || sameLocation(d.meta.location, location));
    return { status: 200, body: ctx.page(all, deletedToWire) };
  }
  if (location === undefined) throw errors.noRoute(ctx.method, ctx.path);
  const scope = `/subscriptions/${subscriptionId}/providers/Microsoft.KeyVault/locations/${location}/deletedVaults/${name}`;
  const entry = kv.deletedVault(name);
  const found = entry && inSubscription(entry) && sameLocation(entry.meta.location, location) ? entry : undefined;
  if (purge) {
    if (ctx.method !== 'POST') throw errors.methodNotAllowed(ctx.method, ctx.path);
    ctx.authorize('Microsoft.KeyVault/locations/deletedVaults/purge/action', scope);
    if (!found) throw keyVaultArmErrors.deletedVaultNotFound(name, location);
    if (found.meta.purgeProtection && Date.parse(found.scheduledPurgeDate) > Date.now()) throw keyVaultArmErrors.purgeProtected();
    kv.purge(name);
    return { status: 200 };
  }
  if (ctx.method !== 'GET') throw errors.methodNotAllowed(ctx.method, ctx.path);
  ctx.authorize('Microsoft.KeyVault/locations/deletedVaults/read', scope);
  if (!found) throw keyVaultArmErrors.deletedVaultNotFound(name, location);
  return { status: 200, body: deletedToWire(found) };
}

/**
 * `POST …/providers/Microsoft.KeyVault/checkNameAvailability` `{name, type}`: `{nameAvailable,
 * reason, message}` (the spec's checkVaultNameAvailability example; reasons AccountNameInvalid,
 * AlreadyExists).
 */
function checkNameAvailability(ctx: ArmContext, subscriptionId: string): Reply {
  if (ctx.method !== 'POST') throw errors.methodNotAllowed(ctx.method, ctx.path);
  ctx.requireSubscription(subscriptionId);
  ctx.authorize('Microsoft.KeyVault/checkNameAvailability/read', `/subscriptions/${subscriptionId}`);
  const body = ctx.json();
  const name = typeof body.name === 'string' ? body.name : '';
  if (!VAULT_NAME.test(name)) return { status: 200, body: { nameAvailable: false, reason: 'AccountNameInvalid', message: keyVaultArmErrors.vaultNameNotValid(name).message } };
  const kv = keyVaultStateOf(ctx.store, ctx.config.stateDir);
  const taken = liveVaults(ctx).some((v) => v.name.toLowerCase() === name.toLowerCase()) || kv.deletedVault(name) !== undefined;
  if (taken) return { status: 200, body: { nameAvailable: false, reason: 'AlreadyExists', message: `The vault name '${name}' is already in use.` } };
  return { status: 200, body: { nameAvailable: true } };
}

interface AccessPolicy {
  tenantId?: unknown;
  objectId?: unknown;
  applicationId?: unknown;
  permissions?: Record<string, unknown>;
}

/** The same principal in two access policy entries (tenant, object and application ids). */
function samePolicyPrincipal(a: AccessPolicy, b: AccessPolicy): boolean {
  const norm = (v: unknown) => String(v ?? '').toLowerCase();
  return norm(a.tenantId) === norm(b.tenantId) && norm(a.objectId) === norm(b.objectId) && norm(a.applicationId) === norm(b.applicationId);
}

/**
 * `PUT …/vaults/{name}/accessPolicies/{add|replace|remove}` (what `az keyvault set-policy` and
 * arm-keyvault's `vaults.updateAccessPolicy` send): body and answer `{properties: {accessPolicies}}`;
 * `add` merges permissions into the principal's entry (or adds one), `remove` takes them out
 * (an entry left with none goes), `replace` sets them (the spec's updateAccessPoliciesAdd example).
 */
function updateAccessPolicies(ctx: ArmContext, subscriptionId: string, rgName: string, name: string, kind: string): Reply {
  if (ctx.method !== 'PUT') throw errors.methodNotAllowed(ctx.method, ctx.path);
  ctx.requireSubscription(subscriptionId);
  const { existing, notFound } = trackedTarget(ctx, { subscriptionId, resourceGroup: rgName, name, child: '' }, VAULT_TYPE, `${VAULT_TYPE}/accessPolicies/write`);
  if (!existing) throw notFound();
  const body = ctx.json();
  const requested = isObject(body.properties) ? body.properties.accessPolicies : undefined;
  if (!Array.isArray(requested)) throw keyVaultArmErrors.badProperty('properties.accessPolicies', 'an array of { tenantId, objectId, permissions }');
  const policies = (Array.isArray(existing.properties.accessPolicies) ? existing.properties.accessPolicies : []).map((p) => structuredClone(p as AccessPolicy));
  for (const entry of requested as AccessPolicy[]) {
    if (!isObject(entry) || typeof entry.objectId !== 'string') throw keyVaultArmErrors.badProperty('properties.accessPolicies[].objectId', "the principal's object id");
    const index = policies.findIndex((p) => samePolicyPrincipal(p, entry));
    const current = index >= 0 ? policies[index]! : undefined;
    const wanted = isObject(entry.permissions) ? entry.permissions : {};
    if (kind === 'replace' || (kind === 'add' && !current)) {
      if (current) current.permissions = structuredClone(wanted);
      else policies.push(structuredClone(entry));
      continue;
    }
    if (!current) continue;
    const merged: Record<string, unknown> = { ...(current.permissions ?? {}) };
    for (const [area, list] of Object.entries(wanted)) {
      const have = Array.isArray(merged[area]) ? (merged[area] as unknown[]).map((v) => String(v).toLowerCase()) : [];
      const given = Array.isArray(list) ? list.map((v) => String(v).toLowerCase()) : [];
      merged[area] = kind === 'add' ? [...new Set([...have, ...given])] : have.filter((v) => !given.includes(v));
    }
    current.permissions = merged;
    if (kind === 'remove' && Object.values(merged).every((list) => !Array.isArray(list) || list.length === 0)) policies.splice(index, 1);
  }
  const record = ctx.store.mutate((draft) => {
    const r = draft.resources[keyOf(existing.id)] as ResourceRecord;
    draft.resources[keyOf(existing.id)] = { ...r, properties: { ...r.properties, accessPolicies: policies } };
    return draft.resources[keyOf(existing.id)] as ResourceRecord;
  });
  return {
    status: 201,
    body: { id: `${record.id}/accessPolicies/${kind}`, name: kind, type: `${VAULT_TYPE}/accessPolicies`, location: record.location, properties: { accessPolicies: policies } },
  };
}
