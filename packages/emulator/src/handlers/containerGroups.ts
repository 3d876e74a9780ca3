// Microsoft.ContainerInstance/containerGroups: get, put, patch (tags), delete, list (resource
// group and subscription), in the shapes of the containerinstance REST spec
// (Azure/azure-rest-api-specs specification/containerinstance/resource-manager/
// Microsoft.ContainerInstance/stable/2023-05-01/containerInstance.json, the version
// @azure/arm-containerinstance 9.1.0 sends; examples ContainerGroupsCreateOrUpdate.json,
// ContainerGroupsGet_Succeeded.json, ContainerGroupsList.json). No container runs: a group is
// `Succeeded` and `Running` as soon as it is written, and code "in" it is run by `milab
// container exec` with the group's IMDS (imds/manager.ts). PUT answers 201/200 with the final
// body and no polling header, DELETE 200 with the group, so the SDK's long-running pollers end at
// once. The identity block is the VMs' (identity.ts): the system-assigned service principal is
// created with the group and deleted with it, and attaching a user-assigned identity needs
// `…/userAssignedIdentities/assign/action` on it (403 LinkedAuthorizationFailed), as for VMs.
import type { ArmContext } from '../arm/context.js';
import { removeResource } from '../arm/lifecycle.js';
import { matchProviderPath } from '../arm/paths.js';
import { isObject, listTracked, regionOf, sameLocation, tagsOf, trackedTarget } from '../arm/tracked.js';
import { errors } from '../errors.js';
import type { Reply } from '../http.js';
import { applyIdentity, ASSIGN_ACTION, planIdentity } from '../identity.js';
import { keyOf, type ResourceRecord } from '../model.js';
import { actionFor } from '../rbac.js';
import { aciErrors } from './containerGroupErrors.js';

export const CONTAINER_GROUP_TYPE = 'Microsoft.ContainerInstance/containerGroups';
const NAME_RULE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** ContainerGroupProperties.osType's enum (OperatingSystemTypes). */
const OS_TYPES = ['Linux', 'Windows'];
/** ContainerGroupProperties.restartPolicy's enum; `Always` when the request has none. */
const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];

type Json = Record<string, unknown>;

function checkName(name: string): void {
  if (name.length < 1 || name.length > 63 || !NAME_RULE.test(name)) throw aciErrors.invalidContainerGroupName(name);
}

function positiveNumber(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

/** The enum value a string means (case-insensitive, as ARM's deserializer reads enums), or undefined. */
function enumValue(value: unknown, allowed: readonly string[]): string | undefined {
  return typeof value === 'string' ? allowed.find((a) => a.toLowerCase() === value.toLowerCase()) : undefined;
}

/**
 * The stored properties of a group from a PUT's `properties`: validated in ACI's order (the
 * body's shape, then names, then resource requests), write-only values dropped (secure
 * environment variable values, registry passwords, Log Analytics keys: ACI never returns them),
 * read-only ones (provisioningState, instance views) ignored, ACI's defaults filled in.
 */
function groupProperties(group: string, properties: Json): Json {
  const next = structuredClone(properties);
  delete next.provisioningState;
  delete next.instanceView;
  if (!Array.isArray(next.containers)) {
    if (next.containers === undefined || next.containers === null) throw aciErrors.requiredProperty('containers', 'properties');
    throw aciErrors.badValue(next.containers, 'System.Collections.Generic.IList`1[Container]', 'properties.containers');
  }
  if (next.containers.length === 0) throw aciErrors.requiredProperty('containers', 'properties');
  if (next.osType === undefined || next.osType === null) throw aciErrors.requiredProperty('osType', 'properties');
  const osType = enumValue(next.osType, OS_TYPES);
  if (!osType) throw aciErrors.badValue(next.osType, 'OperatingSystemTypes', 'properties.osType');
  next.osType = osType;
  if (next.restartPolicy !== undefined) {
    const policy = enumValue(next.restartPolicy, RESTART_POLICIES);
    if (!policy) throw aciErrors.badValue(next.restartPolicy, 'ContainerGroupRestartPolicy', 'properties.restartPolicy');
    next.restartPolicy = policy;
  } else {
    next.restartPolicy = 'Always';
  }
  next.sku ??= 'Standard';
  const seen = new Set<string>();
  next.containers = next.containers.map((raw: unknown, index: number) => {
    const path = `properties.containers[${index}]`;
    if (!isObject(raw)) throw aciErrors.badValue(raw, 'Container', path);
    if (typeof raw.name !== 'string') throw aciErrors.requiredProperty('name', path);
    if (!isObject(raw.properties)) throw aciErrors.requiredProperty('properties', path);
    const props = structuredClone(raw.properties);
    if (typeof props.image !== 'string' || props.image.trim() === '') throw aciErrors.requiredProperty('image', `${path}.properties`);
    if (!isObject(props.resources)) throw aciErrors.requiredProperty('resources', `${path}.properties`);
    if (!isObject(props.resources.requests)) throw aciErrors.requiredProperty('requests', `${path}.properties.resources`);
    delete props.instanceView;
    props.command ??= [];
    props.ports ??= [];
    props.environmentVariables = (Array.isArray(props.environmentVariables) ? props.environmentVariables : []).map((variable: unknown) => {
      if (!isObject(variable)) return variable;
      const { secureValue, ...rest } = variable;
      // A secure value is kept out of the world and the answers; its name stays listed, as in ACI.
      return secureValue === undefined ? rest : { name: rest.name };
    });
    return { name: raw.name, properties: props };
  });
  for (const container of next.containers as { name: string; properties: Json }[]) {
    if (container.name.length > 63 || !NAME_RULE.test(container.name)) throw aciErrors.invalidContainerName(container.name, group);
    if (seen.has(container.name)) throw aciErrors.duplicateContainerName(container.name, group);
    seen.add(container.name);
  }
  for (const container of next.containers as { name: string; properties: { resources: { requests: Json } } }[]) {
    const requests = container.properties.resources.requests;
    if (requests.cpu === undefined) throw aciErrors.requiredProperty('cpu', 'properties.containers.properties.resources.requests');
    if (requests.memoryInGB === undefined) throw aciErrors.requiredProperty('memoryInGB', 'properties.containers.properties.resources.requests');
    if (!positiveNumber(requests.cpu)) throw aciErrors.invalidResourceRequest(container.name, group, 'cpu');
    if (!positiveNumber(requests.memoryInGB)) throw aciErrors.invalidResourceRequest(container.name, group, 'memoryInGB');
  }
  if (Array.isArray(next.imageRegistryCredentials)) {
    next.imageRegistryCredentials = next.imageRegistryCredentials.map((c: unknown) => {
      if (!isObject(c)) return c;
      const { password: _password, ...rest } = c;
      return rest;
    });
  }
  const diagnostics = isObject(next.diagnostics) && isObject(next.diagnostics.logAnalytics) ? next.diagnostics.logAnalytics : undefined;
  if (diagnostics) delete diagnostics.workspaceKey;
  return next;
}

/**
 * A container's instance view: running since the group was created (ContainerPropertiesInstanceView).
 * ACI restarts the containers when a PUT changes the group (Learn: changing its identities "causes
 * the container group to restart"); the emulator keeps no start time but the creation's.
 */
function containerInstanceView(since: string): Json {
  return { restartCount: 0, currentState: { state: 'Running', startTime: since, detailStatus: '' }, events: [] };
}

/** A group as ACI returns it: `Succeeded`, its containers `Running` (ContainerGroup, 2023-05-01). */
function toWire(r: ResourceRecord): Json {
  const body: Json = { id: r.id, name: r.name, type: CONTAINER_GROUP_TYPE, location: r.location };
  if (r.tags) body.tags = r.tags;
  if (r.identity) body.identity = structuredClone(r.identity);
  if (r.zones) body.zones = r.zones;
  const since = r.createdAt;
  const stored = structuredClone(r.properties);
  const containers = Array.isArray(stored.containers) ? (stored.containers as { name: string; properties: Json }[]) : [];
  body.properties = {
    ...stored,
    containers: containers.map((c) => ({ name: c.name, properties: { ...c.properties, instanceView: containerInstanceView(since) } })),
    provisioningState: 'Succeeded',
    instanceView: { events: [], state: 'Running' },
  };
  return body;
}

function linkedCheck(ctx: ArmContext, id: string, linked: string[]): void {
  const denied = linked.filter((identityId) => !ctx.permits(ASSIGN_ACTION, identityId));
  if (denied.length > 0) {
    throw errors.linkedAuthorizationFailed(ctx.caller.objectId, actionFor('PUT', CONTAINER_GROUP_TYPE), id, ASSIGN_ACTION, denied);
  }
}

export function handleContainerGroups(ctx: ArmContext): Reply | undefined {
  const p = matchProviderPath(ctx.path, CONTAINER_GROUP_TYPE);
  if (!p) return undefined;
  const { method } = ctx;
  ctx.requireSubscription(p.subscriptionId);

  if (p.name === undefined) {
    if (method !== 'GET') throw errors.methodNotAllowed(method, ctx.path);
    return { status: 200, body: ctx.page(listTracked(ctx, p, CONTAINER_GROUP_TYPE), toWire) };
  }
  // restart/stop/start, containers' exec/logs: not emulated (no container runs).
  if (p.child !== '') return undefined;

  const { id, name, rg, existing, notFound } = trackedTarget(ctx, p, CONTAINER_GROUP_TYPE);
  switch (method) {
    case 'GET': {
      if (!existing) throw notFound();
      return { status: 200, body: toWire(existing) };
    }
    case 'PUT': {
      const body = ctx.json();
      const requested = typeof body.location === 'string' ? body.location : existing?.location;
      if (!requested) throw errors.missingLocation();
      const location = regionOf(requested, CONTAINER_GROUP_TYPE);
      if (existing && !sameLocation(existing.location, location)) throw errors.invalidResourceLocation(existing.name, existing.location, rg.name, requested);
      if (!existing) checkName(name);
      if (!isObject(body.properties)) throw aciErrors.requiredProperty('properties', '');
      const properties = groupProperties(name, body.properties);
      const tags = tagsOf(body.tags);
      const plan = planIdentity(ctx.state, existing?.identity, body.identity, 'put');
      linkedCheck(ctx, id, plan.linked);
      const record = ctx.store.mutate((draft) => {
        const r: ResourceRecord = existing
          ? (draft.resources[keyOf(id)] as ResourceRecord)
          : { id, name, type: CONTAINER_GROUP_TYPE, location, resourceGroup: rg.name, properties: {}, createdAt: new Date().toISOString() };
        r.properties = properties;
        if (tags) r.tags = tags;
        else delete r.tags;
        if (Array.isArray(body.zones)) r.zones = body.zones as string[];
        draft.resources[keyOf(id)] = r;
        applyIdentity(draft, r, plan.next);
        return structuredClone(r);
      });
      ctx.events.emit('vm', { vmId: record.id, kind: existing ? 'updated' : 'created', identity: record.identity });
      return { status: existing ? 200 : 201, body: toWire(record) };
    }
    case 'PATCH': {
      // ContainerGroups_Update: "Updates container group tags with specified values."
      if (!existing) throw notFound();
      const tags = tagsOf(ctx.json().tags);
      const record = ctx.store.mutate((draft) => {
        const r = draft.resources[keyOf(id)] as ResourceRecord;
        if (tags) r.tags = tags;
        return structuredClone(r);
      });
      return { status: 200, body: toWire(record) };
    }
    case 'DELETE': {
      // 204 "the specified container group was not found"; else 200 with the group (spec).
      if (!existing) return { status: 204 };
      const body = toWire(existing);
      ctx.store.mutate((draft) => removeResource(draft, existing));
      ctx.events.emit('vm', { vmId: existing.id, kind: 'deleted', identity: undefined });
      return { status: 200, body };
    }
    default:
      throw errors.methodNotAllowed(method, ctx.path);
  }
}
