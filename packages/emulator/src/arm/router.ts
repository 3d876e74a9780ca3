// The ARM front door: api-version, authentication (signature, lifetime, issuer, audience), then
// the first resource handler that claims the path; errors become ARM error bodies, and every
// call goes to the audit log.
import { randomUUID } from 'node:crypto';
import type { AuditLog } from '../audit.js';
import type { EmulatorConfig } from '../config.js';
import { findByObjectId, principalLabel } from '../directory.js';
import { issuerFor, type TokenIssuer } from '../entra/tokens.js';
import { ArmError, errors } from '../errors.js';
import type { EmulatorEvents } from '../events.js';
import type { Reply } from '../http.js';
import { cloudMetadata } from '../handlers/metadata.js';
import { handleResourceGroups } from '../handlers/resourceGroups.js';
import { handleRoleAssignments } from '../handlers/roleAssignments.js';
import { handleRoleDefinitions } from '../handlers/roleDefinitions.js';
import { handleSubscriptions } from '../handlers/subscriptions.js';
import { handleUserAssignedIdentities } from '../handlers/userAssignedIdentities.js';
import { handleVirtualMachines } from '../handlers/virtualMachines.js';
import type { ProfileState } from '../profiles.js';
import type { Store } from '../store.js';
import { ApiVersionPolicy } from './apiVersions.js';
import { ArmContext, type ArmHandler, type Caller } from './context.js';

const HANDLERS: readonly ArmHandler[] = [
  handleSubscriptions,
  handleResourceGroups,
  handleUserAssignedIdentities,
  handleVirtualMachines,
  handleRoleAssignments,
  handleRoleDefinitions,
];

export interface ArmDeps {
  config: EmulatorConfig;
  store: Store;
  /** The token issuer (available once the signing key is loaded). */
  tokens: () => TokenIssuer;
  events: EmulatorEvents;
  audit: AuditLog;
  /** Throttling and the live RBAC delay (profiles.ts); none when absent. */
  profiles?: ProfileState;
}

export interface ArmRequest {
  method: string;
  url: URL;
  baseUrl: string;
  body: string;
  authorization: string | undefined;
}

async function authenticate(deps: ArmDeps, authorization: string | undefined): Promise<Caller> {
  const tenantId = deps.store.state.tenantId;
  if (!authorization) throw errors.authenticationMissing(tenantId);
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match) throw errors.authenticationInvalidHeader(tenantId);
  const result = await deps.tokens().verifyForArm(match[1] ?? '');
  if (!result.ok) {
    const problem = result.problem;
    switch (problem.kind) {
      case 'expired':
        throw errors.expiredToken(tenantId, problem.expiry, problem.now);
      case 'signature':
        throw errors.invalidSignature(tenantId);
      case 'issuer':
        throw errors.wrongIssuer(tenantId, problem.issuer);
      case 'tenant':
        throw errors.wrongIssuer(tenantId, issuerFor(problem.tenant));
      case 'audience':
        throw errors.wrongAudience(tenantId, problem.audience);
      case 'notYetValid':
        throw errors.tokenNotYetValid(tenantId);
      default:
        throw errors.invalidAuthenticationToken(tenantId);
    }
  }
  const { oid, appid } = result.claims;
  const caller: Caller = { objectId: oid.toLowerCase(), appId: appid };
  const principal = findByObjectId(deps.store.state, oid);
  if (principal) caller.principal = principal;
  return caller;
}

/** Creates the ARM request handler. */
export function createArmHandler(deps: ArmDeps): (request: ArmRequest) => Promise<Reply> {
  const apiVersions = new ApiVersionPolicy(deps.config.log);
  // The config with the profile's live RBAC delay: copied again only when that delay changes.
  let liveConfig = deps.config;
  const configNow = (): EmulatorConfig => {
    const delaySeconds = deps.profiles?.rbacDelaySeconds;
    if (delaySeconds !== undefined && liveConfig.rbacDelaySeconds !== delaySeconds) liveConfig = { ...deps.config, rbacDelaySeconds: delaySeconds };
    return liveConfig;
  };

  return async (request) => {
    const started = Date.now();
    const { method, url } = request;
    // Most paths have nothing to decode and no doubled slash: each step only when it would change something.
    let path = url.pathname;
    if (path.includes('%')) {
      try {
        path = decodeURIComponent(path);
      } catch {
        // not valid percent-encoding: the path as sent
      }
    }
    if (path.includes('//')) path = path.replace(/\/{2,}/g, '/');
    const apiVersion = url.searchParams.get('api-version') ?? undefined;
    let caller: Caller | undefined;
    let ctx: ArmContext | undefined;
    let reply: Reply;
    let throttleHeaders: Record<string, string> = {};
    try {
      if (/^\/metadata\/endpoints\/?$/i.test(path) && method === 'GET') {
        if (apiVersion) apiVersions.check(path, apiVersion);
        reply = cloudMetadata(request.baseUrl, apiVersion ?? null);
      } else {
        if (!apiVersion) throw errors.missingApiVersion();
        apiVersions.check(path, apiVersion);
        caller = await authenticate(deps, request.authorization);
        const admission = deps.profiles?.admitArm(method, path, caller.objectId);
        if (admission && !admission.ok) {
          throttleHeaders = { [`x-ms-ratelimit-remaining-subscription-${admission.kind}s`]: '0' };
          throw errors.tooManyRequests(admission.kind, admission.subscriptionId, caller.objectId, admission.retryAfterSeconds);
        }
        if (admission) throttleHeaders = admission.headers;
        const config = configNow();
        ctx = new ArmContext(method, url, path, apiVersion, request.body, caller, request.baseUrl, config, deps.store, deps.events);
        let handled: Reply | undefined;
        for (const handler of HANDLERS) {
          handled = handler(ctx);
          if (handled) break;
        }
        if (!handled) throw errors.noRoute(method, path);
        reply = handled;
      }
    } catch (error) {
      if (!(error instanceof ArmError)) throw error;
      reply = { status: error.status, body: error.body(), headers: { ...error.headers, 'x-ms-failure-cause': 'gateway' } };
    }
    const correlation = randomUUID();
    const time = new Date(started).toISOString();
    const headers: Record<string, string> = {
      'x-ms-correlation-request-id': correlation,
      // `20261201T115700Z`-style: the ISO time without its separators and fraction.
      'x-ms-routing-request-id': `WESTUS:${time.slice(0, 4)}${time.slice(5, 7)}${time.slice(8, 13)}${time.slice(14, 16)}${time.slice(17, 19)}Z:${correlation}`,
    };
    if (method === 'GET' || method === 'HEAD') headers['x-ms-ratelimit-remaining-subscription-reads'] = '11999';
    else headers['x-ms-ratelimit-remaining-subscription-writes'] = '1199';
    for (const name in throttleHeaders) headers[name] = throttleHeaders[name]!;
    if (reply.headers) for (const name in reply.headers) headers[name] = reply.headers[name]!;
    reply.headers = headers;
    const errorCode = reply.status >= 400 ? (reply.body as { error?: { code?: string } } | undefined)?.error?.code : undefined;
    // One object, its fields in the log's order, absent ones left undefined (not written).
    deps.audit.append({
      time,
      principal: caller ? principalLabel(caller.principal, caller.objectId) : 'anonymous',
      oid: caller?.objectId,
      appid: caller?.appId,
      method,
      path,
      apiVersion: apiVersion || undefined,
      status: reply.status,
      action: ctx?.action || undefined,
      error: errorCode || undefined,
      durationMs: Date.now() - started,
    });
    return reply;
  };
}
