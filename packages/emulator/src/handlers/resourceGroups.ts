// Microsoft.Resources: resource groups (get, head, put, patch, delete, list with tag filters,
// exportTemplate), the resources in a resource group or subscription, and the operation results
// of a resource group deletion or export.
import type { ArmContext } from '../arm/context.js';
import { allBeingDeleted, beingDeleted, DELETE_MIN_MS, pollDeletion, removeResourceGroup, startDeleting, stopDeleting } from '../arm/lifecycle.js';
import { regionOf, sameLocation, tagsOf } from '../arm/tracked.js';
import { errors } from '../errors.js';
import type { Reply } from '../http.js';
import { keyOf, type ResourceGroupRecord, type ResourceRecord } from '../model.js';
import { actionFor } from '../rbac.js';
import { exportResult, exportTemplate } from './exportTemplate.js';

/** The resource types with an IMDS of their own (imds/manager.ts follows them through `vm` events). */
const IMDS_HOST_TYPES = new Set(['microsoft.compute/virtualmachines', 'microsoft.containerinstance/containergroups']);

const RG_TYPE = 'Microsoft.Resources/subscriptions/resourceGroups';
/** Letters (any script), digits, '.', '-', '_', '(' and ')' (Microsoft Learn, "Naming rules …", Microsoft.Resources). */
const RG_CHARACTER = /[\p{L}\p{Nd}._()-]/u;

/** 400 `InvalidResourceGroup` unless `name` follows ARM's resource group naming rules. */
function checkResourceGroupName(name: string): void {
  const invalid = [...new Set([...name].filter((c) => !RG_CHARACTER.test(c)))].join('');
  if (invalid !== '') throw errors.invalidResourceGroupCharacters(name, invalid);
  if (name.length === 0 || name.length > 90 || name.endsWith('.')) throw errors.invalidResourceGroupShape(name);
}

/**
 * A resource group as ARM returns it: `type` since api-version 2017-05-10, `tags` always (`{}`
 * when none: recorded Azure traffic shows them so), `provisioningState` `Deleting` while a
 * deletion runs.
 */
function rgToWire(rg: ResourceGroupRecord, apiVersion: string, provisioningState = 'Succeeded'): Record<string, unknown> {
  const body: Record<string, unknown> = { id: rg.id, name: rg.name };
  if (apiVersion >= '2017-05-10') body.type = 'Microsoft.Resources/resourceGroups';
  body.location = rg.location;
  if (rg.managedBy) body.managedBy = rg.managedBy;
  body.tags = rg.tags ?? {};
  body.properties = { provisioningState };
  return body;
}

/**
 * The resource-group list's `$filter`: `tagName eq '…'`, optionally `and tagValue eq '…'` (the
 * REST reference's ResourceGroups_List: "You can filter by tag names and values").
 */
function tagFilter(filter: string | null): ((rg: ResourceGroupRecord) => boolean) | undefined {
  if (filter === null || filter.trim() === '') return undefined;
  const match = /^\s*tagName\s+eq\s+'((?:[^']|'')*)'(?:\s+and\s+tagValue\s+eq\s+'((?:[^']|'')*)')?\s*$/i.exec(filter);
  if (!match) throw errors.invalidFilter(filter);
  const name = (match[1] ?? '').replace(/''/g, "'").toLowerCase();
  const value = match[2]?.replace(/''/g, "'");
  return (rg) => {
    // Tag names compare without case, values with (Microsoft Learn, "Use tags …").
    const entry = Object.entries(rg.tags ?? {}).find(([k]) => k.toLowerCase() === name);
    return entry !== undefined && (value === undefined || entry[1] === value);
  };
}

/** The generic shape of a resource in `…/resources` lists. */
export function genericResource(r: ResourceRecord): Record<string, unknown> {
  const body: Record<string, unknown> = { id: r.id, name: r.name, type: r.type, location: r.location };
  if (r.tags) body.tags = r.tags;
  if (r.identity) body.identity = r.identity;
  return body;
}

function filterByType(ctx: ArmContext, resources: ResourceRecord[]): ResourceRecord[] {
  const filter = ctx.url.searchParams.get('$filter');
  if (!filter) return resources;
  const match = /^\s*resourceType\s+eq\s+'([^']+)'\s*$/i.exec(filter);
  if (!match) throw errors.invalidFilter(filter);
  const type = (match[1] ?? '').toLowerCase();
  return resources.filter((r) => r.type.toLowerCase() === type);
}

export function handleResourceGroups(ctx: ArmContext): Reply | undefined {
  const { method, path } = ctx;

  let match = /^\/subscriptions\/([^/]+)\/resourcegroups\/?$/i.exec(path);
  if (match) {
    if (method !== 'GET') throw errors.methodNotAllowed(method, path);
    const sub = match[1] ?? '';
    ctx.requireSubscription(sub);
    const action = actionFor('GET', RG_TYPE);
    ctx.action = action;
    const byTag = tagFilter(ctx.url.searchParams.get('$filter'));
    // At subscription level ARM lists what the caller may read: the whole subscription's groups
    // for a caller who may read the subscription (asked once, not group by group: RBAC has no
    // deny below a grant), else group by group.
    const prefix = `${keyOf(`/subscriptions/${sub}`)}/`;
    const readsAll = ctx.permits(action, `/subscriptions/${sub}`);
    const inSubscription = (key: string, rg: ResourceGroupRecord) => key.startsWith(prefix) && (readsAll || ctx.permits(action, rg.id));
    const groups: ResourceGroupRecord[] = [];
    // The world's keys are the ids' keys (lower case): no per-group lower-casing.
    const world = ctx.state.resourceGroups;
    for (const key in world) if (inSubscription(key, world[key]!)) groups.push(world[key]!);
    const deleting = allBeingDeleted(ctx.store).filter((rg) => inSubscription(keyOf(rg.id), rg));
    if (groups.length === 0 && deleting.length === 0 && !readsAll) ctx.authorize(action, `/subscriptions/${sub}`);
    const listed = [
      ...groups.filter((rg) => !byTag || byTag(rg)).map((rg) => ({ rg, state: 'Succeeded' })),
      ...deleting.filter((rg) => !byTag || byTag(rg)).map((rg) => ({ rg, state: 'Deleting' })),
    ];
    // Only the page's groups are turned into their answer.
    return { status: 200, body: ctx.page(listed, ({ rg, state }) => rgToWire(rg, ctx.apiVersion, state)) };
  }

  match = /^\/subscriptions\/([^/]+)\/resources\/?$/i.exec(path);
  if (match && method === 'GET') {
    const sub = match[1] ?? '';
    ctx.requireSubscription(sub);
    const action = 'Microsoft.Resources/subscriptions/resources/read';
    ctx.action = action;
    // What the caller may read: each type's read asked once at the subscription (RBAC has no
    // deny below a grant), resource by resource only for a type the caller may not read there.
    const prefix = `${keyOf(`/subscriptions/${sub}`)}/`;
    const readsAllOfType = new Map<string, boolean>();
    const readable = (r: ResourceRecord): boolean => {
      let all = readsAllOfType.get(r.type);
      if (all === undefined) readsAllOfType.set(r.type, (all = ctx.permits(actionFor('GET', r.type), `/subscriptions/${sub}`)));
      return all || ctx.permits(actionFor('GET', r.type), r.id);
    };
    const inSubscription: ResourceRecord[] = [];
    // The world's keys are the ids' keys (lower case): no per-resource lower-casing, and no
    // entries array of the whole world per page.
    const world = ctx.state.resources;
    for (const key in world) if (key.startsWith(prefix)) inSubscription.push(world[key]!);
    const resources = filterByType(ctx, inSubscription).filter(readable);
    return { status: 200, body: ctx.page(resources, genericResource) };
  }

  match = /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/resources\/?$/i.exec(path);
  if (match && method === 'GET') {
    const [, sub = '', name = ''] = match;
    ctx.requireSubscription(sub);
    const scope = `/subscriptions/${sub}/resourceGroups/${name}`;
    ctx.authorize('Microsoft.Resources/subscriptions/resourceGroups/resources/read', scope);
    const rg = ctx.requireResourceGroup(sub, name);
    // The store's index of the group's resources, in the world's order (not a scan of the world).
    const resources = filterByType(ctx, [...ctx.store.indexes.resourcesInGroup(rg.id).values()]);
    return { status: 200, body: ctx.page(resources, genericResource) };
  }

  match = /^\/subscriptions\/([^/]+)\/operationresults\/([^/]+)\/?$/i.exec(path);
  if (match && method === 'GET') {
    const [, sub = '', token = ''] = match;
    ctx.requireSubscription(sub);
    // Whoever started an operation may poll it, whatever scope their role has (the id is a GUID).
    ctx.action = 'Microsoft.Resources/subscriptions/operationresults/read';
    const operation = ctx.state.operations[token];
    if (!operation) throw errors.operationNotFound(token);
    if (pollDeletion(ctx.store, token)) return { status: 202, headers: { location: `${ctx.baseUrl}${ctx.url.pathname}${ctx.url.search}`, 'retry-after': String(Math.ceil(DELETE_MIN_MS / 1000)) } };
    const result = exportResult(ctx.store, token);
    if (result) return { status: 200, body: result };
    return { status: operation.status === 'InProgress' ? 202 : 200 };
  }

  match = /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/exporttemplate\/?$/i.exec(path);
  if (match) {
    if (method !== 'POST') throw errors.methodNotAllowed(method, path);
    const [, sub = '', name = ''] = match;
    ctx.requireSubscription(sub);
    ctx.authorize('Microsoft.Resources/subscriptions/resourceGroups/exportTemplate/action', `/subscriptions/${sub}/resourceGroups/${name}`);
    return exportTemplate(ctx, sub, ctx.requireResourceGroup(sub, name));
  }

  match = /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/?$/i.exec(path);
  if (!match) return undefined;
  const [, sub = '', name = ''] = match;
  ctx.requireSubscription(sub);
  const id = `/subscriptions/${sub}/resourceGroups/${name}`;
  ctx.authorize(actionFor(method, RG_TYPE), id);
  const existing = ctx.state.resourceGroups[keyOf(id)];
  const deleting = existing ? undefined : beingDeleted(ctx.store, id);

  switch (method) {
    case 'GET':
      if (deleting) return { status: 200, body: rgToWire(deleting, ctx.apiVersion, 'Deleting') };
      if (!existing) throw errors.resourceGroupNotFound(name);
      return { status: 200, body: rgToWire(existing, ctx.apiVersion) };
    case 'HEAD':
      return { status: existing || deleting ? 204 : 404 };
    case 'PUT': {
      checkResourceGroupName(name);
      const body = ctx.json();
      const requested = typeof body.location === 'string' ? body.location : undefined;
      if (!requested) throw errors.missingLocation();
      const location = regionOf(requested, undefined);
      if (existing && !sameLocation(existing.location, location)) throw errors.resourceGroupLocationConflict(requested, existing.location);
      const tags = tagsOf(body.tags);
      const record = ctx.store.mutate((draft) => {
        const rg: ResourceGroupRecord = {
          id: existing?.id ?? id,
          name: existing?.name ?? name,
          location: existing?.location ?? location,
        };
        if (tags) rg.tags = tags;
        if (typeof body.managedBy === 'string') rg.managedBy = body.managedBy;
        draft.resourceGroups[keyOf(id)] = rg;
        return rg;
      });
      stopDeleting(ctx.store, id);
      return { status: existing ? 200 : 201, body: rgToWire(record, ctx.apiVersion) };
    }
    case 'PATCH': {
      if (!existing) throw errors.resourceGroupNotFound(name);
      const body = ctx.json();
      const tags = tagsOf(body.tags);
      const record = ctx.store.mutate((draft) => {
        const rg = draft.resourceGroups[keyOf(id)] as ResourceGroupRecord;
        if (tags) rg.tags = tags;
        if (typeof body.managedBy === 'string') rg.managedBy = body.managedBy;
        return rg;
      });
      return { status: 200, body: rgToWire(record, ctx.apiVersion) };
    }
    case 'DELETE': {
      if (!existing) throw errors.resourceGroupNotFound(name);
      const { removed, statusUrl, operationId } = ctx.store.mutate((draft) => {
        const gone = removeResourceGroup(draft, existing.id);
        const operation = ctx.recordOperation(draft, (opId) => `/subscriptions/${sub}/operationresults/${opId}`);
        return { removed: gone, statusUrl: operation.statusUrl, operationId: operation.operationId };
      });
      startDeleting(ctx.store, existing, operationId);
      for (const r of removed) {
        // VMs and container groups: each has its own IMDS listener, which the `vm` event stops.
        if (IMDS_HOST_TYPES.has(r.type.toLowerCase())) ctx.events.emit('vm', { vmId: r.id, kind: 'deleted', identity: undefined });
      }
      // As the spec's ForceDeleteVMsInResourceGroup example: 202 with Location (operationresults).
      return { status: 202, headers: { location: statusUrl, 'retry-after': String(Math.ceil(DELETE_MIN_MS / 1000)) } };
    }
    default:
      throw errors.methodNotAllowed(method, path);
  }
}
