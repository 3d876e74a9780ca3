// Microsoft.ManagedIdentity/userAssignedIdentities: put, patch, get, delete, list by resource
// group and by subscription. Each new identity gets a new principalId and clientId and a
// service principal in the directory; delete and re-create yields new ids.
import type { ArmContext } from '../arm/context.js';
import { removeResource } from '../arm/lifecycle.js';
import { matchProviderPath } from '../arm/paths.js';
import { listTracked, tagsOf, trackedTarget } from '../arm/tracked.js';
import { createManagedIdentityPrincipal } from '../directory.js';
import { errors } from '../errors.js';
import type { Reply } from '../http.js';
import { USER_ASSIGNED_IDENTITY_TYPE } from '../identity.js';
import { keyOf, type ResourceRecord } from '../model.js';

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}$/;

function toWire(r: ResourceRecord): Record<string, unknown> {
  const body: Record<string, unknown> = { id: r.id, name: r.name, type: USER_ASSIGNED_IDENTITY_TYPE, location: r.location };
  body.tags = r.tags ?? {};
  body.properties = { ...r.properties };
  return body;
}

export function handleUserAssignedIdentities(ctx: ArmContext): Reply | undefined {
  const p = matchProviderPath(ctx.path, USER_ASSIGNED_IDENTITY_TYPE);
  if (!p || p.child !== '') return undefined;
  const { method } = ctx;
  ctx.requireSubscription(p.subscriptionId);

  if (p.name === undefined) {
    if (method !== 'GET') throw errors.methodNotAllowed(method, ctx.path);
    return { status: 200, body: ctx.page(listTracked(ctx, p, USER_ASSIGNED_IDENTITY_TYPE).map(toWire)) };
  }

  const { rg, existing, notFound, name } = trackedTarget(ctx, p, USER_ASSIGNED_IDENTITY_TYPE);
  switch (method) {
    case 'GET':
      if (!existing) throw notFound();
      return { status: 200, body: toWire(existing) };
    case 'PUT': {
      if (!NAME.test(name)) throw errors.invalidResourceName(name, USER_ASSIGNED_IDENTITY_TYPE);
      const body = ctx.json();
      const location = typeof body.location === 'string' ? body.location : undefined;
      if (!location) throw errors.missingLocation();
      const record = ctx.store.mutate((draft) => {
        if (existing) {
          const r = draft.resources[keyOf(existing.id)] as ResourceRecord;
          r.tags = tagsOf(body.tags) ?? {};
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
          tags: tagsOf(body.tags) ?? {},
          properties: { isolationScope: 'None', tenantId: draft.tenantId, principalId: principal.objectId, clientId: principal.appId },
          createdAt: new Date().toISOString(),
        };
        draft.resources[keyOf(id)] = r;
        return r;
      });
      return { status: existing ? 200 : 201, body: toWire(record) };
    }
    case 'PATCH': {
      if (!existing) throw notFound();
      const body = ctx.json();
      const record = ctx.store.mutate((draft) => {
        const r = draft.resources[keyOf(existing.id)] as ResourceRecord;
        const tags = tagsOf(body.tags);
        if (tags) r.tags = tags;
        return r;
      });
      return { status: 200, body: toWire(record) };
    }
    case 'DELETE':
      if (!existing) return { status: 204 };
      ctx.store.mutate((draft) => removeResource(draft, existing));
      return { status: 200 };
    default:
      throw errors.methodNotAllowed(method, ctx.path);
  }
}
