// `POST …/resourcegroups/{rg}/exportTemplate`: the resource group as an ARM template
// (ResourceGroupExportResult `{template, error?}`). Since api-version 2019-08-01 Microsoft.Resources
// runs it as a long-running operation (202 + Location; the Location answers 200 with the result),
// before that it answers 200 with the result (REST reference "Resource Groups - Export Template").
import type { ArmContext } from '../arm/context.js';
import { isObject } from '../arm/tracked.js';
import { errors } from '../errors.js';
import type { Reply } from '../http.js';
import { USER_ASSIGNED_IDENTITY_TYPE } from '../identity.js';
import type { ResourceGroupRecord, ResourceRecord } from '../model.js';
import { VM_TYPE } from './virtualMachines.js';

/** The api-version each exported resource type is written with (the newest the emulator serves). */
const TEMPLATE_API_VERSIONS: Record<string, string> = {
  [USER_ASSIGNED_IDENTITY_TYPE.toLowerCase()]: '2024-11-30',
  [VM_TYPE.toLowerCase()]: '2025-04-01',
  // The api-version @azure/arm-containerinstance 9.1.0 sends (specification/containerinstance, stable/2023-05-01).
  'microsoft.containerinstance/containergroups': '2023-05-01',
};

/** Results of asynchronous exports, for their pollers (in memory: a restart ends them). */
const results = new WeakMap<object, Map<string, Record<string, unknown>>>();
const MAX_RESULTS = 50;

/** The result of export operation `operationId`, if it is one. */
export function exportResult(store: object, operationId: string): Record<string, unknown> | undefined {
  return results.get(store)?.get(operationId);
}

/** A template parameter name as the Portal's export writes it: `{type}_{name}_name`. */
function parameterName(type: string, name: string): string {
  return `${type.split('/').pop() ?? type}_${name}_name`.replace(/[^A-Za-z0-9_]/g, '_');
}

function templateOf(resources: ResourceRecord[]): Record<string, unknown> {
  const parameters: Record<string, unknown> = {};
  const exported = resources.map((r) => {
    const param = parameterName(r.type, r.name);
    parameters[param] = { defaultValue: r.name, type: 'String' };
    const resource: Record<string, unknown> = {
      type: r.type,
      apiVersion: TEMPLATE_API_VERSIONS[r.type.toLowerCase()] ?? '2021-04-01',
      name: `[parameters('${param}')]`,
      location: r.location,
    };
    if (r.tags && Object.keys(r.tags).length > 0) resource.tags = r.tags;
    if (r.identity) resource.identity = { type: r.identity.type, ...(r.identity.userAssignedIdentities ? { userAssignedIdentities: Object.fromEntries(Object.keys(r.identity.userAssignedIdentities).map((id) => [id, {}])) } : {}) };
    if (r.type.toLowerCase() !== USER_ASSIGNED_IDENTITY_TYPE.toLowerCase()) {
      const properties = structuredClone(r.properties);
      delete properties.vmId;
      delete properties.timeCreated;
      delete properties.provisioningState;
      resource.properties = properties;
    }
    return resource;
  });
  return {
    $schema: 'https://schema.management.azure.com/schemas/2015-01-01/deploymentTemplate.json#',
    contentVersion: '1.0.0.0',
    parameters,
    variables: {},
    resources: exported,
  };
}

/** Handles the export of resource group `rg` (authorization already checked). */
export function exportTemplate(ctx: ArmContext, subscriptionId: string, rg: ResourceGroupRecord): Reply {
  const body = ctx.rawBody.trim() === '' ? {} : ctx.json();
  const wanted = body.resources ?? ['*'];
  if (!Array.isArray(wanted) || wanted.some((id) => typeof id !== 'string')) throw errors.invalidRequestContent("'resources' must be an array of resource ids, or ['*']");
  const all = Object.values(ctx.state.resources).filter((r) => r.id.toLowerCase().startsWith(`${rg.id.toLowerCase()}/`));
  const ids = new Set((wanted as string[]).map((id) => id.toLowerCase()));
  const chosen = ids.has('*') ? all : all.filter((r) => ids.has(r.id.toLowerCase()));
  if (isObject(body) && body.outputFormat !== undefined && body.outputFormat !== 'Json') throw errors.invalidRequestContent("the milab emulator exports 'Json' templates only");
  const result: Record<string, unknown> = { template: templateOf(chosen) };
  if (ctx.apiVersion < '2019-08-01') return { status: 200, body: result };
  const { operationId, statusUrl } = ctx.store.mutate((draft) => ctx.recordOperation(draft, (id) => `/subscriptions/${subscriptionId}/operationresults/${id}`));
  let map = results.get(ctx.store);
  if (!map) {
    map = new Map();
    results.set(ctx.store, map);
  }
  map.set(operationId, result);
  for (const old of [...map.keys()].slice(0, Math.max(0, map.size - MAX_RESULTS))) map.delete(old);
  return { status: 202, headers: { location: statusUrl, 'retry-after': '0' } };
}
