// Microsoft.Compute/virtualMachines: get, put, patch, delete, list (resource group and
// subscription), instance view, and the Compute operation status endpoint. Writes answer as
// Compute does, as long-running operations with `Azure-AsyncOperation`; the change is applied
// before the reply, so pollers finish on their first poll. Attaching a user-assigned identity
// also needs `…/userAssignedIdentities/assign/action` on it (403 LinkedAuthorizationFailed).
import { randomUUID } from 'node:crypto';
import type { ArmContext } from '../arm/context.js';
import { removeResource } from '../arm/lifecycle.js';
import { matchProviderPath } from '../arm/paths.js';
import { isObject, listTracked, trackedTarget } from '../arm/tracked.js';
import { errors } from '../errors.js';
import type { Reply } from '../http.js';
import { applyIdentity, ASSIGN_ACTION, planIdentity } from '../identity.js';
import { keyOf, type ResourceRecord } from '../model.js';
import { actionFor } from '../rbac.js';

export const VM_TYPE = 'Microsoft.Compute/virtualMachines';
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;
/** Properties a VM never returns (secrets), and ones the platform owns. */
const WRITE_ONLY = ['adminPassword', 'customData'];

function toWire(r: ResourceRecord, provisioningState?: string): Record<string, unknown> {
  const body: Record<string, unknown> = { name: r.name, id: r.id, type: VM_TYPE, location: r.location };
  if (r.tags && Object.keys(r.tags).length > 0) body.tags = r.tags;
  if (r.identity) body.identity = structuredClone(r.identity);
  if (r.zones) body.zones = r.zones;
  body.properties = { ...r.properties, provisioningState: provisioningState ?? 'Succeeded' };
  if (r.etag) body.etag = r.etag;
  return body;
}

/** Deep merge for PATCH: objects merge, everything else (arrays included) replaces. */
function merge(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(patch)) {
    const current = target[key];
    target[key] = isObject(value) && isObject(current) ? merge({ ...current }, value) : value;
  }
  return target;
}

function scrub(properties: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(properties);
  const osProfile = copy.osProfile;
  if (isObject(osProfile)) for (const key of WRITE_ONLY) delete osProfile[key];
  delete copy.provisioningState;
  delete copy.instanceView;
  return copy;
}

/** Fills in what Compute adds to a new VM's properties. */
function platformProperties(name: string, properties: Record<string, unknown>, existing: ResourceRecord | undefined): Record<string, unknown> {
  const next = scrub(properties);
  next.vmId = (existing?.properties.vmId as string | undefined) ?? randomUUID();
  next.timeCreated = (existing?.properties.timeCreated as string | undefined) ?? new Date().toISOString().replace('Z', '0000+00:00');
  const storage = isObject(next.storageProfile) ? next.storageProfile : undefined;
  const osProfile = isObject(next.osProfile) ? next.osProfile : undefined;
  const image = storage && isObject(storage.imageReference) ? storage.imageReference : {};
  const windows = osProfile && 'windowsConfiguration' in osProfile ? true : osProfile && 'linuxConfiguration' in osProfile ? false : /windows/i.test(String(image.publisher ?? ''));
  if (storage) {
    storage.dataDisks ??= [];
    if (isObject(storage.osDisk)) {
      const osDisk = storage.osDisk;
      osDisk.name ??= `${name}_OsDisk_1_${randomUUID().replace(/-/g, '')}`;
      osDisk.osType ??= windows ? 'Windows' : 'Linux';
    }
  }
  if (osProfile) {
    osProfile.secrets ??= [];
    // Compute fills in the OS configuration the request left out.
    if (windows) osProfile.windowsConfiguration ??= { provisionVMAgent: true, enableAutomaticUpdates: true };
    else osProfile.linuxConfiguration ??= { disablePasswordAuthentication: false, provisionVMAgent: true };
  }
  return next;
}

function linkedCheck(ctx: ArmContext, vmId: string, linked: string[]): void {
  const denied = linked.filter((id) => !ctx.permits(ASSIGN_ACTION, id));
  if (denied.length > 0) {
    throw errors.linkedAuthorizationFailed(ctx.caller.objectId, actionFor('PUT', VM_TYPE), vmId, ASSIGN_ACTION, denied);
  }
}

function asyncHeaders(statusUrl: string): Record<string, string> {
  return { 'azure-asyncoperation': statusUrl, 'retry-after': '0' };
}

function operationPath(subscriptionId: string, location: string) {
  return (operationId: string) => `/subscriptions/${subscriptionId}/providers/Microsoft.Compute/locations/${location.replace(/\s/g, '').toLowerCase()}/operations/${operationId}`;
}

function handleOperationStatus(ctx: ArmContext): Reply | undefined {
  const match = /^\/subscriptions\/([^/]+)\/providers\/microsoft\.compute\/locations\/([^/]+)\/operations\/([^/]+)\/?$/i.exec(ctx.path);
  if (!match || ctx.method !== 'GET') return undefined;
  const [, sub = '', , operationId = ''] = match;
  ctx.requireSubscription(sub);
  // Whoever started an operation may poll it, whatever scope their role has (the id is a GUID).
  ctx.action = 'Microsoft.Compute/locations/operations/read';
  const operation = ctx.state.operations[operationId];
  if (!operation) throw errors.operationNotFound(operationId);
  if (ctx.url.searchParams.get('monitor') === 'true') return { status: operation.status === 'InProgress' ? 202 : 200 };
  const body: Record<string, unknown> = { startTime: operation.startTime, status: operation.status, name: operation.name };
  if (operation.endTime) body.endTime = operation.endTime;
  return { status: 200, body };
}

export function handleVirtualMachines(ctx: ArmContext): Reply | undefined {
  const status = handleOperationStatus(ctx);
  if (status) return status;
  const p = matchProviderPath(ctx.path, VM_TYPE);
  if (!p) return undefined;
  const { method } = ctx;
  ctx.requireSubscription(p.subscriptionId);

  if (p.name === undefined) {
    if (method !== 'GET') throw errors.methodNotAllowed(method, ctx.path);
    return { status: 200, body: ctx.page(listTracked(ctx, p, VM_TYPE).map((r) => toWire(r))) };
  }

  if (p.child === 'instanceview') {
    if (method !== 'GET') throw errors.methodNotAllowed(method, ctx.path);
    const { existing: vm, notFound } = trackedTarget(ctx, p, VM_TYPE, `${VM_TYPE}/instanceView/read`);
    if (!vm) throw notFound();
    return {
      status: 200,
      body: {
        computerName: (vm.properties.osProfile as { computerName?: string } | undefined)?.computerName ?? vm.name,
        osName: 'ubuntu',
        osVersion: '24.04',
        statuses: [
          { code: 'ProvisioningState/succeeded', level: 'Info', displayStatus: 'Provisioning succeeded', time: vm.createdAt },
          { code: 'PowerState/running', level: 'Info', displayStatus: 'VM running' },
        ],
      },
    };
  }
  if (p.child !== '') return undefined;

  const { id, name, rg, existing, notFound } = trackedTarget(ctx, p, VM_TYPE);
  switch (method) {
    case 'GET':
      if (!existing) throw notFound();
      return { status: 200, body: toWire(existing) };
    case 'PUT': {
      if (!NAME.test(name)) throw errors.invalidResourceName(name, VM_TYPE);
      const body = ctx.json();
      const location = typeof body.location === 'string' ? body.location : existing?.location;
      if (!location) throw errors.missingLocation();
      const properties = isObject(body.properties) ? body.properties : undefined;
      if (!properties && !existing) throw errors.invalidVmBody('properties');
      const plan = planIdentity(ctx.state, existing?.identity, body.identity, 'put');
      linkedCheck(ctx, id, plan.linked);
      const { record, statusUrl } = ctx.store.mutate((draft) => {
        const r: ResourceRecord = existing
          ? (draft.resources[keyOf(id)] as ResourceRecord)
          : { id, name, type: VM_TYPE, location, resourceGroup: rg.name, properties: {}, createdAt: new Date().toISOString() };
        r.properties = platformProperties(name, properties ?? existing?.properties ?? {}, existing);
        if (isObject(body.tags)) r.tags = body.tags as Record<string, string>;
        else if (!existing) delete r.tags;
        if (Array.isArray(body.zones)) r.zones = body.zones as string[];
        draft.resources[keyOf(id)] = r;
        applyIdentity(draft, r, plan.next);
        const operation = ctx.recordOperation(draft, operationPath(p.subscriptionId, r.location));
        return { record: structuredClone(r), statusUrl: operation.statusUrl };
      });
      ctx.events.emit('vm', { vmId: record.id, kind: existing ? 'updated' : 'created', identity: record.identity });
      return { status: existing ? 200 : 201, body: toWire(record, existing ? 'Updating' : 'Creating'), headers: asyncHeaders(statusUrl) };
    }
    case 'PATCH': {
      if (!existing) throw notFound();
      const body = ctx.json();
      const plan = planIdentity(ctx.state, existing.identity, body.identity, 'patch');
      linkedCheck(ctx, id, plan.linked);
      const { record, statusUrl } = ctx.store.mutate((draft) => {
        const r = draft.resources[keyOf(id)] as ResourceRecord;
        if (isObject(body.properties)) r.properties = platformProperties(r.name, merge(structuredClone(r.properties), body.properties), r);
        if (isObject(body.tags)) r.tags = body.tags as Record<string, string>;
        applyIdentity(draft, r, plan.next);
        const operation = ctx.recordOperation(draft, operationPath(p.subscriptionId, r.location));
        return { record: structuredClone(r), statusUrl: operation.statusUrl };
      });
      ctx.events.emit('vm', { vmId: record.id, kind: 'updated', identity: record.identity });
      return { status: 200, body: toWire(record, 'Updating'), headers: asyncHeaders(statusUrl) };
    }
    case 'DELETE': {
      if (!existing) return { status: 204 };
      const statusUrl = ctx.store.mutate((draft) => {
        removeResource(draft, existing);
        return ctx.recordOperation(draft, operationPath(p.subscriptionId, existing.location)).statusUrl;
      });
      ctx.events.emit('vm', { vmId: existing.id, kind: 'deleted', identity: undefined });
      return { status: 202, headers: { ...asyncHeaders(statusUrl), location: `${statusUrl}&monitor=true` } };
    }
    default:
      throw errors.methodNotAllowed(method, ctx.path);
  }
}
