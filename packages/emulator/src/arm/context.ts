// What an ARM handler gets for one request: the parsed request, the caller, and the helpers
// every resource needs (RBAC checks, existence checks, paging, long-running operations).
import { randomUUID } from 'node:crypto';
import type { EmulatorConfig } from '../config.js';
import { errors } from '../errors.js';
import type { Reply, RequestTarget } from '../http.js';
import { keyOf, type Principal, type ResourceGroupRecord, type WorldState } from '../model.js';
import { decide, type RbacOptions } from '../rbac.js';
import type { RbacHoldView } from '../rbac-holds.js';
import type { Store } from '../store.js';
import type { EmulatorEvents } from '../events.js';

export interface Caller {
  objectId: string;
  appId: string;
  /** The caller's service principal, if it still exists. */
  principal?: Principal;
}

/** How many finished operations to keep for late pollers. */
const MAX_OPERATIONS = 200;

export class ArmContext {
  /** The last action authorized (or refused), for the audit log. */
  action: string | undefined;

  constructor(
    readonly method: string,
    /** The request-target (its URL is parsed only when a handler asks for it). */
    readonly target: RequestTarget,
    /** The decoded path, without the query. */
    readonly path: string,
    readonly apiVersion: string,
    readonly rawBody: string,
    readonly caller: Caller,
    readonly baseUrl: string,
    readonly config: EmulatorConfig,
    readonly store: Store,
    readonly events: EmulatorEvents,
    /** The emulator's RBAC holds (its profile's), which every RBAC decision of the request honours. */
    readonly rbacHolds?: RbacHoldView,
  ) {}

  /** The request's URL. */
  get url(): URL {
    return this.target.url;
  }

  get state(): Readonly<WorldState> {
    return this.store.state;
  }

  /**
   * The caller's RBAC decision for `action` at `scope` (rbac.ts's decide), with the propagation
   * delay and the RBAC holds in force; `attributes` are what assignment conditions test.
   */
  decide(action: string, scope: string, attributes: Pick<RbacOptions, 'request' | 'resource'> = {}): ReturnType<typeof decide> {
    return decide(this.store.state, this.caller.objectId, action, scope, { delaySeconds: this.config.rbacDelaySeconds, holds: this.rbacHolds, ...attributes });
  }

  /** Whether the caller may perform `action` at `scope` (no error). */
  permits(action: string, scope: string): boolean {
    return this.decide(action, scope) === 'granted';
  }

  /** Throws 403 `AuthorizationFailed` unless the caller may perform `action` at `scope`. */
  authorize(action: string, scope: string): void {
    this.action = action;
    if (!this.permits(action, scope)) throw errors.authorizationFailed(this.caller.objectId, action, scope);
  }

  /** The JSON request body (an object), or 400 `InvalidRequestContent`. */
  json(): Record<string, unknown> {
    if (this.rawBody.trim() === '') throw errors.invalidRequestContent('the request body is empty');
    let parsed: unknown;
    try {
      parsed = JSON.parse(this.rawBody);
    } catch (error) {
      throw errors.invalidRequestContent((error as Error).message);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw errors.invalidRequestContent('expected a JSON object');
    }
    return parsed as Record<string, unknown>;
  }

  /** 404 `SubscriptionNotFound` unless the subscription exists. */
  requireSubscription(subscriptionId: string): void {
    if (!this.state.subscriptions[subscriptionId.toLowerCase()]) throw errors.subscriptionNotFound(subscriptionId);
  }

  /** The resource group, or 404 `ResourceGroupNotFound`. */
  requireResourceGroup(subscriptionId: string, name: string): ResourceGroupRecord {
    const rg = this.state.resourceGroups[keyOf(`/subscriptions/${subscriptionId}/resourceGroups/${name}`)];
    if (!rg) throw errors.resourceGroupNotFound(name);
    return rg;
  }

  /**
   * One page of `items` with ARM's `nextLink` paging (`$skiptoken`). `$top` must be a whole
   * number from 1 to 1000 and `$skiptoken` one the emulator issued (an offset), else 400: every
   * chain of nextLinks ends, and no item comes twice. `wire`, when given, turns only the page's
   * items into their answer (not every item of the list).
   */
  page<T>(items: T[]): { value: T[]; nextLink?: string };
  page<T, U>(items: T[], wire: (item: T) => U): { value: U[]; nextLink?: string };
  page<T, U>(items: T[], wire?: (item: T) => U): { value: (T | U)[]; nextLink?: string } {
    const skiptoken = this.url.searchParams.get('$skiptoken');
    if (skiptoken !== null && !/^(0|[1-9]\d{0,8})$/.test(skiptoken)) throw errors.invalidSkipToken(skiptoken);
    const offset = Number(skiptoken ?? '0');
    const topParam = this.url.searchParams.get('$top');
    // ARM refuses $top=1001 on …/resources (InvalidTopInQueryString): 1000 is its largest page.
    if (topParam !== null && (!/^[1-9]\d{0,3}$/.test(topParam) || Number(topParam) > 1000)) throw errors.invalidTop(topParam, 1000);
    const top = Number(topParam ?? '0');
    const size = top > 0 ? Math.min(top, this.config.pageSize) : this.config.pageSize;
    const slice = items.slice(offset, offset + size);
    const value = wire ? slice.map(wire) : slice;
    if (offset + size >= items.length) return { value };
    // Keep the query as sent, with `$skiptoken` spelled as ARM spells it (not %24skiptoken).
    const query = this.url.search
      .slice(1)
      .split('&')
      .filter((part) => part !== '' && !/^(\$|%24)skiptoken=/i.test(part));
    query.push(`$skiptoken=${offset + size}`);
    return { value, nextLink: `${this.baseUrl}${this.url.pathname}?${query.join('&')}` };
  }

  /**
   * Records a finished asynchronous operation in `draft` and returns its status URL (the
   * `Azure-AsyncOperation` a poller follows). Changes are applied before the reply, so the
   * operation is already `Succeeded`: pollers finish on their first poll.
   */
  recordOperation(draft: WorldState, statusPath: (operationId: string) => string): { operationId: string; statusUrl: string } {
    const operationId = randomUUID();
    const now = new Date().toISOString();
    draft.operations[operationId] = { id: operationId, name: operationId, status: 'Succeeded', startTime: now, endTime: now };
    const ids = Object.keys(draft.operations);
    for (const old of ids.slice(0, Math.max(0, ids.length - MAX_OPERATIONS))) delete draft.operations[old];
    const statusUrl = `${this.baseUrl}${statusPath(operationId)}?api-version=${encodeURIComponent(this.apiVersion)}`;
    return { operationId, statusUrl };
  }
}

/** A handler for one REST resource: a reply when the path is its, else `undefined`. */
export type ArmHandler = (ctx: ArmContext) => Reply | undefined;
