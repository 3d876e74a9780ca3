// The ARM front door: api-version, authentication (signature, lifetime, issuer, audience), then
// the first resource handler that claims the path; errors become ARM error bodies, and every
// call goes to the audit log.
import { randomUUID } from 'node:crypto';
import type { AuditLog } from '../audit.js';
import type { EmulatorConfig } from '../config.js';
import { findByObjectId, principalLabel } from '../directory.js';
import { issuerFor, type TokenIssuer, type VerifyResult } from '../entra/tokens.js';
import { ArmError, errors } from '../errors.js';
import type { EmulatorEvents } from '../events.js';
import type { Reply, RequestTarget } from '../http.js';
import { cloudMetadata } from '../handlers/metadata.js';
import { handleResourceGroups } from '../handlers/resourceGroups.js';
import { handleRoleAssignments } from '../handlers/roleAssignments.js';
import { handleRoleDefinitions } from '../handlers/roleDefinitions.js';
import { handleSubscriptions } from '../handlers/subscriptions.js';
import { handleUserAssignedIdentities } from '../handlers/userAssignedIdentities.js';
import { handleRunCommand } from '../handlers/runCommand.js';
import { handleVirtualMachines } from '../handlers/virtualMachines.js';
import { handleContainerGroups } from '../handlers/containerGroups.js';
import { handleKeyVaults } from '../handlers/keyVaults.js';
import type { ProfileState } from '../profiles.js';
import type { Store } from '../store.js';
import { ApiVersionPolicy } from './apiVersions.js';
import { ArmContext, type ArmHandler, type Caller } from './context.js';

const HANDLERS: readonly ArmHandler[] = [
  handleSubscriptions,
  handleResourceGroups,
  handleUserAssignedIdentities,
  // Before the VM handler: it answers its own runs' Compute operation status.
  handleRunCommand,
  handleVirtualMachines,
  handleContainerGroups,
  handleRoleAssignments,
  handleRoleDefinitions,
  handleKeyVaults,
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
  target: RequestTarget;
  baseUrl: string;
  body: string;
  authorization: string | undefined;
}

/** `Bearer <token>` with one space and nothing after: what every SDK sends. */
const PLAIN_BEARER = /^Bearer \S+$/;

/** The bearer token of an Authorization header, or ARM's 401 for a missing or malformed one. */
function bearerToken(tenantId: string, authorization: string | undefined): string {
  if (!authorization) throw errors.authenticationMissing(tenantId);
  // The usual header in one test; any other spelling through ARM's own rule below.
  if (PLAIN_BEARER.test(authorization)) return authorization.slice(7);
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match) throw errors.authenticationInvalidHeader(tenantId);
  return match[1] ?? '';
}

/** The caller of a verified token, or ARM's 401 for the token's problem. */
function callerOf(deps: ArmDeps, tenantId: string, result: VerifyResult): Caller {
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

/** `new Date(ms).toISOString()`, remembered for the last millisecond asked (requests come many a millisecond). */
let isoMs = -1;
let isoText = '';
function isoTime(ms: number): string {
  if (ms !== isoMs) {
    isoText = new Date(ms).toISOString();
    isoMs = ms;
  }
  return isoText;
}

/**
 * Creates the ARM request handler. Its reply is synchronous when nothing has to wait (a token
 * verified before: the usual case), a promise otherwise (the first RS256 verification of a token).
 */
export function createArmHandler(deps: ArmDeps): (request: ArmRequest) => Reply | Promise<Reply> {
  const apiVersions = new ApiVersionPolicy(deps.config.log);
  // The config with the profile's live RBAC delay: copied again only when that delay changes.
  let liveConfig = deps.config;
  const configNow = (): EmulatorConfig => {
    const delaySeconds = deps.profiles?.rbacDelaySeconds;
    if (delaySeconds !== undefined && liveConfig.rbacDelaySeconds !== delaySeconds) liveConfig = { ...deps.config, rbacDelaySeconds: delaySeconds };
    return liveConfig;
  };

  return (request) => {
    const started = Date.now();
    const { method, target } = request;
    // Most paths have nothing to decode and no doubled slash: each step only when it would change something.
    let path = target.pathname;
    if (path.includes('%')) {
      try {
        path = decodeURIComponent(path);
      } catch {
        // not valid percent-encoding: the path as sent
      }
    }
    if (path.includes('//')) path = path.replace(/\/{2,}/g, '/');
    const apiVersion = target.param('api-version') ?? undefined;
    let caller: Caller | undefined;
    let ctx: ArmContext | undefined;
    let throttleHeaders: Record<string, string> = {};

    /** The reply of an ArmError (anything else is the server's 500). */
    const refusal = (error: unknown): Reply => {
      if (!(error instanceof ArmError)) throw error;
      return { status: error.status, body: error.body(), headers: { ...error.headers, 'x-ms-failure-cause': 'gateway' } };
    };

    /** ARM's headers on the reply, and the audit entry. */
    const finish = (reply: Reply): Reply => {
      const correlation = randomUUID();
      const time = isoTime(started);
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

    /** Everything after authentication, for the token's verification result. */
    const serveVerified = (tenantId: string, result: VerifyResult): Reply => {
      try {
        caller = callerOf(deps, tenantId, result);
        const admission = deps.profiles?.admitArm(method, path, caller.objectId);
        if (admission && !admission.ok) {
          throttleHeaders = { [`x-ms-ratelimit-remaining-subscription-${admission.kind}s`]: '0' };
          throw errors.tooManyRequests(admission.kind, admission.subscriptionId, caller.objectId, admission.retryAfterSeconds);
        }
        if (admission) throttleHeaders = admission.headers;
        const config = configNow();
        ctx = new ArmContext(method, target, path, apiVersion ?? '', request.body, caller, request.baseUrl, config, deps.store, deps.events, deps.profiles?.rbacHolds);
        let handled: Reply | undefined;
        for (const handler of HANDLERS) {
          handled = handler(ctx);
          if (handled) break;
        }
        if (!handled) throw errors.noRoute(method, path);
        return finish(handled);
      } catch (error) {
        return finish(refusal(error));
      }
    };

    try {
      if (/^\/metadata\/endpoints\/?$/i.test(path) && method === 'GET') {
        if (apiVersion) apiVersions.check(path, apiVersion);
        return finish(cloudMetadata(request.baseUrl, apiVersion ?? null));
      }
      if (!apiVersion) throw errors.missingApiVersion();
      apiVersions.check(path, apiVersion);
      const tenantId = deps.store.state.tenantId;
      const token = bearerToken(tenantId, request.authorization);
      const issuer = deps.tokens();
      // A token verified before is checked without waiting; the first time, RS256 through jose.
      const known = issuer.verifyKnownForArm(token);
      if (known) return serveVerified(tenantId, known);
      return issuer.verifyForArm(token).then((result) => serveVerified(tenantId, result));
    } catch (error) {
      return finish(refusal(error));
    }
  };
}
