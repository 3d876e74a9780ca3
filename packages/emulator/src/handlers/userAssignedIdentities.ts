// Microsoft.ManagedIdentity/userAssignedIdentities: put, patch, get, delete, list by resource
// group and by subscription. Each new identity gets a new principalId and clientId and a
// service principal in the directory; delete and re-create yields new ids.
import type { ArmContext } from '../arm/context.js';
import { removeResource } from '../arm/lifecycle.js';
import { matchProviderPath, type ProviderPath } from '../arm/paths.js';
import { listTracked, regionOf, sameLocation, tagsOf, trackedTarget } from '../arm/tracked.js';
import { createManagedIdentityPrincipal } from '../directory.js';
import { errors } from '../errors.js';
import type { Reply } from '../http.js';
import { USER_ASSIGNED_IDENTITY_TYPE } from '../identity.js';
import { keyOf, type ResourceRecord } from '../model.js';

/** Microsoft Learn, "Naming rules and restrictions for Azure resources", Microsoft.ManagedIdentity. */
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}$/;
const NAME_RULE = 'The name must be 3-128 characters of letters, digits, hyphens and underscores, and start with a letter or digit.';

/**
 * `properties.isolationScope` came with api-version 2024-11-30 (and 2025-01-31-preview): the
 * msi specs' IdentityGet examples have it there and not at 2023-01-31 or 2023-07-31-preview.
 */
function hasIsolationScope(apiVersion: string): boolean {
  return apiVersion >= '2024-11-30';
}

function toWire(r: ResourceRecord, apiVersion: string): Record<string, unknown> {
  const body: Record<string, unknown> = { id: r.id, name: r.name, type: USER_ASSIGNED_IDENTITY_TYPE, location: r.location };
  body.tags = r.tags ?? {};
  const properties = { ...r.properties };
  if (hasIsolationScope(apiVersion)) properties.isolationScope ??= 'None';
  else delete properties.isolationScope;
  body.properties = properties;
  return body;
}

export function handleUserAssignedIdentities(ctx: ArmContext): Reply | undefined {
  const p = matchProviderPath(ctx.path, USER_ASSIGNED_IDENTITY_TYPE);
  if (!p) return undefined;
  if (p.child === 'listassociatedresources') return listAssociatedResources(ctx, p);
  if (p.child !== '') return undefined;
  const { method } = ctx;
  ctx.requireSubscription(p.subscriptionId);
  const wire = (r: ResourceRecord) => toWire(r, ctx.apiVersion);

  if (p.name === undefined) {
    if (method !== 'GET') throw errors.methodNotAllowed(method, ctx.path);
    return { status: 200, body: ctx.page(listTracked(ctx, p, USER_ASSIGNED_IDENTITY_TYPE), wire) };
  }

  const { rg, existing, notFound, name } = trackedTarget(ctx, p, USER_ASSIGNED_IDENTITY_TYPE);
  switch (method) {
    case 'GET':
      if (!existing) throw notFound();
      return { status: 200, body: wire(existing) };
    case 'PUT': {
      if (!NAME.test(name)) throw errors.invalidResourceNameForType(name, USER_ASSIGNED_IDENTITY_TYPE, NAME_RULE);
      const body = ctx.json();
      const requested = typeof body.location === 'string' ? body.location : undefined;
      if (!requested) throw errors.missingLocation();
      const location = regionOf(requested, USER_ASSIGNED_IDENTITY_TYPE);
      if (existing && !sameLocation(existing.location, location)) throw errors.invalidResourceLocation(existing.name, existing.location, rg.name, requested);
      const tags = tagsOf(body.tags) ?? {};
      const record = ctx.store.mutate((draft) => {
        if (existing) {
          const r = draft.resources[keyOf(existing.id)] as ResourceRecord;
          r.tags = tags;
          return r;
        }
        // The MSI resource provider spells `resourcegroups` in lower case in the ids it returns.
        const id = `/subscriptions/${p.subscriptionId}/resourcegroups/${rg.name}/providers/${USER_ASSIGNED_IDENTITY_TYPE}/${name}`;
        const principal = createManagedIdentityPrincipal(draft, 'userAssignedIdentity', name, id);
        const r: ResourceRecord = {
          id,
          name,
          type: USER_ASSIGNED_IDENTITY_TYPE,
          location,
          resourceGroup: rg.name,
          tags,
          properties: { isolationScope: 'None', tenantId: draft.tenantId, principalId: principal.objectId, clientId: principal.appId },
          createdAt: new Date().toISOString(),
        };
        draft.resources[keyOf(id)] = r;
        return r;
      });
      return { status: existing ? 200 : 201, body: wire(record) };
    }
    case 'PATCH': {
      if (!existing) throw notFound();
      const body = ctx.json();
      const tags = tagsOf(body.tags);
      const record = ctx.store.mutate((draft) => {
        const r = draft.resources[keyOf(existing.id)] as ResourceRecord;
        if (tags) r.tags = tags;
        return r;
      });
      return { status: 200, body: wire(record) };
    }
    case 'DELETE':
      if (!existing) return { status: 204 };
      // The identity's service principal goes with it; its role assignments elsewhere stay, naming
      // the principal that is gone: "The role assignments aren't removed automatically. Role
      // assignments that refer to a deleted principal ID are listed as Identity not found" (Learn,
      // "Understand Azure role assignments", https://learn.microsoft.com/azure/role-based-access-control/role-assignments#role-assignments-with-identity-not-found;
      // graders/test/11-clean-up.test.ts holds the emulator to it).
      ctx.store.mutate((draft) => removeResource(draft, existing));
      return { status: 200 };
    default:
      throw errors.methodNotAllowed(method, ctx.path);
  }
}

/**
 * `POST …/userAssignedIdentities/{name}/listAssociatedResources` (api-versions
 * 2021-09-30-preview and 2022-01-31-preview): the resources the identity is attached to, in the
 * shape of the msi spec's IdentityListAssociatedResources example (`totalCount`, `value` of
 * `{id, name, type, resourceGroup, subscriptionId, subscriptionDisplayName}`, `nextLink`), with
 * `$filter` `contains(name, '…')` or `type eq '…'`, `$orderby` `name`/`type` `asc|desc`, `$skip`, `$top`.
 */
function listAssociatedResources(ctx: ArmContext, p: ProviderPath): Reply {
  if (ctx.method !== 'POST' || p.name === undefined) throw errors.methodNotAllowed(ctx.method, ctx.path);
  ctx.requireSubscription(p.subscriptionId);
  const { existing, notFound } = trackedTarget(ctx, p, USER_ASSIGNED_IDENTITY_TYPE, `${USER_ASSIGNED_IDENTITY_TYPE}/listAssociatedResources/action`);
  if (!existing) throw notFound();
  const params = ctx.url.searchParams;
  let items = Object.values(ctx.state.resources).filter((r) =>
    Object.keys(r.identity?.userAssignedIdentities ?? {}).some((id) => keyOf(id) === keyOf(existing.id)),
  );
  const filter = params.get('$filter');
  if (filter) {
    const contains = /^\s*contains\(\s*name\s*,\s*'([^']*)'\s*\)\s*$/i.exec(filter);
    const typeEq = /^\s*type\s+eq\s+'([^']*)'\s*$/i.exec(filter);
    if (contains) items = items.filter((r) => r.name.toLowerCase().includes((contains[1] ?? '').toLowerCase()));
    else if (typeEq) items = items.filter((r) => r.type.toLowerCase() === (typeEq[1] ?? '').toLowerCase());
    else throw errors.invalidFilter(filter);
  }
  const orderby = /^\s*(name|type)(?:\s+(asc|desc))?\s*$/i.exec(params.get('$orderby') ?? 'name');
  if (!orderby) throw errors.invalidFilter(params.get('$orderby') ?? '');
  const key = (orderby[1] ?? 'name').toLowerCase() as 'name' | 'type';
  items.sort((a, b) => a[key].toLowerCase().localeCompare(b[key].toLowerCase()));
  if ((orderby[2] ?? '').toLowerCase() === 'desc') items.reverse();
  const skip = params.get('$skip');
  if (skip !== null) {
    if (!/^\d{1,9}$/.test(skip)) throw errors.invalidSkipToken(skip);
    items = items.slice(Number(skip));
  }
  const subscriptionName = ctx.state.subscriptions[p.subscriptionId.toLowerCase()]?.displayName ?? '';
  const page = ctx.page(
    items.map((r) => ({
      id: r.id,
      name: r.name,
      type: r.type.toLowerCase(),
      resourceGroup: r.resourceGroup,
      subscriptionId: /^\/subscriptions\/([^/]+)/i.exec(r.id)?.[1] ?? p.subscriptionId,
      subscriptionDisplayName: subscriptionName,
    })),
  );
  return { status: 200, body: { totalCount: items.length, ...page } };
}
