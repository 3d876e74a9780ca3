// The portal's side of the emulator's HTTPS listener: everything under /portal. The emulator calls
// servePortal for those requests only (loading this package the first time one comes); the rest
// of its listener (Entra, ARM) does not know the portal exists.
//
// What is served: the page (index.html, its bundled script and style sheet) and a small API:
// POST /portal/api/principals (who can sign in), POST /portal/api/token (a token of one of them,
// for ARM or for Key Vault, which the emulator gets from its own Entra with that principal's
// client credentials) and POST /portal/api/vault (one Key Vault data-plane call, relayed).
// The page then calls the emulator's ARM API itself, with that token, so RBAC decides every action.
//
// Why Key Vault's calls are relayed: each emulated vault's data plane is an origin of its own
// (`https://127.0.0.1:PORT/`, as `https://{name}.vault.azure.net/` is in Azure), and the page's
// Content-Security-Policy allows connections to its own origin only. Widening connect-src to every
// port of 127.0.0.1 (and answering CORS on every vault) would let the page talk to any local
// service; the relay instead takes one call — the vault URI of a vault ARM lists, a secrets path,
// and the signed-in principal's Key Vault token in Authorization — and sends it, token and all, to
// that vault's listener. The vault checks the token and its RBAC as for any client; the relay
// adds no authority of its own. It never hands a secret's value back to the page: the portal has
// no "Show Secret Value" (see VAULT_PATH).
//
// Signing in needs no password, so who may ask for a token is guarded instead:
// - The portal key. Every API call carries `X-Milab-Portal-Key`, a random value the emulator makes
//   at each start and writes only to connection.json (0600, which holds the principals' secrets
//   already): `milab portal` hands it over in the URL's fragment (`/portal/#key=…`). A fragment is
//   never sent to a server nor in a Referer; the page moves it to sessionStorage and drops it
//   from the address bar. Another web page cannot read it (sessionStorage is per origin and per
//   tab), and a local process without connection.json does not have it.
// - The Host header (DNS rebinding): answered only when it names 127.0.0.1:PORT or localhost:PORT,
//   as the class dashboard does. A page elsewhere that rebinds its own name to 127.0.0.1 sends
//   its own name in Host and gets 421.
// - CSRF: the API takes only POST with a JSON body and the key header, so a cross-origin page
//   needs a CORS preflight that nothing here answers; a request whose Origin is not this origin
//   is refused anyway.
// The page's Content-Security-Policy allows scripts and connections to this origin only.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pageHtml } from '@milab/dashboard';
import { portalAssets, type PortalAssets } from './assets.js';

/** Where the portal lives on the emulator's listener. */
export const PORTAL_PATH = '/portal';

/** The header that carries the portal key on every API call. */
export const PORTAL_KEY_HEADER = 'x-milab-portal-key';

/** The API's bodies are a principal's id (a few bytes), or one vault call: a secret of up to 25 KB (Key Vault's limit) and its JSON. */
const MAX_BODY_BYTES = 16 * 1024;
const MAX_VAULT_BODY_BYTES = 64 * 1024;

/**
 * The vault calls the page makes: list the secrets (`GET /secrets`, and a secret's versions), set
 * one (`PUT /secrets/{name}`). Nothing else is relayed: not a read of a value, not a delete.
 * Secret names: 1-127 letters, digits and hyphens (Microsoft Learn, "About Azure Key Vault secrets").
 */
const VAULT_PATH = /^\/secrets(?:\/[0-9a-zA-Z-]{1,127}(?:\/versions)?)?(?:\?[A-Za-z0-9\-._~%!$&'()*+,;=:@/?]*)?$/;
const VAULT_METHODS = new Set(['GET', 'PUT']);

/**
 * Scripts, connections, images and fonts from this origin only; no framing, no form posts, no
 * plugins. Styles may be inline: Fluent UI's CSS-in-JS (Griffel) inserts its rules at run time
 * (a style rule cannot run code; the script policy is what stops injected code).
 */
export const PORTAL_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': PORTAL_CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** Someone who can sign in to the portal (never with a secret: the emulator keeps those). */
export interface PortalPrincipal {
  /** `learner`, `grader`, `instructor`, or `class:<name>` for a class learner. */
  id: string;
  displayName: string;
  kind: 'seeded' | 'class';
  /** Application (client) id. */
  clientId: string;
  /** Object id of the service principal (the principalId of its role assignments). */
  objectId: string;
}

/** The world the page opens on: the lab subscription, resource group and region. */
export interface PortalContext {
  tenantId: string;
  subscriptionId: string;
  resourceGroup: string;
  location: string;
}

/** Which service a token is for: ARM (`https://management.azure.com` on Azure) or Key Vault (`https://vault.azure.net`). */
export type PortalAudience = 'arm' | 'vault';

/** One Key Vault data-plane call the page asks the portal to relay. */
export interface PortalVaultCall {
  /** The vault's `properties.vaultUri` (`https://127.0.0.1:PORT/`). */
  vaultUri: string;
  method: 'GET' | 'PUT';
  /** Path and query (`/secrets?api-version=…`). */
  path: string;
  /** The JSON body of a PUT. */
  body?: unknown;
  /** The request's Authorization header (the page's Key Vault token), sent on as is. */
  authorization: string | undefined;
}

/** The vault's answer: its status and JSON body. */
export interface PortalVaultReply {
  status: number;
  body: unknown;
}

/** A token of a principal, for ARM or Key Vault. */
export interface PortalSignIn {
  accessToken: string;
  /** Seconds since the epoch. */
  expiresOn: number;
}

/** What the emulator gives the portal. */
export interface PortalHost {
  /** The listener's port: Host must be 127.0.0.1:PORT or localhost:PORT. */
  port: number;
  /** The portal key of this run (connection.json's portalUrl carries it). */
  key: string;
  context(): PortalContext;
  principals(): PortalPrincipal[];
  /** A token of the principal `id` for ARM (or Key Vault), or undefined when there is no such principal. */
  signIn(id: string, audience?: PortalAudience): Promise<PortalSignIn | undefined>;
  /**
   * Relays one call to a vault's data plane, or answers undefined when `vaultUri` is no vault's
   * (only the vaults of the world are reached: never another local port). Without it, the
   * portal has no Key Vault data plane.
   */
  vault?(call: PortalVaultCall): Promise<PortalVaultReply | undefined>;
  /** The page's bundle (tests); built or taken from the cache when absent. */
  assets?: () => Promise<PortalAssets>;
}

/** Whether a request path is the portal's. */
export function isPortalPath(pathname: string): boolean {
  return pathname === PORTAL_PATH || pathname.startsWith(`${PORTAL_PATH}/`);
}

function hostAllowed(host: string | undefined, port: number): boolean {
  if (!host) return false;
  const wanted = host.toLowerCase();
  return wanted === `127.0.0.1:${port}` || wanted === `localhost:${port}`;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)), ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** An API refusal in ARM's error shape, which the page shows as it shows ARM's. */
function refuse(res: ServerResponse, status: number, code: string, message: string): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify({ error: { code, message } }), { 'Cache-Control': 'no-store' });
}

function indexHtml(assets: PortalAssets): string {
  return pageHtml(assets, {
    title: 'Microsoft Azure (milab emulator)',
    assetsPath: `${PORTAL_PATH}/assets`,
    loading: 'Loading the portal…',
    noscriptHtml: "This page needs JavaScript. The same steps with the az CLI or TypeScript: see each lab's README.",
  });
}

function keyMatches(presented: string | string[] | undefined, key: string): boolean {
  const given = Buffer.from(typeof presented === 'string' ? presented : '');
  const expected = Buffer.from(key);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        resolve(undefined);
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

let cachedAssets: Promise<PortalAssets> | undefined;

/** The bundle, built once per process (a failed build is tried again on the next request). */
function loadAssets(host: PortalHost): Promise<PortalAssets> {
  if (host.assets) return host.assets();
  cachedAssets ??= portalAssets().catch((error: unknown) => {
    cachedAssets = undefined;
    throw error;
  });
  return cachedAssets;
}

async function api(req: IncomingMessage, res: ServerResponse, host: PortalHost, name: string): Promise<void> {
  if (req.method !== 'POST') {
    send(res, 405, 'text/plain; charset=utf-8', 'The portal API takes POST only.\n', { Allow: 'POST' });
    return;
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !hostAllowed(origin.replace(/^https:\/\//i, ''), host.port)) {
    refuse(res, 403, 'PortalOriginRefused', `The portal API answers the portal's own page only, not a page from ${origin}.`);
    return;
  }
  if (!keyMatches(req.headers[PORTAL_KEY_HEADER], host.key)) {
    refuse(res, 403, 'PortalKeyInvalid', 'This page has no portal key, or the key of an earlier emulator run. Open the portal with `./milab portal`, which hands over the key of the running emulator.');
    return;
  }
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
    refuse(res, 415, 'UnsupportedMediaType', 'The portal API takes a JSON body (Content-Type: application/json).');
    return;
  }
  const limit = name === 'vault' ? MAX_VAULT_BODY_BYTES : MAX_BODY_BYTES;
  const text = await readBody(req, limit);
  if (text === undefined) {
    refuse(res, 413, 'RequestContentTooLarge', `The portal API takes bodies of up to ${limit} bytes.`);
    return;
  }
  let body: unknown;
  try {
    body = text === '' ? {} : JSON.parse(text);
  } catch {
    refuse(res, 400, 'InvalidRequestContent', 'The body is not JSON.');
    return;
  }
  if (name === 'principals') {
    send(res, 200, 'application/json; charset=utf-8', JSON.stringify({ principals: host.principals(), context: host.context() }), { 'Cache-Control': 'no-store' });
    return;
  }
  if (name === 'vault') {
    await relayVault(req, res, host, body);
    return;
  }
  const id = (body as { principal?: unknown } | null)?.principal;
  if (typeof id !== 'string' || id === '') {
    refuse(res, 400, 'InvalidRequestContent', 'The body needs "principal": the id of one of the principals POST /portal/api/principals lists.');
    return;
  }
  const audience = (body as { audience?: unknown }).audience ?? 'arm';
  if (audience !== 'arm' && audience !== 'vault') {
    refuse(res, 400, 'InvalidRequestContent', `"audience" is 'arm' (the default) or 'vault' (Key Vault's data plane), not ${JSON.stringify(audience)}.`);
    return;
  }
  const signedIn = await host.signIn(id, audience);
  if (!signedIn) {
    refuse(res, 404, 'PrincipalNotFound', `There is no principal '${id}' to sign in as (a class learner removed since?). Reload the page to see who can sign in.`);
    return;
  }
  // The answer holds a token: never stored by the browser's cache.
  send(res, 200, 'application/json; charset=utf-8', JSON.stringify(signedIn), { 'Cache-Control': 'no-store' });
}

/** A secret's value never goes back to the page: Key Vault's answer to a set holds it (a list's items do not, but are cleaned too). */
function withoutValue(bundle: unknown): unknown {
  if (bundle === null || typeof bundle !== 'object' || Array.isArray(bundle)) return bundle;
  const { value, ...rest } = bundle as Record<string, unknown>;
  if (Array.isArray(value)) return { ...rest, value: value.map(withoutValue) };
  return rest;
}

async function relayVault(req: IncomingMessage, res: ServerResponse, host: PortalHost, body: unknown): Promise<void> {
  const call = (body ?? {}) as { vaultUri?: unknown; method?: unknown; path?: unknown; body?: unknown };
  // The whole path and query, in URL characters only: what is relayed is exactly what was checked.
  const path = typeof call.path === 'string' ? call.path : '';
  if (typeof call.vaultUri !== 'string' || typeof call.method !== 'string' || !VAULT_METHODS.has(call.method) || !VAULT_PATH.test(path)) {
    refuse(res, 400, 'InvalidRequestContent', 'The body needs "vaultUri" (a vault\'s properties.vaultUri), "method" (GET or PUT) and "path" (/secrets, /secrets/{name} or /secrets/{name}/versions, with its query): the portal relays those Key Vault calls only.');
    return;
  }
  if (!host.vault) {
    refuse(res, 501, 'NotImplemented', 'This emulator does not relay Key Vault calls for the portal.');
    return;
  }
  const reply = await host.vault({ vaultUri: call.vaultUri, method: call.method as 'GET' | 'PUT', path, body: call.body, authorization: req.headers.authorization });
  if (!reply) {
    refuse(res, 404, 'VaultNotFound', `No vault of this emulator has the URI ${call.vaultUri}. Reload the vault's page: it may have been deleted.`);
    return;
  }
  send(res, reply.status, 'application/json; charset=utf-8', JSON.stringify(withoutValue(reply.body) ?? null), { 'Cache-Control': 'no-store' });
}

/**
 * Answers a request under /portal (see {@link isPortalPath}); resolves once the reply is sent.
 * Never rejects for a bad request: it is answered (421, 403, 404, …).
 */
export async function servePortal(req: IncomingMessage, res: ServerResponse, host: PortalHost): Promise<void> {
  if (!hostAllowed(req.headers.host, host.port)) {
    send(res, 421, 'text/plain; charset=utf-8', `The portal answers only at https://127.0.0.1:${host.port}${PORTAL_PATH}/ (or localhost:${host.port}).\n`);
    return;
  }
  const path = new URL(req.url ?? '/', 'https://127.0.0.1').pathname;
  const apiMatch = /^\/portal\/api\/(principals|token|vault)$/.exec(path);
  if (apiMatch) {
    await api(req, res, host, apiMatch[1] ?? '');
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, 'text/plain; charset=utf-8', 'Only GET and HEAD are allowed here.\n', { Allow: 'GET, HEAD' });
    return;
  }
  if (path === PORTAL_PATH) {
    // The fragment (#key=…) stays with the browser across the redirect.
    send(res, 308, 'text/plain; charset=utf-8', `The portal is at ${PORTAL_PATH}/.\n`, { Location: `${PORTAL_PATH}/` });
    return;
  }
  let assets: PortalAssets;
  try {
    assets = await loadAssets(host);
  } catch (error) {
    const hint = (error as { hint?: unknown }).hint;
    send(res, 500, 'text/plain; charset=utf-8', `${(error as Error).message}\n${typeof hint === 'string' ? `${hint}\n` : ''}`, { 'Cache-Control': 'no-store' });
    return;
  }
  switch (path) {
    case `${PORTAL_PATH}/`:
    case `${PORTAL_PATH}/index.html`:
      send(res, 200, 'text/html; charset=utf-8', indexHtml(assets), { 'Cache-Control': 'no-store' });
      return;
    case `${PORTAL_PATH}/assets/app.js`:
      send(res, 200, 'text/javascript; charset=utf-8', assets.js, { 'Cache-Control': 'no-cache', ETag: `"${assets.version}"` });
      return;
    case `${PORTAL_PATH}/assets/app.css`:
      send(res, 200, 'text/css; charset=utf-8', assets.css, { 'Cache-Control': 'no-cache', ETag: `"${assets.version}"` });
      return;
    default:
      send(res, 404, 'text/plain; charset=utf-8', `Nothing at ${path}: the portal is at ${PORTAL_PATH}/.\n`);
  }
}
