// The emulated Entra ID (login.microsoftonline.com) endpoints: OpenID discovery (v1 and v2),
// JWKS, instance discovery, and the client-credentials token endpoints (v2 and v1). One more
// door for MSAL Python (the az CLI): an AD FS-style authority, `<emulator>/adfs` (see ADFS below).
import { findByAppId } from '../directory.js';
import { EntraError, errors } from '../errors.js';
import type { Reply } from '../http.js';
import type { Secrets } from '../secrets.js';
import { classSecretsOf, secretMatches } from '../secrets.js';
import type { Store } from '../store.js';
import type { TokenIssuer } from './tokens.js';

export interface EntraContext {
  /** `https://127.0.0.1:PORT`, the authority host. */
  baseUrl: string;
  tenantId: string;
  store: Store;
  secrets: Secrets;
  tokens: TokenIssuer;
}

/** Path segments after the tenant that belong to Entra. */
const ENTRA_SEGMENTS = new Set(['oauth2', 'v2.0', 'discovery', '.well-known']);
const LONGEST_ENTRA_SEGMENT = Math.max(...[...ENTRA_SEGMENTS].map((segment) => segment.length));
const TENANT_ALIASES = new Set(['common', 'organizations', 'consumers']);

/**
 * The AD FS-style authority `<emulator>/adfs`: MSAL Python (every version up to at least 1.29,
 * msal/authority.py) sends instance discovery for any authority host it does not know to
 * https://login.microsoftonline.com/common/discovery/instance, never to the authority's own host,
 * unless the app passes `instance_discovery` (the az CLI does not). An authority whose tenant is
 * `adfs` is "known to the developer" and skips that call: MSAL reads
 * `<authority>/.well-known/openid-configuration` (no /v2.0) and takes the tenant from the
 * `token_endpoint` it names. So the az CLI signs in to the emulator offline through this door,
 * which leads to the emulator's one tenant (the az route: `milab emulator az`).
 */
const ADFS = 'adfs';

/** Whether the path is an Entra path (`/{tenant}/oauth2/…`, `/{tenant}/v2.0/…`, …). */
export function isEntraPath(path: string): boolean {
  // The third '/'-separated segment (`path.split('/')[2]`), found without splitting: every request asks.
  const first = path.indexOf('/');
  const second = first < 0 ? -1 : path.indexOf('/', first + 1);
  if (second < 0) return false;
  const third = path.indexOf('/', second + 1);
  const segment = path.slice(second + 1, third < 0 ? path.length : third);
  return segment.length <= LONGEST_ENTRA_SEGMENT && ENTRA_SEGMENTS.has(segment.toLowerCase());
}

function openIdConfiguration(ctx: EntraContext, tenant: string, v2: boolean): Record<string, unknown> {
  const base = `${ctx.baseUrl}/${tenant}`;
  const issuer = v2 ? `${ctx.baseUrl}/${ctx.tenantId}/v2.0` : `https://sts.windows.net/${ctx.tenantId}/`;
  return {
    token_endpoint: v2 ? `${base}/oauth2/v2.0/token` : `${base}/oauth2/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: v2 ? `${base}/discovery/v2.0/keys` : `${base}/discovery/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${ctx.baseUrl}/oidc/userinfo`,
    authorization_endpoint: v2 ? `${base}/oauth2/v2.0/authorize` : `${base}/oauth2/authorize`,
    device_authorization_endpoint: v2 ? `${base}/oauth2/v2.0/devicecode` : `${base}/oauth2/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: v2 ? `${base}/oauth2/v2.0/logout` : `${base}/oauth2/logout`,
    claims_supported: ['sub', 'iss', 'cloud_instance_name', 'cloud_instance_host_name', 'cloud_graph_host_name', 'msgraph_host', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'preferred_username', 'name', 'tid', 'ver', 'at_hash', 'c_hash', 'email'],
    kerberos_endpoint: `${base}/kerberos`,
    tenant_region_scope: 'NA',
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
    rbac_url: 'https://pas.windows.net',
  };
}

function parseForm(body: string): URLSearchParams {
  return new URLSearchParams(body);
}

/**
 * The form-urlencoded client id or secret of an `Authorization: Basic` header (RFC 6749 2.3.1).
 * A value that does not decode (`%zz`) is taken as it stands, as Entra takes unencoded values:
 * it then fails as an unknown client or a wrong secret, in Entra's words, instead of a URIError.
 */
function formDecoded(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** The credentials of an `Authorization: Basic` header (client_secret_basic), if it holds any. */
function basicAuth(header: string | undefined): { id: string; secret: string } | undefined {
  if (!header?.toLowerCase().startsWith('basic ')) return undefined;
  const encoded = header.slice(6).trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) throw errors.entraMalformedRequest("The 'Authorization: Basic' header is not base64 of 'client_id:client_secret'.");
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw errors.entraMalformedRequest("The 'Authorization: Basic' header holds no ':' between client_id and client_secret.");
  return { id: formDecoded(decoded.slice(0, colon)), secret: formDecoded(decoded.slice(colon + 1)) };
}

/** The resource a v2 scope names: `https://management.azure.com/.default` → `https://management.azure.com`. */
function resourceOfScope(scope: string): string | undefined {
  const scopes = scope.split(/\s+/).filter((s) => s && !['openid', 'profile', 'offline_access', 'email'].includes(s));
  if (scopes.length !== 1) return undefined;
  const [only = ''] = scopes;
  if (!only.endsWith('/.default')) return undefined;
  return only.slice(0, -'/.default'.length);
}

async function issueToken(ctx: EntraContext, tenant: string, form: URLSearchParams, authorization: string | undefined, v2: boolean): Promise<Reply> {
  if (tenant.toLowerCase() !== ctx.tenantId) throw errors.entraTenantNotFound(tenant);
  const grantType = form.get('grant_type');
  if (!grantType) throw errors.entraMissingParameter('grant_type');
  if (grantType !== 'client_credentials') throw errors.entraUnsupportedGrantType(grantType);
  const basic = basicAuth(authorization);
  const clientId = form.get('client_id') ?? basic?.id;
  if (!clientId) throw errors.entraMissingParameter('client_id');
  const principal = findByAppId(ctx.store.state, clientId);
  // Seeded principals and class principals (admin/principals.ts) have client secrets; a
  // managed identity's service principal has none and gets its tokens from IMDS only.
  const expected = principal?.seededAs ? ctx.secrets[principal.seededAs] : principal?.createdVia === 'admin' ? classSecretsOf(ctx.secrets)?.get(principal.objectId) : undefined;
  if (!principal || expected === undefined) throw errors.entraUnknownClient(clientId, ctx.tenantId);
  const secret = form.get('client_secret') ?? basic?.secret;
  if (!secret) throw errors.entraMissingClientSecret();
  if (!secretMatches(secret, expected)) throw errors.entraInvalidClientSecret(principal.appId);

  let resource: string | undefined;
  if (v2) {
    const scope = form.get('scope');
    if (!scope) throw errors.entraMissingParameter('scope');
    resource = resourceOfScope(scope);
    if (resource === undefined) throw errors.entraInvalidScope(scope);
  } else {
    resource = form.get('resource') ?? undefined;
    if (!resource) throw errors.entraMissingParameter('resource');
  }
  // Key Vault's resource too: the learner's SecretClient asks for https://vault.azure.net/.default (keyvault/README.md).
  if (!ctx.tokens.acceptsArmAudience(resource) && resource.replace(/\/+$/, '').toLowerCase() !== 'https://vault.azure.net') throw errors.entraUnknownResource(resource, ctx.tenantId);

  const token = await ctx.tokens.mint({ principal, audience: resource, appidacr: '1' });
  const headers = { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' };
  if (v2) {
    return {
      status: 200,
      headers,
      body: { token_type: 'Bearer', expires_in: token.expiresIn, ext_expires_in: token.expiresIn, access_token: token.accessToken },
    };
  }
  return {
    status: 200,
    headers,
    body: {
      token_type: 'Bearer',
      expires_in: String(token.expiresIn),
      ext_expires_in: String(token.expiresIn),
      expires_on: String(token.expiresOn),
      not_before: String(token.notBefore),
      resource,
      access_token: token.accessToken,
    },
  };
}

/**
 * Instance discovery (`/common/discovery/instance?authorization_endpoint=…`). As Entra does, the
 * tenant_discovery_endpoint follows the tenant in `authorization_endpoint` (MSAL sends
 * `https://<host>/<tenant>/oauth2/v2.0/authorize`), not the tenant in this request's path, and
 * an authority on another host is an `invalid_instance` (AADSTS50049). Sources: MSAL Python's
 * msal/authority.py (`_instance_discovery`, then `payload['tenant_discovery_endpoint']`);
 * MSAL.NET's "Custom authority aliases" (invalid_instance for an unknown authority).
 */
function instanceDiscovery(ctx: EntraContext, pathTenant: string, authorizationEndpoint: string | null): Reply {
  const host = new URL(ctx.baseUrl).host;
  let tenant = pathTenant;
  if (authorizationEndpoint) {
    let asked: URL | undefined;
    try {
      asked = new URL(authorizationEndpoint);
    } catch {
      asked = undefined;
    }
    if (!asked || asked.protocol !== 'https:' || asked.host.toLowerCase() !== host.toLowerCase()) {
      return {
        status: 400,
        body: {
          error: 'invalid_instance',
          error_description: `AADSTS50049: Unknown or invalid instance. The authority '${authorizationEndpoint}' is not this emulator's (${ctx.baseUrl}).`,
          error_codes: [50049],
        },
      };
    }
    tenant = asked.pathname.split('/').filter(Boolean)[0] ?? pathTenant;
  }
  return {
    status: 200,
    body: {
      tenant_discovery_endpoint: `${ctx.baseUrl}/${tenant}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    },
  };
}

/**
 * Answers an Entra request, or `undefined` when the path is not an Entra endpoint.
 * Token endpoint errors come back in Entra's error shape.
 */
export async function handleEntra(ctx: EntraContext, method: string, url: URL, body: string, authorization: string | undefined): Promise<Reply | undefined> {
  const segments = url.pathname.split('/').filter(Boolean);
  const [tenant = '', ...rest] = segments;
  const route = rest.join('/').toLowerCase();
  const knownTenant = tenant.toLowerCase() === ctx.tenantId || TENANT_ALIASES.has(tenant.toLowerCase());
  try {
    if (method === 'GET') {
      // The AD FS-style door's discovery names the tenant's own endpoints (see ADFS).
      if (tenant.toLowerCase() === ADFS && route === '.well-known/openid-configuration') {
        return { status: 200, body: openIdConfiguration(ctx, ctx.tenantId, true) };
      }
      if (!knownTenant) throw errors.entraTenantNotFound(tenant);
      switch (route) {
        case 'v2.0/.well-known/openid-configuration':
          return { status: 200, body: openIdConfiguration(ctx, tenant, true) };
        case '.well-known/openid-configuration':
          return { status: 200, body: openIdConfiguration(ctx, tenant, false) };
        case 'discovery/v2.0/keys':
        case 'discovery/keys':
          return { status: 200, body: { keys: [{ ...ctx.tokens.key.jwk, issuer: `https://sts.windows.net/${ctx.tenantId}/` }] } };
        case 'discovery/instance':
          return instanceDiscovery(ctx, tenant, url.searchParams.get('authorization_endpoint'));
        default:
          return undefined;
      }
    }
    if (method === 'POST' && (route === 'oauth2/v2.0/token' || route === 'oauth2/token')) {
      return await issueToken(ctx, tenant, parseForm(body), authorization, route === 'oauth2/v2.0/token');
    }
    return undefined;
  } catch (error) {
    if (error instanceof EntraError) return { status: error.status, body: error.body(), headers: { 'cache-control': 'no-store, no-cache' } };
    throw error;
  }
}
