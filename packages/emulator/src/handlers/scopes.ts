// Checks on an RBAC scope in a path (`''` for the root, a subscription, a resource group, or a
// resource): the subscription must exist (before authorization, as ARM does), and the resource
// group or tracked resource must exist (after it).
import type { ArmContext } from '../arm/context.js';
import { errors } from '../errors.js';
import { keyOf } from '../model.js';

const SCOPE = /^\/subscriptions\/([^/]+)(?:\/resourcegroups\/([^/]+)(?:\/providers\/([^/]+\/[^/]+)\/([^/]+).*)?)?$/i;
const TRACKED_TYPES = new Set(['microsoft.managedidentity/userassignedidentities', 'microsoft.compute/virtualmachines']);

/** 404 `SubscriptionNotFound` when the scope names an unknown subscription. */
export function requireScopeSubscription(ctx: ArmContext, scope: string): void {
  if (scope === '' || scope === '/') return;
  const match = SCOPE.exec(scope);
  if (match) ctx.requireSubscription(match[1] ?? '');
}

/** 404 when the scope's resource group, or a resource of a type the emulator tracks, is missing. */
export function requireScopeExists(ctx: ArmContext, scope: string): void {
  const match = SCOPE.exec(scope);
  if (!match) return;
  const [, sub = '', rg, type, name] = match;
  if (rg === undefined) return;
  const group = ctx.requireResourceGroup(sub, rg);
  if (type === undefined || name === undefined || !TRACKED_TYPES.has(type.toLowerCase())) return;
  const id = `/subscriptions/${sub}/resourceGroups/${rg}/providers/${type}/${name}`;
  if (!ctx.state.resources[keyOf(id)]) throw errors.resourceNotFound(type, name, group.name);
}

