// Azure RBAC as ARM evaluates it: the action a request needs (from method and resource type),
// the role assignments at or above the scope (inherited down the hierarchy), and each role's
// actions minus its notActions, matched case-insensitively with `*` wildcards.

import type { RoleAssignmentRecord, WorldState } from './model.js';
import type { RbacHoldView } from './rbac-holds.js';
import { conditionHolds, type RoleAssignmentAttributes } from './rbac/conditions.js';
import { findRole } from './roles.js';
import { indexesOf } from './state/indexes.js';

/** The verb ARM derives from an HTTP method. */
export function verbOf(method: string): 'read' | 'write' | 'delete' {
  switch (method.toUpperCase()) {
    case 'GET':
    case 'HEAD':
      return 'read';
    case 'DELETE':
      return 'delete';
    default:
      return 'write';
  }
}

/** The action for a request on a resource type, e.g. `Microsoft.ManagedIdentity/userAssignedIdentities/write`. */
export function actionFor(method: string, resourceType: string): string {
  return `${resourceType}/${verbOf(method)}`;
}

const patternCache = new Map<string, RegExp>();

/**
 * Whether an action pattern from a role definition matches an action. `*` matches any run of
 * characters; `/*\/` also matches a single `/` (so `…/userAssignedIdentities/*\/assign/action`
 * grants `…/userAssignedIdentities/assign/action`, as Managed Identity Operator does in Azure).
 */
export function actionMatches(pattern: string, action: string): boolean {
  let regex = patternCache.get(pattern);
  if (!regex) {
    const body = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')
      .replace(/\/\.\*\//g, '(?:/.*)?/');
    regex = new RegExp(`^${body}$`, 'i');
    patternCache.set(pattern, regex);
  }
  return regex.test(action);
}

/** Whether `scope` is `ancestor` or lies below it (case-insensitive, whole segments). */
export function isAtOrBelow(scope: string, ancestor: string): boolean {
  const a = ancestor.toLowerCase().replace(/\/+$/, '');
  const s = scope.toLowerCase().replace(/\/+$/, '');
  if (a === '') return true;
  return s === a || s.startsWith(`${a}/`);
}

export interface RbacOptions {
  now?: Date;
  /** An assignment takes effect this many seconds after it is created. */
  delaySeconds?: number;
  /** What assignment conditions test: a role assignment PUT's body (`@Request`). */
  request?: RoleAssignmentAttributes;
  /** … and the role assignment a DELETE removes (`@Resource`). */
  resource?: RoleAssignmentAttributes;
  /** The emulator's RBAC holds (rbac-holds.ts), when it has any: none for a bare world. */
  holds?: RbacHoldView;
}

/**
 * Whether an assignment is in effect yet: the RBAC propagation delay (the profile's, for every
 * assignment from its creation), and a grader's hold on its principal (rbac-holds.ts: every
 * assignment of that principal held back for a few seconds, however old).
 */
export function isEffective(assignment: RoleAssignmentRecord, options: RbacOptions = {}): boolean {
  const delay = options.delaySeconds ?? 0;
  const held = options.holds?.heldUntil(assignment.principalId, options.now?.getTime());
  if (delay <= 0 && held === undefined) return true;
  const now = (options.now ?? new Date()).getTime();
  if (held !== undefined && held > now) return false;
  return Date.parse(assignment.createdOn) + delay * 1000 <= now;
}

/**
 * The assignments that apply to `principalId` at `scope` (at or above it, in effect). For the
 * world a store serves, only the principal's assignments or those on the scope's path are
 * looked at (the store's indexes); any other world is scanned.
 */
export function applicableAssignments(state: Readonly<WorldState>, principalId: string, scope: string, options: RbacOptions = {}): RoleAssignmentRecord[] {
  const oid = principalId.toLowerCase();
  const candidates = indexesOf(state)?.assignmentsOnPath(principalId, scope) ?? Object.values(state.roleAssignments);
  return candidates.filter(
    (a) => a.principalId.toLowerCase() === oid && isAtOrBelow(scope, a.scope) && isEffective(a, options),
  );
}

function roleGrants(assignment: RoleAssignmentRecord, action: string): boolean {
  const role = findRole(assignment.roleDefinitionName);
  if (!role) return false;
  return role.permissions.some((permission) => permission.actions.some((p) => actionMatches(p, action)) && !permission.notActions.some((p) => actionMatches(p, action)));
}

/** Whether an assignment's role grants data action `dataAction` (its dataActions minus notDataActions). */
function roleGrantsData(assignment: RoleAssignmentRecord, dataAction: string): boolean {
  const role = findRole(assignment.roleDefinitionName);
  if (!role) return false;
  return role.permissions.some((permission) => permission.dataActions.some((p) => actionMatches(p, dataAction)) && !permission.notDataActions.some((p) => actionMatches(p, dataAction)));
}

/**
 * Whether `principalId` may perform data action `dataAction` (e.g.
 * `Microsoft.KeyVault/vaults/secrets/getSecret/action`) at `scope` (a vault or one of its
 * secrets): a data plane's RBAC check. Only dataActions count — Owner's `*` actions grant no
 * data action, as in Azure ("Azure role definitions", Microsoft Learn: "DataActions … do not
 * inherit from Actions"). Conditions are not evaluated on data actions: an assignment with a
 * condition grants none (the emulator models no data-plane attributes).
 */
export function permitsDataAction(state: Readonly<WorldState>, principalId: string, dataAction: string, scope: string, options: RbacOptions = {}): boolean {
  return applicableAssignments(state, principalId, scope, options).some((assignment) => !assignment.condition && roleGrantsData(assignment, dataAction));
}

/**
 * Whether `principalId` may perform `action` at `scope`: `granted` when an applicable assignment's
 * role grants it and its condition (if any) holds for the request; `conditionDenied` when only
 * assignments whose conditions do not hold would grant it; `denied` when none would. As in
 * Azure, the assignments are ORed: an unconditional one that grants the action wins
 * (Microsoft Learn, "Troubleshoot Azure role assignment conditions", "Condition is not enforced").
 */
export function decide(state: Readonly<WorldState>, principalId: string, action: string, scope: string, options: RbacOptions = {}): 'granted' | 'conditionDenied' | 'denied' {
  let conditionDenied = false;
  for (const assignment of applicableAssignments(state, principalId, scope, options)) {
    if (!roleGrants(assignment, action)) continue;
    if (!assignment.condition) return 'granted';
    if (conditionHolds(assignment.condition, { action, request: options.request, resource: options.resource })) return 'granted';
    conditionDenied = true;
  }
  return conditionDenied ? 'conditionDenied' : 'denied';
}

/** Whether `principalId` may perform `action` at `scope` (see {@link decide}). */
export function permits(state: Readonly<WorldState>, principalId: string, action: string, scope: string, options: RbacOptions = {}): boolean {
  return decide(state, principalId, action, scope, options) === 'granted';
}
