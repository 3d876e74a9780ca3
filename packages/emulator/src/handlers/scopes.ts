// Checks on an RBAC scope in a path (`''` for the root, a subscription, a resource group, or a
// resource): the subscription must exist (before authorization, as ARM does), the scope must be
// an ARM scope at all, and the resource group or resource it names must exist (after it).
import type { ArmContext } from '../arm/context.js';
import { errors } from '../errors.js';
import { keyOf } from '../model.js';

const SUBSCRIPTION = /^\/subscriptions\/([^/]+)/i;
/**
 * The scopes ARM knows: the root, a subscription, a resource group, a resource
 * (`…/providers/{namespace}/{type}/{name}`, with child `{type}/{name}` pairs), and a management
 * group (which the emulator does not model and leaves unchecked).
 */
const SCOPE = /^(?:|\/subscriptions\/([^/]+)(?:\/resourcegroups\/([^/]+)(?:\/providers\/([^/]+)\/([^/]+)\/([^/]+)((?:\/[^/]+\/[^/]+)*))?)?)$/i;
const MANAGEMENT_GROUP = /^\/providers\/microsoft\.management\/managementgroups\/[^/]+$/i;
const TRACKED_TYPES = new Set(['microsoft.managedidentity/userassignedidentities', 'microsoft.compute/virtualmachines', 'microsoft.keyvault/vaults', 'microsoft.containerinstance/containergroups']);

/** 404 `SubscriptionNotFound` when the scope names an unknown subscription. */
export function requireScopeSubscription(ctx: ArmContext, scope: string): void {
  const match = SUBSCRIPTION.exec(scope);
  if (match) ctx.requireSubscription(match[1] ?? '');
}

/**
 * 400 when the scope is no ARM scope (`…/resourceGroups/rg/x`, a decoded `%2F` in a name); 404
 * `ResourceGroupNotFound` or `ResourceNotFound` when the group or resource it names does not
 * exist (a resource of a type the emulator does not serve never exists).
 */
export function requireScopeExists(ctx: ArmContext, scope: string): void {
  if (scope === '/' || MANAGEMENT_GROUP.test(scope)) return;
  const match = SCOPE.exec(scope);
  if (!match) throw errors.invalidScope(ctx.method, ctx.path, scope);
  const [, sub = '', rg, namespace, type, name, children = ''] = match;
  if (rg === undefined) return;
  const group = ctx.requireResourceGroup(sub, rg);
  if (namespace === undefined || type === undefined || name === undefined) return;
  const resourceType = `${namespace}/${type}`;
  const id = `/subscriptions/${sub}/resourceGroups/${rg}/providers/${resourceType}/${name}`;
  const childSegments = children.split('/').filter(Boolean);
  const childTypes = childSegments.filter((_, i) => i % 2 === 0);
  const fullType = [resourceType, ...childTypes].join('/');
  const fullName = [name, ...childSegments.filter((_, i) => i % 2 === 1)].join('/');
  if (!TRACKED_TYPES.has(resourceType.toLowerCase()) || childSegments.length > 0 || !ctx.state.resources[keyOf(id)]) {
    throw errors.resourceNotFound(fullType, fullName, group.name);
  }
}
