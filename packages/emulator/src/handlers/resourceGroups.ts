// Microsoft.Resources: resource groups (get, head, put, patch, delete, list), the resources in a
// resource group or subscription, and the operation results of a resource group deletion.
import type { ArmContext } from '../arm/context.js';
import { removeResourceGroup } from '../arm/lifecycle.js';
import { tagsOf } from '../arm/tracked.js';
import { errors } from '../errors.js';
import type { Reply } from '../http.js';
import { keyOf, type ResourceGroupRecord, type ResourceRecord } from '../model.js';
import { actionFor } from '../rbac.js';

const RG_TYPE = 'Microsoft.Resources/subscriptions/resourceGroups';
const RG_NAME = /^[-\w._()]{1,90}$/u;

/** Resource groups gained `type` in their body with api-version 2017-05-10. */
function rgToWire(rg: ResourceGroupRecord, apiVersion: string): Record<string, unknown> {
  const body: Record<string, unknown> = { id: rg.id, name: rg.name };
  if (apiVersion >= '2017-05-10') body.type = 'Microsoft.Resources/resourceGroups';
  body.location = rg.location;
  if (rg.managedBy) body.managedBy = rg.managedBy;
  if (rg.tags && Object.keys(rg.tags).length > 0) body.tags = rg.tags;
  body.properties = { provisioningState: 'Succeeded' };
  return body;
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
    // At subscription level ARM lists what the caller may read.
    const groups = Object.values(ctx.state.resourceGroups).filter(
      (rg) => rg.id.toLowerCase().startsWith(`/subscriptions/${sub.toLowerCase()}/`) && ctx.permits(action, rg.id),
    );
    if (groups.length === 0 && !ctx.permits(action, `/subscriptions/${sub}`)) ctx.authorize(action, `/subscriptions/${sub}`);
    return { status: 200, body: ctx.page(groups.map((rg) => rgToWire(rg, ctx.apiVersion))) };
  }

  match = /^\/subscriptions\/([^/]+)\/resources\/?$/i.exec(path);
  if (match && method === 'GET') {
    const sub = match[1] ?? '';
    ctx.requireSubscription(sub);
    const action = 'Microsoft.Resources/subscriptions/resources/read';
    ctx.action = action;
    const resources = filterByType(ctx, Object.values(ctx.state.resources)).filter(
      (r) => r.id.toLowerCase().startsWith(`/subscriptions/${sub.toLowerCase()}/`) && ctx.permits(actionFor('GET', r.type), r.id),
    );
    return { status: 200, body: ctx.page(resources.map(genericResource)) };
  }

  match = /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/resources\/?$/i.exec(path);
  if (match && method === 'GET') {
    const [, sub = '', name = ''] = match;
    ctx.requireSubscription(sub);
    const scope = `/subscriptions/${sub}/resourceGroups/${name}`;
    ctx.authorize('Microsoft.Resources/subscriptions/resourceGroups/resources/read', scope);
    const rg = ctx.requireResourceGroup(sub, name);
    const resources = filterByType(ctx, Object.values(ctx.state.resources)).filter((r) => r.id.toLowerCase().startsWith(`${rg.id.toLowerCase()}/`));
    return { status: 200, body: ctx.page(resources.map(genericResource)) };
  }

  match = /^\/subscriptions\/([^/]+)\/operationresults\/([^/]+)\/?$/i.exec(path);
  if (match && method === 'GET') {
    const [, sub = '', token = ''] = match;
    ctx.requireSubscription(sub);
    // Whoever started an operation may poll it, whatever scope their role has (the id is a GUID).
    ctx.action = 'Microsoft.Resources/subscriptions/operationresults/read';
    const operation = ctx.state.operations[token];
    if (!operation) throw errors.operationNotFound(token);
    return { status: operation.status === 'InProgress' ? 202 : 200 };
  }

  match = /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/?$/i.exec(path);
  if (!match) return undefined;
  const [, sub = '', name = ''] = match;
  ctx.requireSubscription(sub);
  const id = `/subscriptions/${sub}/resourceGroups/${name}`;
  ctx.authorize(actionFor(method, RG_TYPE), id);
  const existing = ctx.state.resourceGroups[keyOf(id)];

  switch (method) {
    case 'GET':
      if (!existing) throw errors.resourceGroupNotFound(name);
      return { status: 200, body: rgToWire(existing, ctx.apiVersion) };
    case 'HEAD':
      return { status: existing ? 204 : 404 };
    case 'PUT': {
      if (!RG_NAME.test(name) || name.endsWith('.')) throw errors.invalidResourceGroupName(name);
      const body = ctx.json();
      const location = typeof body.location === 'string' ? body.location : undefined;
      if (!location) throw errors.missingLocation();
      if (existing && existing.location.replace(/\s/g, '').toLowerCase() !== location.replace(/\s/g, '').toLowerCase()) {
        throw errors.resourceGroupLocationConflict(location, existing.location);
      }
      const record = ctx.store.mutate((draft) => {
        const rg: ResourceGroupRecord = {
          id: existing?.id ?? id,
          name: existing?.name ?? name,
          location: existing?.location ?? location,
        };
        const tags = tagsOf(body.tags);
        if (tags) rg.tags = tags;
        if (typeof body.managedBy === 'string') rg.managedBy = body.managedBy;
        draft.resourceGroups[keyOf(id)] = rg;
        return rg;
      });
      return { status: existing ? 200 : 201, body: rgToWire(record, ctx.apiVersion) };
    }
    case 'PATCH': {
      if (!existing) throw errors.resourceGroupNotFound(name);
      const body = ctx.json();
      const record = ctx.store.mutate((draft) => {
        const rg = draft.resourceGroups[keyOf(id)] as ResourceGroupRecord;
        const tags = tagsOf(body.tags);
        if (tags) rg.tags = tags;
        if (typeof body.managedBy === 'string') rg.managedBy = body.managedBy;
        return rg;
      });
      return { status: 200, body: rgToWire(record, ctx.apiVersion) };
    }
    case 'DELETE': {
      if (!existing) throw errors.resourceGroupNotFound(name);
      const { removed, statusUrl } = ctx.store.mutate((draft) => {
        const gone = removeResourceGroup(draft, existing.id);
        const operation = ctx.recordOperation(draft, (operationId) => `/subscriptions/${sub}/operationresults/${operationId}`);
        return { removed: gone, statusUrl: operation.statusUrl };
      });
      for (const r of removed) {
        if (r.type.toLowerCase() === 'microsoft.compute/virtualmachines') ctx.events.emit('vm', { vmId: r.id, kind: 'deleted', identity: undefined });
      }
      return { status: 202, headers: { location: statusUrl, 'retry-after': '0' } };
    }
    default:
      throw errors.methodNotAllowed(method, path);
  }
}
