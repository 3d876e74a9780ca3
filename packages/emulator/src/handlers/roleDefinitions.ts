// Microsoft.Authorization/roleDefinitions: the built-in roles, get and list at any scope and by
// id, with `$filter=roleName eq '…'` and `type eq 'BuiltInRole'`.
import type { ArmContext } from '../arm/context.js';
import { errors } from '../errors.js';
import type { Reply } from '../http.js';
import { BUILTIN_ROLES, findRole, type RoleDefinition } from '../roles.js';
import { requireScopeExists, requireScopeSubscription } from './scopes.js';

const ROLE_DEFINITIONS = /^(.*?)\/providers\/microsoft\.authorization\/roledefinitions(?:\/([^/]+))?\/?$/i;

function toWire(role: RoleDefinition, scope: string, apiVersion: string): Record<string, unknown> {
  const permissions = role.permissions.map((p) =>
    apiVersion < '2018-01-01' ? { actions: p.actions, notActions: p.notActions } : { ...p },
  );
  return {
    id: `${scope}/providers/Microsoft.Authorization/roleDefinitions/${role.name}`,
    properties: {
      roleName: role.roleName,
      type: 'BuiltInRole',
      description: role.description,
      assignableScopes: ['/'],
      permissions,
      createdOn: role.createdOn,
      updatedOn: role.updatedOn,
      createdBy: null,
      updatedBy: null,
    },
    type: 'Microsoft.Authorization/roleDefinitions',
    name: role.name,
  };
}

function applyFilter(roles: readonly RoleDefinition[], filter: string | null): readonly RoleDefinition[] {
  if (!filter) return roles;
  const byName = /^\s*roleName\s+eq\s+'([^']*)'\s*$/i.exec(filter);
  if (byName) return roles.filter((r) => r.roleName.toLowerCase() === (byName[1] ?? '').toLowerCase());
  const byType = /^\s*type\s+eq\s+'([^']*)'\s*$/i.exec(filter);
  if (byType) return (byType[1] ?? '').toLowerCase() === 'builtinrole' ? roles : [];
  throw errors.invalidFilter(filter);
}

export function handleRoleDefinitions(ctx: ArmContext): Reply | undefined {
  const match = ROLE_DEFINITIONS.exec(ctx.path);
  if (!match) return undefined;
  if (ctx.method !== 'GET') throw errors.methodNotAllowed(ctx.method, ctx.path);
  const scope = (match[1] ?? '').replace(/\/+$/, '');
  requireScopeSubscription(ctx, scope);
  // Built-in role definitions are readable by every signed-in principal, as in Azure.
  ctx.action = 'Microsoft.Authorization/roleDefinitions/read';
  requireScopeExists(ctx, scope);
  // Built-in roles are returned under the subscription when asked below one.
  const subscription = /^\/subscriptions\/[^/]+/i.exec(scope)?.[0] ?? '';
  const name = match[2];
  if (name !== undefined) {
    const role = findRole(name);
    if (!role) throw errors.roleDefinitionNotFound();
    return { status: 200, body: toWire(role, subscription, ctx.apiVersion) };
  }
  const roles = applyFilter(BUILTIN_ROLES, ctx.url.searchParams.get('$filter'));
  return { status: 200, body: ctx.page(roles.map((r) => toWire(r, subscription, ctx.apiVersion))) };
}
