// Azure Resource Manager for milab: the real SDK clients configured for the current target, and a
// small raw `armRequest` over undici (loaded on its first call) for plain REST calls. Both turn ARM error bodies into
// `ArmError`s that keep the wire code (`AuthorizationFailed`, `ResourceNotFound`, …).
// The SDK packages are loaded when clients are first made, not at import: code that only needs
// IMDS or armRequest (and every `milab` command that does not use them) starts faster.
import type { Agent as HttpsAgent } from 'node:https';
import type { AuthorizationManagementClient } from '@azure/arm-authorization';
import type { ComputeManagementClient } from '@azure/arm-compute';
import type { ManagedServiceIdentityClient } from '@azure/arm-msi';
import type { ResourceManagementClient } from '@azure/arm-resources';
import type { TokenCredential } from '@azure/core-auth';
import type { PipelinePolicy, PipelineResponse, RestError } from '@azure/core-rest-pipeline';
import type { Dispatcher, EnvHttpProxyAgent } from 'undici';
import type { MilabConfig } from './config.js';
import { emulatorTls, getCredential, loadedUndici, loadUndici, requireEmulator, type PrincipalName } from './credentials.js';
import { ArmError, ArmUnreachableError, ConfigError, describeNetworkError, NotSignedInError } from './errors.js';
import { ARM_RETRY_DEFAULTS, RetryPolicy, parseRetryAfter, type RetryPolicyConfig } from './retry.js';
import { defaultThrottleBuckets, principalOfCredential, throttlePolicy, type ThrottleBuckets } from './throttle.js';

/** The public cloud's ARM endpoint. */
export const ARM_PUBLIC_ENDPOINT = 'https://management.azure.com';
/**
 * The scope every ARM call asks a token for, on both targets. Older @azure/arm-* clients would
 * default to `${endpoint}/.default`, which is wrong for the emulator; the emulator accepts this one.
 */
export const ARM_SCOPE = 'https://management.azure.com/.default';

/** Everything an ARM call needs for the configured target. Made once, shared by clients and raw calls. */
export interface ArmContext {
  readonly config: MilabConfig;
  /** ARM base URL without a trailing slash. */
  readonly endpoint: string;
  readonly credentialScopes: readonly string[];
  readonly credential: TokenCredential;
  /** The configured subscription, if any. */
  readonly subscriptionId: string | undefined;
  /** Emulator target: an agent trusting the emulator CA, for SDK pipelines. Azure: `undefined` (SDK defaults, proxies honoured). */
  readonly httpsAgent: HttpsAgent | undefined;
  /**
   * The undici dispatcher for {@link armRequest}: made on first read, which needs undici loaded
   * (`await loadUndici()`; armRequest and pingArm do it).
   */
  readonly dispatcher: Dispatcher;
}

/** Options of {@link createArmContext}. */
export interface ArmContextOptions {
  /** Emulator target: which seeded principal to act as (default `learner`). */
  as?: PrincipalName;
  /** Use this credential instead of {@link getCredential}'s. */
  credential?: TokenCredential;
  /** Environment to read (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
}

// Corporate networks need a proxy to reach Azure; undici only honours HTTP(S)_PROXY through
// EnvHttpProxyAgent (which also honours NO_PROXY). One per process is enough.
let azureDispatcher: EnvHttpProxyAgent | undefined;

/**
 * The ARM endpoint, credential and transport for the configured target: on `azure`,
 * `AZURE_RESOURCE_MANAGER_ENDPOINT` or management.azure.com; on `emulator`, the running emulator
 * (its CA trusted). Throws {@link EmulatorNotRunningError} on the emulator target when none runs.
 */
export function createArmContext(config: MilabConfig, options: ArmContextOptions = {}): ArmContext {
  const env = options.env ?? process.env;
  let endpoint: string;
  let httpsAgent: HttpsAgent | undefined;
  let dispatcher: () => Dispatcher;
  if (config.target === 'emulator') {
    const connection = requireEmulator(config);
    const tls = emulatorTls(connection);
    endpoint = connection.url;
    httpsAgent = tls.httpsAgent;
    dispatcher = () => tls.dispatcher;
  } else {
    endpoint = env.AZURE_RESOURCE_MANAGER_ENDPOINT?.trim() || ARM_PUBLIC_ENDPOINT;
    dispatcher = () => (azureDispatcher ??= new (loadedUndici().EnvHttpProxyAgent)());
  }
  return Object.freeze({
    config,
    endpoint: endpoint.replace(/\/+$/, ''),
    credentialScopes: Object.freeze([ARM_SCOPE]),
    credential: options.credential ?? getCredential(config, { as: options.as, env }),
    subscriptionId: config.subscriptionId,
    httpsAgent,
    // undici is loaded by the raw calls, not here: a grader that reads through the SDK clients only
    // never loads it.
    get dispatcher(): Dispatcher {
      return dispatcher();
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Error mapping: the only place ARM error bodies become ArmErrors.

/** ARM's error body: `{"error":{"code","message","target","details"}}` (some RPs omit the wrapper). */
interface ArmErrorBody {
  code?: unknown;
  message?: unknown;
  target?: unknown;
  details?: unknown;
}

/** The next step for the ARM codes learners meet most. */
const ARM_HINTS: Readonly<Record<string, string>> = {
  AuthorizationFailed:
    'Grant the caller a role that allows this action at this scope (e.g. Reader). If it was granted just now, wait up to 10 minutes and get a fresh token.',
  LinkedAuthorizationFailed:
    'Attaching an identity also needs Microsoft.ManagedIdentity/userAssignedIdentities/assign/action on the identity: grant Managed Identity Operator on it.',
  ResourceNotFound: 'Check the resource name, resource group and subscription (`./milab config show`).',
  ResourceGroupNotFound: 'Check the resource group name (`./milab config show`), or create it.',
  SubscriptionNotFound: 'Check the subscription id (`./milab config show`; `az account list -o table`).',
  InvalidAuthenticationToken: 'The token was not accepted: sign in again, and check the token is for https://management.azure.com/.',
  ExpiredAuthenticationToken: 'The token expired: get a fresh one.',
  RoleAssignmentExists: 'That role assignment already exists: nothing to do.',
  PrincipalNotFound:
    'The identity is new and not yet replicated: set principalType ("ServicePrincipal") in the assignment, or retry in a minute.',
};

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Parses an ARM error body (text or already-parsed JSON); `undefined` when it is not one. */
export function parseArmErrorBody(body: unknown): { code?: string; message?: string; target?: string; details: { code?: string; message?: string; target?: string }[] } | undefined {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const wrapped = (parsed as { error?: unknown }).error;
  const error = (typeof wrapped === 'object' && wrapped !== null ? wrapped : parsed) as ArmErrorBody;
  const code = optionalString(error.code);
  const message = optionalString(error.message);
  if (!code && !message) return undefined;
  const details = Array.isArray(error.details)
    ? (error.details as ArmErrorBody[]).map((d) => ({
        code: optionalString(d?.code),
        message: optionalString(d?.message),
        target: optionalString(d?.target),
      }))
    : [];
  return { code, message, target: optionalString(error.target), details };
}

/** What a raw answer tells {@link armErrorFromResponse}. */
export interface ArmErrorResponse {
  status: number;
  /** The body, as text or parsed JSON. */
  body: unknown;
  /** `x-ms-request-id`, when known. */
  requestId?: string | undefined;
  method?: string | undefined;
  url?: string | undefined;
  /** Code and message to use when the body has none (e.g. what the SDK found in headers). */
  fallback?: { code?: string | undefined; message?: string | undefined };
}

function withoutQuery(url: string | undefined): string | undefined {
  return url?.split('?')[0];
}

/** Maps an ARM error answer to an {@link ArmError}: wire code, status and message kept as ARM sent them. */
export function armErrorFromResponse(response: ArmErrorResponse, cause?: unknown): ArmError {
  const parsed = parseArmErrorBody(response.body);
  const code = parsed?.code ?? response.fallback?.code ?? 'MILAB_ARM_HTTP_ERROR';
  const text = typeof response.body === 'string' ? response.body.trim().slice(0, 300) : '';
  const message =
    parsed?.message ??
    response.fallback?.message ??
    (text ? `ARM answered HTTP ${response.status}: ${text}` : `ARM answered HTTP ${response.status} with no error body.`);
  const hint =
    ARM_HINTS[code] ??
    (response.status === 429
      ? 'ARM is throttling this caller: wait for the Retry-After time, then retry.'
      : response.status >= 500
        ? 'ARM had a transient failure: retry in a minute.'
        : undefined);
  return new ArmError(
    {
      code,
      status: response.status,
      message,
      target: parsed?.target,
      details: parsed?.details,
      requestId: response.requestId,
      method: response.method,
      url: withoutQuery(response.url),
    },
    { hint, cause },
  );
}

function unreachableHint(target: MilabConfig['target'] | undefined): string {
  return target === 'emulator'
    ? 'Check the emulator is running: `./milab doctor`; start it with `./milab emulator start --detach`.'
    : 'Check your network (and HTTPS_PROXY, if you need a proxy), then retry.';
}

/**
 * Maps an SDK `RestError` to an {@link ArmError} (ARM answered) or an {@link ArmUnreachableError}
 * (no answer). `target` picks the hint for the unreachable case.
 */
export function armErrorFromRestError(error: RestError, target?: MilabConfig['target']): ArmError | ArmUnreachableError {
  const response = error.response;
  if (error.statusCode === undefined || response === undefined) {
    const url = error.request?.url;
    const endpoint = url ? new URL(url).origin : 'the ARM endpoint';
    return new ArmUnreachableError(endpoint, describeNetworkError(error), unreachableHint(target), error);
  }
  // The SDK keeps the body text; a parsed body is the fallback for responses read as JSON only.
  const body = response.bodyAsText ?? (response as { parsedBody?: unknown }).parsedBody;
  return armErrorFromResponse(
    {
      status: error.statusCode,
      body: body ?? '',
      requestId: response.headers.get('x-ms-request-id') ?? undefined,
      method: error.request?.method,
      url: error.request?.url,
      // Without a body, keep what the SDK found (e.g. an x-ms-error-code header).
      fallback: { code: error.code, message: error.message },
    },
    error,
  );
}

/**
 * Whether `error` is an @azure/core-rest-pipeline `RestError`, recognised by name and shape (the
 * pipeline package is not loaded until SDK clients are made, and may exist in several copies).
 */
export function isRestError(error: unknown): error is RestError {
  return error instanceof Error && error.name === 'RestError' && ('statusCode' in error || 'request' in error || 'code' in error);
}

/** Name of {@link armErrorPolicy}. */
export const armErrorPolicyName = 'milabArmErrorPolicy';

/**
 * A pipeline policy that turns ARM errors into {@link ArmError}s inside the SDK clients.
 * Added per call, so it sits outside deserialization and retries: it sees the final outcome.
 * - Classic clients (arm-msi, arm-authorization, arm-resources) throw a `RestError` from their
 *   deserialization policy; the policy maps it. Expected non-2xx answers (a 404 for
 *   `checkExistence`) are not errors there and pass through.
 * - Modular clients (arm-compute 24) throw only after the pipeline, so with
 *   `throwOnErrorStatus` the policy maps any answer >= 400 itself (none of their operations
 *   expects one).
 */
export function armErrorPolicy(options: { target?: MilabConfig['target']; throwOnErrorStatus?: boolean } = {}): PipelinePolicy {
  return {
    name: armErrorPolicyName,
    async sendRequest(request, next): Promise<PipelineResponse> {
      let response: PipelineResponse;
      try {
        response = await next(request);
      } catch (error) {
        throw isRestError(error) ? armErrorFromRestError(error, options.target) : error;
      }
      if (options.throwOnErrorStatus && response.status >= 400) {
        throw armErrorFromResponse({
          status: response.status,
          body: response.bodyAsText ?? '',
          requestId: response.headers.get('x-ms-request-id') ?? undefined,
          method: request.method,
          url: request.url,
        });
      }
      return response;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// SDK clients

/** The SDK clients labs and graders use, configured for one {@link ArmContext}. */
export interface ArmClients {
  readonly msi: ManagedServiceIdentityClient;
  readonly authorization: AuthorizationManagementClient;
  readonly compute: ComputeManagementClient;
  readonly resources: ResourceManagementClient;
  readonly context: ArmContext;
  /** The client-side throttle the clients draw from (see {@link CreateArmClientsOptions.throttle}); pass it to {@link armRequest} too. */
  readonly throttle: ThrottleBuckets | undefined;
}

/** Options of {@link createArmClients}. */
export interface CreateArmClientsOptions {
  /**
   * Keep inside ARM's limits on the client side: every attempt first takes a token from the
   * (subscription, principal) bucket (throttle.ts). `true`: the process-wide buckets with ARM's
   * limits; a {@link ThrottleBuckets}: those (one set shared by a whole job). Default: off.
   */
  throttle?: boolean | ThrottleBuckets;
}

// The principal behind each context's credential, asked once: the key of its throttle buckets.
const principalOfContext = new WeakMap<ArmContext, () => Promise<string>>();

function contextPrincipal(context: ArmContext): () => Promise<string> {
  let principal = principalOfContext.get(context);
  if (!principal) {
    principal = principalOfCredential(context.credential, context.credentialScopes);
    principalOfContext.set(context, principal);
  }
  return principal;
}

/** The names of the SDK clients {@link createArmClient} makes. */
export type ArmClientName = 'msi' | 'authorization' | 'resources' | 'compute';

/** The SDK client behind each {@link ArmClientName}. */
export interface ArmClientTypes {
  readonly msi: ManagedServiceIdentityClient;
  readonly authorization: AuthorizationManagementClient;
  readonly resources: ResourceManagementClient;
  readonly compute: ComputeManagementClient;
}

/**
 * The context's subscription; a {@link ConfigError} when none is configured (ARM clients need one).
 */
export function requireArmSubscription(context: ArmContext): string {
  const subscriptionId = context.subscriptionId;
  if (!subscriptionId) {
    throw new ConfigError('No subscription is configured: ARM clients need one.', {
      key: 'subscriptionId',
      hint:
        context.config.target === 'azure'
          ? 'Set it: `./milab config set subscriptionId <id>` (see `az account show --query id -o tsv`).'
          : 'Start the emulator (`./milab emulator start --detach`), which provides its subscription.',
    });
  }
  return subscriptionId;
}

/**
 * The buckets a `throttle` option stands for: `true` the process-wide ones, buckets themselves,
 * else none. Resolve it once for clients that must share one set.
 */
export function armThrottle(throttle: CreateArmClientsOptions['throttle']): ThrottleBuckets | undefined {
  return throttle === true ? defaultThrottleBuckets() : throttle || undefined;
}

/**
 * One real @azure/arm-* client for the context's target and subscription: endpoint, scope
 * (`credentialScopes` / `credentials.scopes`), TLS agent and {@link armErrorPolicy} set. Only that
 * client's SDK package is loaded (arm-compute alone is about 1 MB of JavaScript), so code that
 * needs one client does not pay for the four. Rejects with a {@link ConfigError} when no
 * subscription is configured.
 */
export async function createArmClient<N extends ArmClientName>(context: ArmContext, name: N, options: CreateArmClientsOptions = {}): Promise<ArmClientTypes[N]> {
  const subscriptionId = requireArmSubscription(context);
  const scopes = [...context.credentialScopes];
  const agent = context.httpsAgent ? { agent: context.httpsAgent } : {};
  const throttle = armThrottle(options.throttle);
  // perRetry: after the SDK's retry policies (on by default, its throttling retry honours
  // Retry-After), so a retried attempt takes a token too.
  const throttled = throttle ? [{ policy: throttlePolicy(throttle, contextPrincipal(context)), position: 'perRetry' as const }] : [];
  // Classic (AutoRest) clients: `endpoint` for requests, `$host` for the URL template, and the
  // scope set explicitly (their default would be `${endpoint}/.default`).
  const classic = () => ({
    endpoint: context.endpoint,
    $host: context.endpoint,
    credentialScopes: scopes,
    ...agent,
    additionalPolicies: [{ policy: armErrorPolicy({ target: context.config.target }), position: 'perCall' as const }, ...throttled],
  });
  const make = async (): Promise<ArmClientTypes[ArmClientName]> => {
    switch (name) {
      case 'msi':
        return new (await import('@azure/arm-msi')).ManagedServiceIdentityClient(context.credential, subscriptionId, classic());
      case 'authorization':
        return new (await import('@azure/arm-authorization')).AuthorizationManagementClient(context.credential, subscriptionId, classic());
      case 'resources':
        return new (await import('@azure/arm-resources')).ResourceManagementClient(context.credential, subscriptionId, classic());
      case 'compute':
        // Modular (TypeSpec) client: `endpoint` and `credentials.scopes`.
        return new (await import('@azure/arm-compute')).ComputeManagementClient(context.credential, subscriptionId, {
          endpoint: context.endpoint,
          credentials: { scopes },
          ...agent,
          additionalPolicies: [
            { policy: armErrorPolicy({ target: context.config.target, throwOnErrorStatus: true }), position: 'perCall' as const },
            ...throttled,
          ],
        });
      default:
        throw new TypeError(`createArmClient: no ARM client named '${String(name)}'; expected msi, authorization, resources or compute`);
    }
  };
  return (await make()) as ArmClientTypes[N];
}

/**
 * The four real @azure/arm-* clients for the context's target and subscription (each as
 * {@link createArmClient} makes it), drawing from one throttle.
 * Rejects with a {@link ConfigError} when no subscription is configured.
 */
export async function createArmClients(context: ArmContext, options: CreateArmClientsOptions = {}): Promise<ArmClients> {
  requireArmSubscription(context);
  const throttle = armThrottle(options.throttle);
  const shared = { throttle: throttle ?? false };
  const [msi, authorization, resources, compute] = await Promise.all([
    createArmClient(context, 'msi', shared),
    createArmClient(context, 'authorization', shared),
    createArmClient(context, 'resources', shared),
    createArmClient(context, 'compute', shared),
  ]);
  return Object.freeze({ msi, authorization, resources, compute, context, throttle });
}

// ---------------------------------------------------------------------------------------------
// Raw REST

/** HTTP methods of ARM. */
export type ArmMethod = 'GET' | 'HEAD' | 'PUT' | 'PATCH' | 'POST' | 'DELETE';

/** One raw ARM call. */
export interface ArmRequestOptions {
  method?: ArmMethod;
  /** A path under the endpoint (`/subscriptions/…`), or a full URL on the same endpoint (a `nextLink`). */
  path: string;
  /** Sets `api-version` (omit when the path or nextLink already has one). */
  apiVersion?: string;
  query?: Readonly<Record<string, string>>;
  /** JSON body. */
  body?: unknown;
  headers?: Readonly<Record<string, string>>;
  /** Retry overrides; `false` disables retries. GET, HEAD, PUT and DELETE are retried on 429/502/503/504; POST and PATCH never. */
  retry?: Partial<RetryPolicyConfig> | false;
  /** Time allowed for one attempt. Default 30 s. */
  timeoutMs?: number;
  /** Take a token from these buckets before each attempt (the clients' `throttle`, see {@link createArmClients}). */
  throttle?: ThrottleBuckets | undefined;
}

/** A successful raw answer. */
export interface ArmResponse<T> {
  status: number;
  headers: Readonly<Record<string, string>>;
  /** Parsed JSON, or `undefined` for an empty body. */
  body: T | undefined;
}

const IDEMPOTENT: ReadonlySet<ArmMethod> = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);

function flatHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  return flat;
}

/**
 * A plain REST call to ARM with a bearer token from the context's credential. Resolves for 2xx;
 * throws {@link ArmError} for an ARM error answer, {@link ArmUnreachableError} without an answer.
 * Never sends the token anywhere but the context's endpoint.
 */
export async function armRequest<T = unknown>(context: ArmContext, options: ArmRequestOptions): Promise<ArmResponse<T>> {
  const method = options.method ?? 'GET';
  // A path is appended, not resolved: `//subscriptions/…` (a scope with its leading slash after a
  // `/`) must stay a path on the endpoint, not become a host name.
  const url = /^https?:\/\//i.test(options.path)
    ? new URL(options.path)
    : new URL(`${context.endpoint}/${options.path.replace(/^\/+/, '')}`);
  if (url.origin !== new URL(context.endpoint).origin) {
    throw new ConfigError(`Refusing to send an ARM token to ${url.origin}: expected a URL on ${context.endpoint}.`, {
      origin: 'armRequest path',
      hint: 'Pass a path like /subscriptions/{id}, or a nextLink ARM returned.',
    });
  }
  if (options.apiVersion) url.searchParams.set('api-version', options.apiVersion);
  for (const [name, value] of Object.entries(options.query ?? {})) url.searchParams.set(name, value);

  const token = await context.credential.getToken([...context.credentialScopes]);
  if (!token) throw new NotSignedInError('the credential returned no token for ARM.');
  const headers: Record<string, string> = {
    ...options.headers,
    authorization: `Bearer ${token.token}`,
    accept: 'application/json',
  };
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  if (payload !== undefined) headers['content-type'] = 'application/json';

  const timeoutMs = options.timeoutMs ?? 30_000;
  const retryable = options.retry !== false && IDEMPOTENT.has(method);
  const policy = new RetryPolicy(ARM_RETRY_DEFAULTS, retryable ? (options.retry || {}) : { maxRetries: 0 });
  const principal = options.throttle ? contextPrincipal(context) : undefined;
  const { request } = await loadUndici();
  return policy.run(async () => {
    let response: Dispatcher.ResponseData;
    let text: string;
    const bucket = options.throttle && principal ? await options.throttle.take(method, url.pathname, await principal()) : undefined;
    try {
      response = await request(url, {
        method,
        headers,
        body: payload,
        dispatcher: context.dispatcher,
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.body.text();
    } catch (error) {
      throw new ArmUnreachableError(context.endpoint, describeNetworkError(error, { timeoutMs }), unreachableHint(context.config.target), error);
    }
    const responseHeaders = flatHeaders(response.headers);
    if (bucket && response.statusCode === 429) options.throttle?.throttled(bucket, responseHeaders['retry-after']);
    if (response.statusCode < 300) {
      let body: T | undefined;
      if (text.trim() !== '') {
        try {
          body = JSON.parse(text) as T;
        } catch {
          throw new ArmError({
            code: 'MILAB_ARM_BAD_RESPONSE',
            status: response.statusCode,
            message: `ARM answered HTTP ${response.statusCode} with a body that is not JSON.`,
            method,
            url: url.origin + url.pathname,
          });
        }
      }
      return { ok: true, value: { status: response.statusCode, headers: responseHeaders, body } };
    }
    return {
      ok: false,
      status: response.statusCode,
      retryAfterMs: parseRetryAfter(responseHeaders['retry-after']),
      error: armErrorFromResponse({
        status: response.statusCode,
        body: text,
        requestId: responseHeaders['x-ms-request-id'],
        method,
        url: url.href,
      }),
    };
  });
}

/**
 * Whether ARM answers at all: an unauthenticated `GET /metadata/endpoints` (real ARM and the
 * emulator both serve it). Resolves with the HTTP status, whatever it is; throws
 * {@link ArmUnreachableError} when nothing answers within `timeoutMs`.
 */
export async function pingArm(context: Pick<ArmContext, 'endpoint' | 'dispatcher' | 'config'>, timeoutMs = 10_000): Promise<number> {
  const url = new URL('/metadata/endpoints?api-version=2022-09-01', `${context.endpoint}/`);
  const { request } = await loadUndici();
  try {
    const response = await request(url, { method: 'GET', dispatcher: context.dispatcher, signal: AbortSignal.timeout(timeoutMs) });
    await response.body.dump();
    return response.statusCode;
  } catch (error) {
    throw new ArmUnreachableError(context.endpoint, describeNetworkError(error, { timeoutMs }), unreachableHint(context.config.target), error);
  }
}
