// What every tracked resource type (user-assigned identities, virtual machines) does the same
// way: list by resource group or subscription, and the preamble of a call on one resource
// (authorize, find the resource group, look the resource up).
import { AZURE_REGIONS, normalizeRegion } from '@milab/common';
import { errors, type ArmError } from '../errors.js';
import { keyOf, type ResourceGroupRecord, type ResourceRecord } from '../model.js';
import { actionFor } from '../rbac.js';
import type { ArmContext } from './context.js';
import type { ProviderPath } from './paths.js';

/**
 * The resources of `type` a list call returns. By resource group: the caller needs read there
 * (else 403). By subscription: ARM returns the ones the caller may read. Served from the
 * store's indexes (resources by group, by type); a caller who may read the whole subscription
 * is not checked resource by resource.
 */
export function listTracked(ctx: ArmContext, p: ProviderPath, type: string): ResourceRecord[] {
  const action = actionFor('GET', type);
  const subScope = `/subscriptions/${p.subscriptionId}`;
  const lowerType = type.toLowerCase();
  if (p.resourceGroup !== undefined) {
    const rgScope = `${subScope}/resourceGroups/${p.resourceGroup}`;
    ctx.authorize(action, rgScope);
    ctx.requireResourceGroup(p.subscriptionId, p.resourceGroup);
    return [...ctx.store.indexes.resourcesInGroup(rgScope).values()].filter((r) => r.type.toLowerCase() === lowerType);
  }
  ctx.action = action;
  // The index's keys are the ids' keys (lower case): no per-resource lower-casing.
  const prefix = `${keyOf(subScope)}/`;
  const inSubscription: ResourceRecord[] = [];
  for (const [key, r] of ctx.store.indexes.resourcesOfType(type)) if (key.startsWith(prefix)) inSubscription.push(r);
  if (ctx.permits(action, subScope)) return inSubscription;
  return inSubscription.filter((r) => ctx.permits(action, r.id));
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

/** ARM's tag limits (Microsoft Learn, "Use tags to organize your Azure resources", Limitations). */
export const TAG_LIMITS = { count: 50, nameLength: 512, valueLength: 256 } as const;
// Reserved in tag names: < > % & \ ? / and control characters (the same page; ARM's own error lists them).
// eslint-disable-next-line no-control-regex
const RESERVED_TAG_NAME = /[<>%&\\?/\u0000-\u001f\u007f]/;

/** The JSON.NET token name ARM's deserializer reports for a value that is not a string. */
function tokenOf(value: unknown): string {
  if (value === null) return 'Null';
  if (Array.isArray(value)) return 'StartArray';
  if (typeof value === 'object') return 'StartObject';
  if (typeof value === 'number') return Number.isInteger(value) ? 'Integer' : 'Float';
  return 'Boolean';
}

/**
 * The `tags` of a request body, checked as ARM checks them: undefined when the body has none
 * (or `null`), else at most 50 string values, names 1-512 characters without reserved
 * characters, values up to 256 characters; anything else is ARM's 400.
 */
export function tagsOf(value: unknown): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw errors.invalidRequestContent(`Error reading object. Unexpected token: ${tokenOf(value)}. Path 'tags'`);
  const entries = Object.entries(value);
  if (entries.length > TAG_LIMITS.count) throw errors.tooManyTags(entries.length);
  const tags: Record<string, string> = {};
  for (const [name, tagValue] of entries) {
    if (typeof tagValue !== 'string') throw errors.tagValueNotString(name, tokenOf(tagValue));
    if (name.trim() === '') throw errors.emptyTagName();
    tags[name] = tagValue;
  }
  const reserved = entries.filter(([name]) => RESERVED_TAG_NAME.test(name)).map(([name]) => name);
  if (reserved.length > 0) throw errors.invalidTagNameCharacters(reserved);
  const longNames = entries.filter(([name]) => name.length > TAG_LIMITS.nameLength).map(([name]) => name);
  if (longNames.length > 0) throw errors.tagNameTooLong(longNames);
  const longValues = entries.filter(([, v]) => (v as string).length > TAG_LIMITS.valueLength).map(([, v]) => v as string);
  if (longValues.length > 0) throw errors.tagValueTooLong(longValues);
  return tags;
}

/** The regions' programmatic names, as ARM lists them in its location errors. */
const REGION_NAMES = AZURE_REGIONS.map((region) => region.name);

/**
 * The programmatic name (`westus`) of a request's location, accepting display names ("West US")
 * as ARM does; 400 `LocationNotAvailableForResourceType` for a location that is no region
 * (`type` undefined: a resource group, `LocationNotAvailableForResourceGroup`).
 */
export function regionOf(location: string, type: string | undefined): string {
  const region = normalizeRegion(location);
  if (region) return region;
  throw type === undefined ? errors.locationNotAvailableForResourceGroup(location, REGION_NAMES) : errors.locationNotAvailableForResourceType(location, type, REGION_NAMES);
}

/** Whether two locations name the same region (ARM ignores case and spaces). */
export function sameLocation(a: string, b: string): boolean {
  return (normalizeRegion(a) ?? a.replace(/\s+/g, '').toLowerCase()) === (normalizeRegion(b) ?? b.replace(/\s+/g, '').toLowerCase());
}
