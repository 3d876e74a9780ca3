// A small client for the Instance Metadata Service's managed identity token endpoint. It is what
// `milab token` uses and what learners' lab code can use on a VM, real or emulated.
//
// Rules it follows (azure-facts.md): `Metadata: true` on every request; never through a proxy
// (IMDS is a link-local address that no proxy can reach); exactly one user-assigned identity
// selector or none; retry 404, 410, 429 and 5xx with backoff (RetryPolicy), never other 4xx.
import { Agent, request } from 'undici';
import { ConfigError, describeNetworkError, ImdsError, ImdsRequestError, ImdsResponseError, ImdsUnreachableError } from './errors.js';
import { IMDS_RETRY_DEFAULTS, RetryPolicy, parseRetryAfter, type AttemptOutcome, type RetryPolicyConfig } from './retry.js';

/** IMDS's well-known address. */
export const IMDS_DEFAULT_ENDPOINT = 'http://169.254.169.254';
/** The environment variable that points IMDS clients (ours and @azure/identity's) elsewhere. */
export const IMDS_ENDPOINT_ENV = 'AZURE_POD_IDENTITY_AUTHORITY_HOST';
/** Path of the managed identity token endpoint. */
export const IMDS_TOKEN_PATH = '/metadata/identity/oauth2/token';
/** The api-version every IMDS supports for tokens. */
export const IMDS_API_VERSION = '2018-02-01';

/**
 * Which identity to get a token for: none of the fields for the system-assigned identity, or
 * exactly one of them for a user-assigned identity.
 */
export interface ImdsIdentity {
  /** The identity's client (application) id: IMDS's `client_id`. */
  clientId?: string | undefined;
  /** The identity's object (principal) id: IMDS's `object_id`. */
  objectId?: string | undefined;
  /** The identity's ARM resource id: IMDS's `msi_res_id`. */
  msiResId?: string | undefined;
}

/** A token request. */
export interface ImdsTokenRequest extends ImdsIdentity {
  /** The resource (audience), e.g. `https://management.azure.com/`. A scope ending in `/.default` is accepted too. */
  resource: string;
}

/** A token from IMDS. `accessToken` is not enumerable, so logging or serialising the object never prints it. */
export interface ImdsToken {
  /** The bearer token. Never log it. */
  readonly accessToken: string;
  readonly tokenType: string;
  readonly expiresOn: Date;
  readonly notBefore: Date | undefined;
  /** The resource IMDS issued the token for. */
  readonly resource: string;
  /** Client id of the identity (IMDS echoes it). */
  readonly clientId: string | undefined;
  /** Object id, when IMDS echoes it. */
  readonly objectId: string | undefined;
  /** Identity resource id, when IMDS echoes it. */
  readonly msiResId: string | undefined;
}

/** Options of an {@link ImdsClient}. */
export interface ImdsClientOptions {
  /** IMDS base URL. Default: `AZURE_POD_IDENTITY_AUTHORITY_HOST`, else `http://169.254.169.254`. */
  endpoint?: string;
  /** Environment to read the endpoint from (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Time allowed to open a connection. On a machine that is not an Azure VM, 169.254.169.254 usually never answers, so keep it short. Default 2 s. */
  connectTimeoutMs?: number;
  /** Time allowed for one whole attempt (connect, headers, body). Default 10 s. */
  attemptTimeoutMs?: number;
  /** Overrides of {@link IMDS_RETRY_DEFAULTS} (e.g. an injected `sleep` in tests). */
  retry?: Partial<RetryPolicyConfig>;
  /** A cached token is refreshed when it has less than this left. Default 5 minutes (as MSAL does). */
  refreshBeforeExpiryMs?: number;
  /** Clock for the cache, milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
}

const SELECTORS = [
  ['clientId', 'client_id', 'client id'],
  ['objectId', 'object_id', 'object id'],
  ['msiResId', 'msi_res_id', 'resource id'],
] as const;

/**
 * The IMDS endpoint to use: `options.endpoint`, else `AZURE_POD_IDENTITY_AUTHORITY_HOST`, else
 * 169.254.169.254. Without a trailing slash.
 */
export function resolveImdsEndpoint(endpoint?: string, env: Readonly<Record<string, string | undefined>> = process.env): string {
  const fromEnv = env[IMDS_ENDPOINT_ENV]?.trim();
  const value = endpoint ?? (fromEnv || IMDS_DEFAULT_ENDPOINT);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    url = new URL('invalid:');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`Invalid IMDS endpoint "${value}": expected an http URL like http://127.0.0.1:40342.`, {
      origin: endpoint === undefined ? IMDS_ENDPOINT_ENV : 'endpoint option',
      hint: `Fix or unset ${IMDS_ENDPOINT_ENV}.`,
    });
  }
  return url.origin;
}

/** Checks the identity selectors: at most one, none empty. Throws {@link ImdsRequestError}. */
function identityParam(identity: ImdsIdentity): [name: string, value: string] | undefined {
  const given = SELECTORS.filter(([field]) => identity[field] !== undefined);
  if (given.length > 1) {
    const names = given.map(([, , label]) => label);
    throw new ImdsRequestError(
      `Choose one identity: got ${names.join(' and ')}, but IMDS accepts exactly one of client id, object id or resource id.`,
      given.map(([field]) => field),
    );
  }
  const [selector] = given;
  if (!selector) return undefined;
  const value = identity[selector[0]]?.trim() ?? '';
  if (value === '') throw new ImdsRequestError(`The ${selector[2]} is empty: expected the identity's ${selector[2]}.`, [selector[0]]);
  return [selector[1], value];
}

/** IMDS wants a resource, not a scope: `https://management.azure.com/.default` → `https://management.azure.com/`. */
function toResource(resourceOrScope: string): string {
  const resource = resourceOrScope.trim().replace(/\/\.default$/, '/');
  if (resource === '') throw new ImdsRequestError('No resource given: expected a resource URL like https://management.azure.com/.');
  return resource;
}

/** The next step for an IMDS error answer, by what IMDS said. */
function hintFor(status: number, error: string | undefined, description: string | undefined): string {
  const text = `${error ?? ''} ${description ?? ''}`.toLowerCase();
  if (text.includes('multiple user assigned identities')) {
    return 'Several identities are attached to this VM: choose one by client id, object id or resource id (e.g. `milab token --client-id ID`).';
  }
  if (text.includes('identity not found')) {
    return 'Check that the identity is attached to this VM and the id is right: `az vm identity show -g RG -n VM`.';
  }
  if (error === 'invalid_resource') return 'Check the resource URL, e.g. https://management.azure.com/ for ARM.';
  if (status === 429) return 'IMDS allows 20 requests per second and 5 at once per VM: reuse tokens until they near expiry, then retry.';
  if (status === 404) return 'The identity may still be being assigned to this VM: wait a minute and retry.';
  if (status === 410 || status >= 500) return 'IMDS is updating or unavailable: retry in a minute.';
  return 'Check the resource and the identity in the request.';
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function secondsToDate(value: unknown): Date | undefined {
  const n = typeof value === 'string' ? Number(value) : typeof value === 'number' ? value : NaN;
  return Number.isFinite(n) && n > 0 ? new Date(n * 1000) : undefined;
}

/** Builds the token object, with `accessToken` non-enumerable. */
function toToken(body: string, requestedResource: string, now: number): ImdsToken {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(body) as Record<string, unknown>;
  } catch {
    throw new ImdsResponseError('IMDS answered 200 but the body is not JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null) throw new ImdsResponseError('IMDS answered 200 but the body is not a JSON object.');
  const accessToken = optionalString(parsed.access_token);
  if (!accessToken) throw new ImdsResponseError('IMDS answered 200 without an access_token.');
  const expiresIn = Number(parsed.expires_in);
  const expiresOn =
    secondsToDate(parsed.expires_on) ?? (Number.isFinite(expiresIn) && expiresIn > 0 ? new Date(now + expiresIn * 1000) : undefined);
  if (!expiresOn) throw new ImdsResponseError('IMDS answered 200 without expires_on or expires_in.');
  const token = {
    tokenType: optionalString(parsed.token_type) ?? 'Bearer',
    expiresOn,
    notBefore: secondsToDate(parsed.not_before),
    resource: optionalString(parsed.resource) ?? requestedResource,
    clientId: optionalString(parsed.client_id),
    objectId: optionalString(parsed.object_id),
    msiResId: optionalString(parsed.msi_res_id) ?? optionalString(parsed.mi_res_id),
  };
  Object.defineProperty(token, 'accessToken', { value: accessToken, enumerable: false });
  return Object.freeze(token) as ImdsToken;
}

/**
 * Gets managed identity tokens from IMDS, with retries and a cache.
 *
 * ```ts
 * const imds = new ImdsClient();
 * const { accessToken, expiresOn } = await imds.getToken({ resource: 'https://management.azure.com/' });
 * ```
 *
 * Tokens are cached per (resource, identity) and refreshed when less than
 * `refreshBeforeExpiryMs` is left; concurrent callers for the same key share one request.
 */
export class ImdsClient {
  /** The IMDS base URL this client calls. */
  readonly endpoint: string;
  private readonly retry: RetryPolicy;
  private readonly attemptTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly refreshBeforeExpiryMs: number;
  private readonly now: () => number;
  // A dedicated dispatcher, never the global one: a global EnvHttpProxyAgent (or any proxy set
  // by HTTP_PROXY / HTTPS_PROXY / ALL_PROXY) must never see IMDS traffic.
  private readonly dispatcher: Agent;
  private readonly cache = new Map<string, ImdsToken>();
  private readonly inFlight = new Map<string, Promise<ImdsToken>>();

  constructor(options: ImdsClientOptions = {}) {
    this.endpoint = resolveImdsEndpoint(options.endpoint, options.env);
    this.retry = new RetryPolicy(IMDS_RETRY_DEFAULTS, options.retry);
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 10_000;
    this.connectTimeoutMs = Math.min(options.connectTimeoutMs ?? 2_000, this.attemptTimeoutMs);
    this.refreshBeforeExpiryMs = options.refreshBeforeExpiryMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
    this.dispatcher = new Agent({
      connect: { timeout: this.connectTimeoutMs },
      headersTimeout: this.attemptTimeoutMs,
      bodyTimeout: this.attemptTimeoutMs,
    });
  }

  /**
   * A token for `request.resource`, for the system-assigned identity or the one user-assigned
   * identity selected. Throws {@link ImdsRequestError} (before any request),
   * {@link ImdsError}, {@link ImdsResponseError} or {@link ImdsUnreachableError}.
   */
  async getToken(request: ImdsTokenRequest): Promise<ImdsToken> {
    const resource = toResource(request.resource);
    const identity = identityParam(request);
    const key = `${resource}\n${identity ? identity.join('=') : 'system'}`;

    const cached = this.cache.get(key);
    if (cached && cached.expiresOn.getTime() - this.now() > this.refreshBeforeExpiryMs) return cached;
    const pending = this.inFlight.get(key);
    if (pending) return pending;

    const fetching = this.fetchToken(resource, identity)
      .then((token) => {
        this.cache.set(key, token);
        return token;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, fetching);
    return fetching;
  }

  /** Forgets every cached token. */
  clearCache(): void {
    this.cache.clear();
  }

  /** Closes the connections this client keeps open. */
  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  private fetchToken(resource: string, identity: [string, string] | undefined): Promise<ImdsToken> {
    const url = new URL(IMDS_TOKEN_PATH, this.endpoint);
    url.searchParams.set('api-version', IMDS_API_VERSION);
    url.searchParams.set('resource', resource);
    if (identity) url.searchParams.set(identity[0], identity[1]);
    return this.retry.run((attempt) => this.attempt(url, resource, attempt));
  }

  private async attempt(url: URL, resource: string, attempt: number): Promise<AttemptOutcome<ImdsToken>> {
    let status: number;
    let headers: Record<string, string | string[] | undefined>;
    let body: string;
    try {
      const response = await request(url, {
        method: 'GET',
        headers: { Metadata: 'true' },
        dispatcher: this.dispatcher,
        signal: AbortSignal.timeout(this.attemptTimeoutMs),
      });
      status = response.statusCode;
      headers = response.headers;
      body = await response.body.text();
    } catch (error) {
      throw new ImdsUnreachableError(this.endpoint, describeNetworkError(error, { timeoutMs: this.attemptTimeoutMs, connectTimeoutMs: this.connectTimeoutMs }), error);
    }
    if (status === 200) return { ok: true, value: toToken(body, resource, this.now()) };

    let parsed: { error?: unknown; error_description?: unknown } = {};
    try {
      const json: unknown = JSON.parse(body);
      if (typeof json === 'object' && json !== null) parsed = json;
    } catch {
      // Not JSON (a proxy page, a plain-text 404): the text itself is the best description.
    }
    const error = optionalString(parsed.error);
    const description = optionalString(parsed.error_description) ?? (body.trim().slice(0, 300) || undefined);
    const what = [error, description].filter(Boolean).join(': ') || 'no description';
    const after = attempt > 1 ? ` after ${attempt} attempts` : '';
    return {
      ok: false,
      status,
      retryAfterMs: parseRetryAfter(headers['retry-after'], this.now()),
      error: new ImdsError(`IMDS refused the token request for ${resource}${after}: HTTP ${status} ${what}`, {
        status,
        error,
        errorDescription: description,
        attempts: attempt,
        hint: hintFor(status, error, description),
      }),
    };
  }
}
