// Microsoft.Authorization/roleAssignments: put, get, delete and list at any scope (root,
// subscription, resource group, resource) and by id, with `$filter` `atScope()`,
// `principalId eq '…'` and `assignedTo('…')`; 409 RoleAssignmentExists; 400 PrincipalNotFound.
// Writes and deletes are authorized with the caller's assignment conditions (rbac/conditions.ts)
// evaluated on the request body (PUT) or the assignment being removed (DELETE).
import type { ArmContext } from '../arm/context.js';
import { findByObjectId, principalTypeOf } from '../directory.js';
import { errors } from '../errors.js';
import type { Reply } from '../http.js';
import { keyOf, type RoleAssignmentRecord } from '../model.js';
import { compareAssignmentOrder, type OrderedAssignment } from '../state/indexes.js';
import type { RbacOptions } from '../rbac.js';
import { ConditionSyntaxError, compileCondition, type RoleAssignmentAttributes } from '../rbac/conditions.js';
import { findRole, roleGuidOf } from '../roles.js';
import { requireScopeExists, requireScopeSubscription } from './scopes.js';

const ROLE_ASSIGNMENTS = /^(.*?)\/providers\/microsoft\.authorization\/roleassignments(?:\/([^/]+))?\/?$/i;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TYPE = 'Microsoft.Authorization/roleAssignments';

/** The role definition id as ARM returns it: under the assignment's subscription, if any. */
function roleDefinitionIdOf(a: RoleAssignmentRecord): string {
  const subscription = /^\/subscriptions\/[^/]+/i.exec(a.scope)?.[0] ?? '';
  return `${subscription}/providers/Microsoft.Authorization/roleDefinitions/${a.roleDefinitionName}`;
}

function toWire(a: RoleAssignmentRecord, apiVersion: string): Record<string, unknown> {
  const properties: Record<string, unknown> = {
    roleDefinitionId: roleDefinitionIdOf(a),
    principalId: a.principalId,
  };
  if (apiVersion >= '2018-09-01') properties.principalType = a.principalType;
  properties.scope = a.scope;
  if (apiVersion >= '2020-04-01') {
    Object.assign(properties, {
      condition: a.condition ?? null,
      conditionVersion: a.conditionVersion ?? null,
      createdOn: a.createdOn,
      updatedOn: a.updatedOn,
      createdBy: a.createdBy,
      updatedBy: a.updatedBy,
      delegatedManagedIdentityResourceId: null,
      description: a.description ?? null,
    });
  }
  return { properties, id: a.id, type: TYPE, name: a.name };
}

interface Filter {
  atScope: boolean;
  principalId?: string;
}

function parseFilter(filter: string | null): Filter {
  const result: Filter = { atScope: false };
  if (!filter || filter.trim() === '') return result;
  for (const clause of filter.split(/\s+and\s+/i)) {
    const c = clause.trim();
    if (/^atScope\(\)$/i.test(c)) {
      result.atScope = true;
      continue;
    }
    const principal = /^principalId\s+eq\s+'([^']+)'$/i.exec(c) ?? /^assignedTo\('([^']+)'\)$/i.exec(c);
    if (principal) {
      result.principalId = (principal[1] ?? '').toLowerCase();
      continue;
    }
    throw errors.invalidFilter(filter);
  }
  return result;
}

/** Where a page resumes: after this assignment in the listing order, `count` items into the list. */
interface Cursor {
  count: number;
  createdOn: string;
  name: string;
  key: string;
}

const SKIPTOKEN = /^(0|[1-9]\d{0,8})\.([A-Za-z0-9_-]{1,2000})$/;

/**
 * The `$skiptoken` of a nextLink: the number of items listed so far, then the last one's place
 * in the listing order (creation time, name, key), base64url. Opaque to clients, as ARM's are.
 */
function encodeCursor(count: number, last: OrderedAssignment): string {
  return `${count}.${Buffer.from(JSON.stringify([last.record.createdOn, last.record.name, last.key])).toString('base64url')}`;
}

/** The cursor a `$skiptoken` names; 400 `InvalidSkipToken` for one the emulator did not issue (edited, cut, made up). */
function decodeCursor(token: string): Cursor {
  const match = SKIPTOKEN.exec(token);
  let parts: unknown;
  try {
    parts = match ? JSON.parse(Buffer.from(match[2] ?? '', 'base64url').toString('utf8')) : undefined;
  } catch {
    parts = undefined;
  }
  if (!Array.isArray(parts) || parts.length !== 3 || !parts.every((p) => typeof p === 'string' && p !== '')) throw errors.invalidSkipToken(token);
  const [createdOn, name, key] = parts as [string, string, string];
  return { count: Number(match?.[1]), createdOn, name, key };
}

/** The first position in `order` after `cursor` (binary search: the order is sorted). */
function after(order: readonly OrderedAssignment[], cursor: Cursor): number {
  let low = 0;
  let high = order.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    const a = order[mid]!;
    if (compareAssignmentOrder({ createdOn: a.record.createdOn, name: a.record.name, key: a.key }, cursor) <= 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** The page size a request asks for: `$top` (1 to 1000, else 400 as ctx.page answers), at most the emulator's page size. */
function pageSizeOf(ctx: ArmContext): number {
  const topParam = ctx.url.searchParams.get('$top');
  if (topParam !== null && (!/^[1-9]\d{0,3}$/.test(topParam) || Number(topParam) > 1000)) throw errors.invalidTop(topParam, 1000);
  const top = Number(topParam ?? '0');
  return top > 0 ? Math.min(top, ctx.config.pageSize) : ctx.config.pageSize;
}

/**
 * One page of the assignments that apply to `scope`, in a fixed order (creation time, then
 * name), with ARM's `nextLink` paging (`$skiptoken`). A page starts after the cursor its skip
 * token holds, found by binary search in the store's ordered index, and reads on only until the
 * page is full and one more item shows there is a next page: no page filters or sorts the whole
 * world. Assignments added or deleted between pages move no cursor, so a walk through the
 * nextLinks never returns an assignment twice, nor misses one that existed throughout; one added
 * behind the cursor is not returned, one added ahead is. (Azure promises nothing about changes
 * during paging; its docs say only that `$skipToken` "return[s] paged role assignments following
 * the skipToken passed" — learn.microsoft.com/rest/api/authorization/role-assignments/list-for-scope.)
 */
function list(ctx: ArmContext, scope: string): Reply {
  const filter = parseFilter(ctx.url.searchParams.get('$filter'));
  const skiptoken = ctx.url.searchParams.get('$skiptoken');
  const cursor = skiptoken === null ? undefined : decodeCursor(skiptoken);
  const size = pageSizeOf(ctx);
  const wanted = keyOf(scope);
  const applies = (a: OrderedAssignment): boolean => {
    if (filter.principalId && a.principalId !== filter.principalId) return false;
    const at = a.scopeKey;
    const above = wanted === at || at === '' || wanted.startsWith(`${at}/`);
    const below = !filter.atScope && (wanted === '' || at.startsWith(`${wanted}/`));
    return above || below;
  };
  const order = ctx.store.indexes.assignmentsInOrder();
  const page: OrderedAssignment[] = [];
  let i = cursor ? after(order, cursor) : 0;
  for (; i < order.length && page.length < size; i++) if (applies(order[i]!)) page.push(order[i]!);
  let more = false;
  for (; i < order.length && !more; i++) more = applies(order[i]!);
  const value = page.map((a) => toWire(a.record, ctx.apiVersion));
  const last = page[page.length - 1];
  if (!more || !last) return { status: 200, body: { value } };
  // The query as sent, with `$skiptoken` spelled as ARM spells it (not %24skiptoken), as ctx.page does.
  const query = ctx.url.search
    .slice(1)
    .split('&')
    .filter((part) => part !== '' && !/^(\$|%24)skiptoken=/i.test(part));
  query.push(`$skiptoken=${encodeCursor((cursor?.count ?? 0) + page.length, last)}`);
  return { status: 200, body: { value, nextLink: `${ctx.baseUrl}${ctx.url.pathname}?${query.join('&')}` } };
}

function create(ctx: ArmContext, scope: string, name: string): Reply {
  if (!GUID.test(name)) throw errors.invalidRoleAssignmentId(name);
  const body = ctx.json();
  const props = (body.properties ?? {}) as Record<string, unknown>;
  const roleDefinitionId = typeof props.roleDefinitionId === 'string' ? props.roleDefinitionId : '';
  const principalId = typeof props.principalId === 'string' ? props.principalId.toLowerCase() : '';
  if (!roleDefinitionId) throw errors.invalidRequestContent("properties.roleDefinitionId is required");
  if (!principalId) throw errors.invalidRequestContent("properties.principalId is required");
  const role = findRole(roleGuidOf(roleDefinitionId));
  if (!role) throw errors.roleDefinitionDoesNotExist(roleGuidOf(roleDefinitionId));
  const principal = findByObjectId(ctx.state, principalId);
  if (!principal) throw errors.principalNotFound(principalId, ctx.state.tenantId);
  // Every principal in the emulated directory (seeded apps, managed identities) is a service principal.
  const actualType = principalTypeOf(principal);
  const requestedType = props.principalType;
  if (requestedType !== undefined && requestedType !== null && (typeof requestedType !== 'string' || requestedType.toLowerCase() !== actualType.toLowerCase())) {
    throw errors.unmatchedPrincipalType(principalId, actualType, String(requestedType));
  }

  // A bad condition is bad content: refused before any conflict with what exists.
  const { condition, conditionVersion } = conditionOf(props);
  const id = `${scope}/providers/Microsoft.Authorization/roleAssignments/${name.toLowerCase()}`;
  const existing = ctx.state.roleAssignments[keyOf(id)];
  if (existing) {
    if (existing.principalId !== principalId || existing.roleDefinitionName !== role.name || existing.scope.toLowerCase() !== scope.toLowerCase()) {
      throw errors.roleAssignmentUpdateNotPermitted();
    }
  }
  // The assignments made at this scope (the store's index), not the world.
  const duplicate = [...ctx.store.indexes.assignmentsAt(scope).values()].find(
    (a) => a.name !== existing?.name && a.principalId === principalId && a.roleDefinitionName === role.name && a.scope.toLowerCase() === scope.toLowerCase(),
  );
  if (duplicate) throw errors.roleAssignmentExists();

  const record = ctx.store.mutate((draft) => {
    const now = new Date().toISOString();
    const a: RoleAssignmentRecord = {
      id,
      name: name.toLowerCase(),
      scope,
      roleDefinitionName: role.name,
      principalId,
      principalType: actualType,
      description: typeof props.description === 'string' ? props.description : (existing?.description ?? null),
      condition,
      conditionVersion,
      createdOn: existing?.createdOn ?? now,
      updatedOn: now,
      createdBy: existing?.createdBy ?? ctx.caller.objectId,
      updatedBy: ctx.caller.objectId,
    };
    draft.roleAssignments[keyOf(id)] = a;
    return a;
  });
  return { status: 201, body: toWire(record, ctx.apiVersion) };
}

/**
 * The condition and its version a PUT sets: none for an absent, null or empty condition; a
 * condition without a version gets "2.0" ("If condition is specified without conditionVersion,
 * the version is set to the default value of 2.0", Microsoft Learn, "Add or edit Azure role
 * assignment conditions using the REST API"); "2.0" is the only version ARM takes.
 */
function conditionOf(props: Record<string, unknown>): { condition: string | null; conditionVersion: string | null } {
  const { condition, conditionVersion } = props;
  if (condition !== undefined && condition !== null && typeof condition !== 'string') throw errors.invalidRequestContent('properties.condition must be a string');
  if (conditionVersion !== undefined && conditionVersion !== null && typeof conditionVersion !== 'string') throw errors.invalidRequestContent('properties.conditionVersion must be a string');
  if (!condition || condition.trim() === '') return { condition: null, conditionVersion: conditionVersion ?? null };
  const version = conditionVersion ?? '2.0';
  if (version !== '2.0') throw errors.invalidRoleAssignmentCondition(`The conditionVersion is '${version}': set it to '2.0', the only version there is.`);
  const compiled = compileCondition(condition);
  if (compiled instanceof ConditionSyntaxError) throw errors.invalidRoleAssignmentCondition(`The milab emulator could not read it: ${compiled.message}.`);
  return { condition, conditionVersion: version };
}

/** What a PUT's body says about the assignment it makes, for `@Request[…]` (read leniently: validation comes later). */
function requestAttributes(ctx: ArmContext): RoleAssignmentAttributes {
  let body: unknown;
  try {
    body = JSON.parse(ctx.rawBody);
  } catch {
    return {};
  }
  const props = (body as { properties?: unknown } | null)?.properties;
  if (typeof props !== 'object' || props === null) return {};
  const { roleDefinitionId, principalId, principalType } = props as Record<string, unknown>;
  return {
    roleDefinitionId: typeof roleDefinitionId === 'string' ? roleGuidOf(roleDefinitionId) : undefined,
    principalId: typeof principalId === 'string' ? principalId.toLowerCase() : undefined,
    // Only what the request says: ARM's conditions see the body, not the principal's real type
    // (hashicorp/terraform-provider-azurerm #24271, #25175).
    principalType: typeof principalType === 'string' ? principalType : undefined,
  };
}

/**
 * 403 `AuthorizationFailed` unless the caller may write or delete the assignment. When only
 * conditional assignments would allow it and their conditions do not hold, ARM answers the same
 * generic AuthorizationFailed, naming no condition (langchain-ai/terraform#106 quotes it for a
 * PUT without principalType under a condition on PrincipalType).
 */
function authorizeChange(ctx: ArmContext, action: string, scope: string, attributes: Pick<RbacOptions, 'request' | 'resource'>): void {
  ctx.action = action;
  const decision = ctx.decide(action, scope, attributes);
  if (decision !== 'granted') throw errors.authorizationFailed(ctx.caller.objectId, action, scope);
}

function resourceAttributes(a: RoleAssignmentRecord | undefined): RoleAssignmentAttributes | undefined {
  return a && { roleDefinitionId: a.roleDefinitionName, principalId: a.principalId, principalType: a.principalType };
}

export function handleRoleAssignments(ctx: ArmContext): Reply | undefined {
  const match = ROLE_ASSIGNMENTS.exec(ctx.path);
  if (!match) return undefined;
  const scope = (match[1] ?? '').replace(/\/+$/, '');
  const name = match[2];
  const { method } = ctx;
  requireScopeSubscription(ctx, scope);

  if (name === undefined) {
    if (method !== 'GET') throw errors.methodNotAllowed(method, ctx.path);
    ctx.authorize(`${TYPE}/read`, scope || '/');
    requireScopeExists(ctx, scope);
    return list(ctx, scope);
  }
  const verb = method === 'GET' ? 'read' : method === 'PUT' ? 'write' : method === 'DELETE' ? 'delete' : undefined;
  if (!verb) throw errors.methodNotAllowed(method, ctx.path);
  const id = `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`;
  const existing = ctx.state.roleAssignments[keyOf(id)];
  if (verb === 'read') ctx.authorize(`${TYPE}/read`, scope || '/');
  else if (verb === 'write') authorizeChange(ctx, `${TYPE}/write`, scope || '/', { request: requestAttributes(ctx) });
  else authorizeChange(ctx, `${TYPE}/delete`, scope || '/', { resource: resourceAttributes(existing) });
  requireScopeExists(ctx, scope);
  switch (method) {
    case 'GET':
      if (!existing) throw errors.roleAssignmentNotFound();
      return { status: 200, body: toWire(existing, ctx.apiVersion) };
    case 'PUT':
      return create(ctx, scope, name);
    default:
      if (!existing) return { status: 204 };
      ctx.store.mutate((draft) => {
        delete draft.roleAssignments[keyOf(id)];
      });
      return { status: 200, body: toWire(existing, ctx.apiVersion) };
  }
}
