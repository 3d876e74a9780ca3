// One emulated VM's (or container group's) IMDS: plain HTTP on 127.0.0.1, one port each. It
// reads the resource from the store on every request, so attaching or detaching an identity
// takes effect at once.
// Rules, in IMDS's order: GET only; no X-Forwarded-For; `Metadata: true`; no duplicate query
// parameters; api-version; then the endpoint's own parameters. Faults and limits (profiles)
// apply to the token endpoint, before its rules; latency to every call.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TokenIssuer } from '../entra/tokens.js';
import { keyOf, type ResourceRecord } from '../model.js';
import type { ProfileState } from '../profiles.js';
import type { Store } from '../store.js';
import { IDENTITY_INFO_PATH, INSTANCE_PATH, isKnownApiVersion, NEWEST_VERSIONS, IMDS_API_VERSIONS, TOKEN_PATH, VERSIONS_PATH } from './constants.js';
import { ImdsError, imdsErrors } from './errors.js';
import { guardListener, originFormUrl } from '../http.js';
import { logError, logValue, WarnOnce } from '../log.js';
import { instanceMetadata } from './instance.js';
import { issueManagedIdentityToken } from './token.js';
import { answerMsiEndpoint, isMsiEndpointPath } from './app-service.js';

/** IMDS's Server header (seen on real answers). */
const SERVER_HEADER = 'IMDS/150.870.65.1544';

export interface ImdsDeps {
  store: Store;
  tokens: () => Promise<TokenIssuer>;
  profiles: ProfileState;
  log: (message: string) => void;
  /** Told when a request finds its resource gone (the manager then closes its listener). */
  onResourceGone?: () => void;
}

const CONTAINER_GROUP_TYPE = 'microsoft.containerinstance/containergroups';

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

function firstDuplicate(query: URLSearchParams): string | undefined {
  const seen = new Set<string>();
  for (const key of query.keys()) {
    const name = key.toLowerCase();
    if (seen.has(name)) return key;
    seen.add(name);
  }
  return undefined;
}

/**
 * The "future api-version" warning is given once per version for the whole IMDS plane: the
 * listeners of one emulator share its log function, so warnings are kept per log function.
 */
const futureVersionWarnings = new WeakMap<ImdsDeps['log'], WarnOnce>();

function warnFutureVersion(deps: ImdsDeps, apiVersion: string): void {
  let warnings = futureVersionWarnings.get(deps.log);
  if (!warnings) {
    warnings = new WarnOnce(deps.log);
    futureVersionWarnings.set(deps.log, warnings);
  }
  warnings.warn(apiVersion, () => `warning: IMDS api-version '${logValue(apiVersion)}' is newer than the emulator knows; answering as ${NEWEST_VERSIONS[0]}`);
}

/** The request's path and query, or undefined when the request-target is not a path (`http://x/`, `*`). */
function requestUrl(target: string): URL | undefined {
  // `AZURE_POD_IDENTITY_AUTHORITY_HOST` with a trailing slash makes MSAL ask for `//metadata/…`.
  return originFormUrl(target.replace(/^\/{2,}/, '/'), 'http://127.0.0.1');
}

function metadataHeaderOk(req: IncomingMessage): boolean {
  return String(req.headers.metadata ?? '').toLowerCase() === 'true';
}

/** The answer of one VM's (or container group's) IMDS to one request. */
export async function answerImds(deps: ImdsDeps, vmId: string, req: IncomingMessage): Promise<Answer> {
  const method = (req.method ?? 'GET').toUpperCase();
  const url = requestUrl(req.url ?? '');
  if (!url) throw imdsErrors.badRequestTarget(req.url ?? '');
  const path = url.pathname.replace(/\/{2,}/g, '/').replace(/\/+$/, '') || '/';
  const query = url.searchParams;
  const isIdentity = path.toLowerCase().startsWith('/metadata/identity');
  const known = [TOKEN_PATH, IDENTITY_INFO_PATH, INSTANCE_PATH, VERSIONS_PATH].includes(path.toLowerCase());
  if (!known) throw imdsErrors.notFound();
  // The token endpoint waits inside its admission (so latency counts against "5 at once").
  if (path.toLowerCase() !== TOKEN_PATH) await deps.profiles.delay('imds');
  if (method !== 'GET') throw imdsErrors.methodNotAllowed(method);
  if (req.headers['x-forwarded-for'] !== undefined) throw isIdentity ? imdsErrors.identityForwarded() : imdsErrors.instanceForwarded();
  if (!metadataHeaderOk(req)) throw isIdentity ? imdsErrors.identityMetadataHeaderMissing() : imdsErrors.instanceMetadataHeaderMissing();
  const duplicate = firstDuplicate(query);
  if (duplicate) throw isIdentity ? imdsErrors.identityDuplicateParameter(duplicate) : imdsErrors.instanceDuplicateParameter(duplicate);

  if (path.toLowerCase() === VERSIONS_PATH) return { status: 200, body: { apiVersions: IMDS_API_VERSIONS } };

  const apiVersion = query.get('api-version');
  if (!apiVersion) throw isIdentity ? imdsErrors.identityParameterMissing('api-version') : imdsErrors.instanceApiVersionMissing(NEWEST_VERSIONS);
  const versionKind = isKnownApiVersion(apiVersion);
  if (versionKind === 'invalid') throw isIdentity ? imdsErrors.identityBadApiVersion(apiVersion, NEWEST_VERSIONS) : imdsErrors.instanceApiVersionInvalid(NEWEST_VERSIONS);
  if (versionKind === 'future') warnFutureVersion(deps, apiVersion);

  const vm = deps.store.state.resources[keyOf(vmId)];
  if (!vm) {
    deps.onResourceGone?.();
    throw imdsErrors.notFound();
  }
  const subscriptionId = /^\/subscriptions\/([^/]+)/i.exec(vm.id)?.[1] ?? '';

  switch (path.toLowerCase()) {
    case INSTANCE_PATH:
      // A container group has no VM to describe: ACI documents the token endpoint only
      // (Learn, "How to use managed identities with Azure Container Instances"), so the
      // instance document is IMDS's 404 there. Unconfirmed against a live container.
      if (vm.type.toLowerCase() === CONTAINER_GROUP_TYPE) throw imdsErrors.notFound();
      return { status: 200, body: instanceMetadata(vm, subscriptionId) };
    case IDENTITY_INFO_PATH:
      return { status: 200, body: { tenantId: deps.store.state.tenantId } };
    default:
      return answerToken(deps, vm, query);
  }
}

async function answerToken(deps: ImdsDeps, vm: ResourceRecord, query: URLSearchParams): Promise<Answer> {
  const done = deps.profiles.admitImds(keyOf(vm.id));
  if (!done) throw imdsErrors.tooManyRequests();
  try {
    await deps.profiles.delay('imds');
    const fault = deps.profiles.nextImdsFault(vm.name, query);
    if (fault !== undefined) throw imdsErrors.fault(fault);
    if (!query.get('resource')) throw imdsErrors.identityParameterMissing('resource');
    const tokens = await deps.tokens();
    // Read the VM again: it may have changed while this request waited.
    const current = deps.store.state.resources[keyOf(vm.id)] ?? vm;
    return { status: 200, body: await issueManagedIdentityToken(deps.store.state, tokens, current, query) };
  } finally {
    done();
  }
}

function write(res: ServerResponse, answer: Answer): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(answer.body);
  res.writeHead(answer.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    server: SERVER_HEADER,
    'x-ms-request-id': randomUUID(),
    ...answer.headers,
  });
  res.end(text);
}

/** A started IMDS listener for one VM. */
export interface ImdsListener {
  readonly vmId: string;
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/** Starts a VM's IMDS on 127.0.0.1:`port` (0: any free port). Rejects with EADDRINUSE when taken. */
export async function startImdsListener(deps: ImdsDeps, vmId: string, port: number): Promise<ImdsListener> {
  const server: Server = createServer((req, res) => {
    // MSI_ENDPOINT's POST (az login --identity, see app-service.ts) reads its form body.
    const msi = isMsiEndpointPath(req.url);
    if (!msi) req.resume();
    // A resource found gone is reported once its 404 has been sent: closing the listener first would cut it.
    const gone = deps.onResourceGone;
    const requestDeps: ImdsDeps = gone ? { ...deps, onResourceGone: () => void res.once('close', gone) } : deps;
    (msi ? answerMsiEndpoint(requestDeps, vmId, req) : answerImds(requestDeps, vmId, req)).then(
      (answer) => write(res, answer),
      (error: unknown) => {
        if (error instanceof ImdsError) {
          write(res, { status: error.status, body: error.body(), headers: error.headers });
          return;
        }
        deps.log(`error: IMDS of ${logValue(vmId)}: ${logValue(req.method)} ${logValue(req.url)}: ${logError(error)}`);
        const internal = imdsErrors.internal();
        write(res, { status: internal.status, body: internal.body() });
      },
    ).catch((error: unknown) => {
      // Only writing the answer can fail here; the connection is cut instead of the process.
      deps.log(`error: IMDS of ${logValue(vmId)}: writing the answer failed: ${logError(error)}`);
      res.destroy();
    });
  });
  guardListener(server, {
    unparseable: (status, reason) => imdsErrors.unparseable(status, reason).body(),
    connect: (target) => imdsErrors.badRequestTarget(target).body(),
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    vmId,
    port: bound,
    url: `http://127.0.0.1:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
