// Microsoft.Resources: subscriptions (get, list) and tenants (list).
import type { ArmContext } from '../arm/context.js';
import type { Reply } from '../http.js';
import type { SubscriptionRecord } from '../model.js';
import { isAtOrBelow } from '../rbac.js';

export const SUBSCRIPTION_READ = 'Microsoft.Resources/subscriptions/read';

function toWire(sub: SubscriptionRecord): Record<string, unknown> {
  return {
    id: `/subscriptions/${sub.subscriptionId}`,
    authorizationSource: 'RoleBased',
    managedByTenants: [],
    tags: {},
    subscriptionId: sub.subscriptionId,
    tenantId: sub.tenantId,
    displayName: sub.displayName,
    state: sub.state,
    subscriptionPolicies: { locationPlacementId: 'Public_2014-09-01', quotaId: 'PayAsYouGo_2014-09-01', spendingLimit: 'Off' },
  };
}

export function handleSubscriptions(ctx: ArmContext): Reply | undefined {
  if (ctx.method !== 'GET') return undefined;
  if (/^\/subscriptions\/?$/i.test(ctx.path)) {
    // A subscription is listed when the caller holds any role at or below it.
    ctx.action = SUBSCRIPTION_READ;
    const oid = ctx.caller.objectId.toLowerCase();
    const visible = Object.values(ctx.state.subscriptions).filter((sub) => {
      const scope = `/subscriptions/${sub.subscriptionId}`;
      return Object.values(ctx.state.roleAssignments).some(
        (a) => a.principalId.toLowerCase() === oid && (isAtOrBelow(a.scope, scope) || isAtOrBelow(scope, a.scope)),
      );
    });
    const page = ctx.page(visible.map(toWire));
    return { status: 200, body: { ...page, count: { type: 'Total', value: visible.length } } };
  }
  const match = /^\/subscriptions\/([^/]+)\/?$/i.exec(ctx.path);
  if (match) {
    const subscriptionId = match[1] ?? '';
    ctx.requireSubscription(subscriptionId);
    ctx.authorize(SUBSCRIPTION_READ, `/subscriptions/${subscriptionId}`);
    return { status: 200, body: toWire(ctx.state.subscriptions[subscriptionId.toLowerCase()] as SubscriptionRecord) };
  }
  if (/^\/tenants\/?$/i.test(ctx.path)) {
    ctx.action = 'Microsoft.Resources/tenants/read';
    const tenantId = ctx.state.tenantId;
    return {
      status: 200,
      body: {
        value: [
          {
            id: `/tenants/${tenantId}`,
            tenantId,
            countryCode: 'US',
            displayName: 'milab emulated tenant',
            domains: ['milab.onmicrosoft.com'],
            tenantCategory: 'Home',
            defaultDomain: 'milab.onmicrosoft.com',
            tenantType: 'AAD',
          },
        ],
      },
    };
  }
  return undefined;
}
