// Microsoft.Compute/virtualMachines: get, put, patch, delete, list (resource group and
// subscription), instance view, and the Compute operation status endpoint. Writes answer as
// Compute does, as long-running operations with `Azure-AsyncOperation`; the change is applied
// before the reply, so pollers finish on their first poll. Attaching a user-assigned identity
// also needs `…/userAssignedIdentities/assign/action` on it (403 LinkedAuthorizationFailed).
import { randomUUID } from 'node:crypto';
import type { ArmContext } from '../arm/context.js';
import { removeResource } from '../arm/lifecycle.js';
import { matchProviderPath } from '../arm/paths.js';
import { isObject, listTracked, regionOf, sameLocation, tagsOf, trackedTarget } from '../arm/tracked.js';
import { errors } from '../errors.js';
import type { Reply } from '../http.js';
import { applyIdentity, ASSIGN_ACTION, planIdentity } from '../identity.js';
import { keyOf, type ResourceRecord } from '../model.js';
import { actionFor } from '../rbac.js';

export const VM_TYPE = 'Microsoft.Compute/virtualMachines';
/**
 * A VM has two names (Microsoft Learn, "Naming rules and restrictions for Azure resources",
 * Microsoft.Compute, and its note): the resource name, up to 64 characters, and the host name
 * (`osProfile.computerName`), Windows 1-15 and Linux 1-64 characters without the characters
 * Compute lists in its errors. The resource name also keeps ARM's rule for every resource
 * name: no `< > % & : \ ? /`, `#` or control characters, and no period or space at the end.
 */
const RESOURCE_NAME_FORBIDDEN = /[<>%&:\\?/#\p{Cc}]/u;
const WINDOWS_HOST_FORBIDDEN = /[`~!@#$%^&*()=+_[\]{}\\|;:.'",<>/?\s]/;
const LINUX_HOST_FORBIDDEN = /[`~!@#$%^&*()=+_[\]{}\\|;:'",<>/?\s]/;
const VM_NAME_RULE = 'A VM name must be 1-64 characters, without < > % & : \\ ? / # or control characters, and cannot end with a period or a space.';

function checkVmName(name: string): void {
  if (name.length === 0 || name.length > 64 || RESOURCE_NAME_FORBIDDEN.test(name) || /[. ]$/.test(name)) {
    throw errors.invalidResourceNameForType(name, VM_TYPE, VM_NAME_RULE);
  }
}

/** 400 unless the host name (the request's `computerName`, else the VM's name) suits the OS. */
function checkComputerName(name: string, properties: Record<string, unknown>): void {
  const windows = isWindows(properties);
  const osProfile = isObject(properties.osProfile) ? properties.osProfile : undefined;
  const host = typeof osProfile?.computerName === 'string' ? osProfile.computerName : name;
  const bad = windows
    ? host.length === 0 || host.length > 15 || /^\d+$/.test(host) || WINDOWS_HOST_FORBIDDEN.test(host)
    : host.length === 0 || host.length > 64 || LINUX_HOST_FORBIDDEN.test(host);
  if (bad) throw errors.invalidComputerName(windows);
}

/** Whether a VM's properties describe a Windows VM (OS configuration, OS disk type or image publisher). */
function isWindows(properties: Record<string, unknown>): boolean {
  const osProfile = isObject(properties.osProfile) ? properties.osProfile : undefined;
  if (osProfile && 'windowsConfiguration' in osProfile) return true;
  if (osProfile && 'linuxConfiguration' in osProfile) return false;
  const storage = isObject(properties.storageProfile) ? properties.storageProfile : undefined;
  const osDisk = storage && isObject(storage.osDisk) ? storage.osDisk : undefined;
  if (typeof osDisk?.osType === 'string') return osDisk.osType.toLowerCase() === 'windows';
  const image = storage && isObject(storage.imageReference) ? storage.imageReference : {};
  return /windows/i.test(String(image.publisher ?? ''));
}
/** Properties a VM never returns (secrets), and ones the platform owns. */
const WRITE_ONLY = ['adminPassword', 'customData'];

/** A VM as Compute returns it: `tags` always (`{}` when none, as recorded Azure traffic shows). */
function toWire(r: ResourceRecord, provisioningState?: string): Record<string, unknown> {
  const body: Record<string, unknown> = { name: r.name, id: r.id, type: VM_TYPE, location: r.location };
  body.tags = r.tags ?? {};
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
  const windows = isWindows(next);
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

/**
 * The VM's instance view (`…/instanceView`, and `properties.instanceView` under
 * `$expand=instanceView`), in the shape of the compute spec's VirtualMachine_Get_InstanceView
 * example; boot diagnostics, extensions and patch status appear only when a VM has them, and
 * emulated VMs have none.
 */
function instanceView(vm: ResourceRecord): Record<string, unknown> {
  const windows = isWindows(vm.properties);
  const succeeded = { code: 'ProvisioningState/succeeded', level: 'Info', displayStatus: 'Provisioning succeeded', time: vm.createdAt };
  const storage = isObject(vm.properties.storageProfile) ? vm.properties.storageProfile : {};
  const osDisk = isObject(storage.osDisk) ? storage.osDisk : {};
  const dataDisks = Array.isArray(storage.dataDisks) ? storage.dataDisks.filter(isObject) : [];
  const disks = [osDisk, ...dataDisks].filter((d) => typeof d.name === 'string').map((d) => ({ name: d.name, statuses: [succeeded] }));
  return {
    platformUpdateDomain: 0,
    platformFaultDomain: 0,
    computerName: (vm.properties.osProfile as { computerName?: string } | undefined)?.computerName ?? vm.name,
    osName: windows ? 'Windows Server 2022 Datacenter' : 'ubuntu',
    osVersion: windows ? 'Microsoft Windows NT 10.0.20348.0' : '24.04',
    vmAgent: {
      vmAgentVersion: windows ? '2.7.41491.1102' : '2.11.1.12',
      statuses: [{ code: 'ProvisioningState/succeeded', level: 'Info', displayStatus: 'Ready', message: 'GuestAgent is running and accepting new configurations.', time: vm.createdAt }],
      extensionHandlers: [],
    },
    disks,
    hyperVGeneration: 'V2',
    isVMInStandbyPool: false,
    statuses: [succeeded, { code: 'PowerState/running', level: 'Info', displayStatus: 'VM running' }],
  };
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
    return { status: 200, body: ctx.page(listTracked(ctx, p, VM_TYPE), (r) => toWire(r)) };
  }

  if (p.child === 'instanceview') {
    if (method !== 'GET') throw errors.methodNotAllowed(method, ctx.path);
    const { existing: vm, notFound } = trackedTarget(ctx, p, VM_TYPE, `${VM_TYPE}/instanceView/read`);
    if (!vm) throw notFound();
    return { status: 200, body: instanceView(vm) };
  }
  if (p.child !== '') return undefined;

  const { id, name, rg, existing, notFound } = trackedTarget(ctx, p, VM_TYPE);
  switch (method) {
    case 'GET': {
      if (!existing) throw notFound();
      const body = toWire(existing);
      // `$expand=instanceView` puts the instance view in the properties (VirtualMachines_Get, compute spec).
      const expand = (ctx.url.searchParams.get('$expand') ?? '').split(',').map((e) => e.trim().toLowerCase());
      if (expand.includes('instanceview')) (body.properties as Record<string, unknown>).instanceView = instanceView(existing);
      return { status: 200, body };
    }
    case 'PUT': {
      const body = ctx.json();
      const requested = typeof body.location === 'string' ? body.location : existing?.location;
      if (!requested) throw errors.missingLocation();
      const location = regionOf(requested, VM_TYPE);
      if (existing && !sameLocation(existing.location, location)) throw errors.invalidResourceLocation(existing.name, existing.location, rg.name, requested);
      const properties = isObject(body.properties) ? body.properties : undefined;
      if (!properties && !existing) throw errors.invalidVmBody('properties');
      if (!existing) {
        checkVmName(name);
        checkComputerName(name, properties ?? {});
      }
      const tags = tagsOf(body.tags);
      const plan = planIdentity(ctx.state, existing?.identity, body.identity, 'put');
      linkedCheck(ctx, id, plan.linked);
      const { record, statusUrl } = ctx.store.mutate((draft) => {
        const r: ResourceRecord = existing
          ? (draft.resources[keyOf(id)] as ResourceRecord)
          : { id, name, type: VM_TYPE, location, resourceGroup: rg.name, properties: {}, createdAt: new Date().toISOString() };
        r.properties = platformProperties(name, properties ?? existing?.properties ?? {}, existing);
        if (tags) r.tags = tags;
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
      const tags = tagsOf(body.tags);
      const plan = planIdentity(ctx.state, existing.identity, body.identity, 'patch');
      linkedCheck(ctx, id, plan.linked);
      const { record, statusUrl } = ctx.store.mutate((draft) => {
        const r = draft.resources[keyOf(id)] as ResourceRecord;
        if (isObject(body.properties)) r.properties = platformProperties(r.name, merge(structuredClone(r.properties), body.properties), r);
        if (tags) r.tags = tags;
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
