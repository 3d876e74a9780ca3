// What every tracked resource type (user-assigned identities, virtual machines) does the same
// way: list by resource group or subscription, and the preamble of a call on one resource
// (authorize, find the resource group, look the resource up).
import { errors, type ArmError } from '../errors.js';
import { keyOf, type ResourceGroupRecord, type ResourceRecord } from '../model.js';
import { actionFor } from '../rbac.js';
import type { ArmContext } from './context.js';
import type { ProviderPath } from './paths.js';

/**
 * The resources of `type` a list call returns. By resource group: the caller needs read there
 * (else 403). By subscription: ARM returns the ones the caller may read.
 */
export function listTracked(ctx: ArmContext, p: ProviderPath, type: string): ResourceRecord[] {
  const action = actionFor('GET', type);
  const subScope = `/subscriptions/${p.subscriptionId}`.toLowerCase();
  const ofType = Object.values(ctx.state.resources).filter((r) => r.type.toLowerCase() === type.toLowerCase());
  if (p.resourceGroup !== undefined) {
    ctx.authorize(action, `/subscriptions/${p.subscriptionId}/resourceGroups/${p.resourceGroup}`);
    const rg = ctx.requireResourceGroup(p.subscriptionId, p.resourceGroup);
    return ofType.filter((r) => r.resourceGroup.toLowerCase() === rg.name.toLowerCase() && r.id.toLowerCase().startsWith(`${subScope}/`));
  }
  ctx.action = action;
  return ofType.filter((r) => r.id.toLowerCase().startsWith(`${subScope}/`) && ctx.permits(action, r.id));
}

export interface TrackedTarget {
  /** The id the path names (as the caller spelled it). */
  id: string;
  name: string;
  rg: ResourceGroupRecord;
  existing: ResourceRecord | undefined;
  notFound: () => ArmError;
}

/** Authorizes `action` (default: from the method) on the named resource and looks it up. */
export function trackedTarget(ctx: ArmContext, p: ProviderPath, type: string, action = actionFor(ctx.method, type)): TrackedTarget {
  const rgName = p.resourceGroup ?? '';
  const name = p.name ?? '';
  const id = `/subscriptions/${p.subscriptionId}/resourceGroups/${rgName}/providers/${type}/${name}`;
  ctx.authorize(action, id);
  const rg = ctx.requireResourceGroup(p.subscriptionId, rgName);
  return { id, name, rg, existing: ctx.state.resources[keyOf(id)], notFound: () => errors.resourceNotFound(type, name, rg.name) };
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The `tags` of a request body, if it has an object there. */
export function tagsOf(value: unknown): Record<string, string> | undefined {
  return isObject(value) ? (value as Record<string, string>) : undefined;
}
