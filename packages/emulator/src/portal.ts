// The /portal route of the listener (server.ts): @milab/portal serves the page and its small
// sign-in API; this file gives it what only the emulator has — who can sign in, and a token of
// one of them. @milab/portal (and, through it, the page's bundler) is loaded the first time a
// request under /portal comes: an emulator whose portal nobody opens never loads it.
//
// A token is a real sign-in at the emulator's own Entra token endpoint, with the principal's
// client credentials (the same path as `AZURE_CLIENT_SECRET` in an SDK), for ARM's audience (or
// Key Vault's, https://vault.azure.net, for the vault pages): the page then calls ARM with it,
// and RBAC decides what that principal may do.
//
// Key Vault's data plane is one HTTPS listener per vault (keyvault/dataplane.ts): the portal
// relays the page's vault calls to it (why: @milab/portal's server.ts). The relay reaches only a
// vault's own listener — the port in the `vaultUri` of a vault the world has — and only after the
// listener has shown the emulator's own certificate (pinned: the one this listener presented to
// the page's request), so the page's token goes to nothing else on 127.0.0.1.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request as httpRequest } from 'node:http';
import { randomBytes } from 'node:crypto';
import { connect, type TLSSocket } from 'node:tls';
import type { PortalPrincipal, PortalVaultCall, PortalVaultReply } from '@milab/portal';
import { PRINCIPAL_NAMES } from './connection.js';
import { handleEntra } from './entra/handlers.js';
import { portOfVaultUri } from './keyvault/dataplane.js';
import { VAULT_TYPE } from './keyvault/state.js';
import type { TokenIssuer } from './entra/tokens.js';
import { classSecretsOf, type Secrets } from './secrets.js';
import type { Store } from './store.js';
import { SEED } from './world.js';

/** Whether a path is the portal's (as @milab/portal's isPortalPath, without loading it). */
export function isPortalRequest(pathname: string | undefined): boolean {
  return pathname === '/portal' || (pathname?.startsWith('/portal/') ?? false);
}

/** A new portal key: 24 random bytes, as the admin key. */
export function newPortalKey(): string {
  return randomBytes(24).toString('base64url');
}

interface PortalDeps {
  store: Store;
  secrets: Secrets;
  tokens: () => Promise<TokenIssuer>;
  key: string;
}

const CLASS_PREFIX = 'class:';

function principalsOf(deps: PortalDeps): PortalPrincipal[] {
  const seeded: PortalPrincipal[] = PRINCIPAL_NAMES.map((name) => ({
    id: name,
    displayName: SEED.principals[name].displayName,
    kind: 'seeded',
    clientId: SEED.principals[name].clientId,
    objectId: SEED.principals[name].objectId,
  }));
  const learners: PortalPrincipal[] = Object.values(deps.store.state.principals)
    .filter((p) => p.createdVia === 'admin' && p.name)
    .sort((a, b) => (a.name ?? '').localeCompare(b.name ?? ''))
    .map((p) => ({ id: `${CLASS_PREFIX}${p.name ?? ''}`, displayName: p.displayName, kind: 'class', clientId: p.appId, objectId: p.objectId }));
  return [...seeded, ...learners];
}

/** The client id and secret of the principal `id`, or undefined when there is none. */
function credentialsOf(deps: PortalDeps, id: string): { clientId: string; secret: string } | undefined {
  const seeded = PRINCIPAL_NAMES.find((name) => name === id);
  if (seeded) return { clientId: SEED.principals[seeded].clientId, secret: deps.secrets[seeded] };
  if (!id.startsWith(CLASS_PREFIX)) return undefined;
  const name = id.slice(CLASS_PREFIX.length).toLowerCase();
  const p = Object.values(deps.store.state.principals).find((q) => q.createdVia === 'admin' && q.name?.toLowerCase() === name);
  const secret = p && classSecretsOf(deps.secrets)?.get(p.objectId);
  return p && secret ? { clientId: p.appId, secret } : undefined;
}

/** Key Vault's resource (the audience of its tokens). */
const VAULT_RESOURCE = 'https://vault.azure.net';
/** A vault that does not answer in this long is reported, not waited on. */
const VAULT_TIMEOUT_MS = 30_000;
/** A vault's answers to the portal's calls are a page of secrets' attributes: small. */
const MAX_VAULT_REPLY_BYTES = 1024 * 1024;

/** The port of the vault whose vaultUri is `uri`, when the world has one. */
function vaultPort(deps: PortalDeps, uri: string): number | undefined {
  const wanted = uri.replace(/\/*$/, '/').toLowerCase();
  for (const vault of deps.store.indexes.resourcesOfType(VAULT_TYPE).values()) {
    const own = vault.properties.vaultUri;
    if (typeof own === 'string' && own.replace(/\/*$/, '/').toLowerCase() === wanted) return portOfVaultUri(own);
  }
  return undefined;
}

/** The vault's answer, read whole (up to MAX_VAULT_REPLY_BYTES) and parsed. */
function readVaultReply(res: IncomingMessage): Promise<PortalVaultReply> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_VAULT_REPLY_BYTES) {
        res.destroy();
        reject(new Error(`the vault's answer is larger than ${MAX_VAULT_REPLY_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    res.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = null;
      try {
        body = text === '' ? null : JSON.parse(text);
      } catch {
        body = { error: { code: 'InvalidResponse', message: `The vault answered ${res.statusCode ?? 0} with a body that is not JSON.` } };
      }
      resolve({ status: res.statusCode ?? 502, body });
    });
    res.on('error', reject);
  });
}

/** Sends one call to the vault listener on `port`, once it has shown the certificate `pinned`. */
function relayToVault(port: number, pinned: Buffer, call: PortalVaultCall): Promise<PortalVaultReply> {
  return new Promise((resolve, reject) => {
    const timeout = () => new Error(`the vault did not answer in ${VAULT_TIMEOUT_MS / 1000} s`);
    // The CA check is replaced by the pin (a stronger check: this exact certificate), so that the
    // portal needs no CA file: the vault listeners serve the certificate this listener serves.
    const socket: TLSSocket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const shown = socket.getPeerCertificate();
      if (!shown?.raw || !shown.raw.equals(pinned)) {
        socket.destroy();
        reject(new Error(`the listener at 127.0.0.1:${port} did not show the emulator's certificate`));
        return;
      }
      const body = call.body === undefined ? undefined : JSON.stringify(call.body);
      const headers: Record<string, string> = { host: `127.0.0.1:${port}`, accept: 'application/json' };
      if (call.authorization) headers.authorization = call.authorization;
      if (body !== undefined) headers['content-type'] = 'application/json';
      try {
        const req = httpRequest({ createConnection: () => socket, method: call.method, path: call.path, headers, timeout: VAULT_TIMEOUT_MS }, (res) => {
          readVaultReply(res).then(resolve, reject).finally(() => socket.end());
        });
        req.on('timeout', () => req.destroy(timeout()));
        req.on('error', reject);
        req.end(body);
      } catch (error) {
        // A path Node refuses to send (an unescaped character) is an answer, never a throw out of this callback.
        socket.destroy();
        reject(error as Error);
      }
    });
    socket.setTimeout(VAULT_TIMEOUT_MS, () => socket.destroy(timeout()));
    socket.on('error', reject);
  });
}

/** Serves a request under /portal; resolves once answered. */
export async function servePortalRequest(req: IncomingMessage, res: ServerResponse, deps: PortalDeps, baseUrl: string): Promise<void> {
  const { servePortal } = await import('@milab/portal');
  await servePortal(req, res, {
    port: Number(new URL(baseUrl).port),
    key: deps.key,
    context: () => ({ tenantId: deps.store.state.tenantId, subscriptionId: SEED.subscriptionId, resourceGroup: SEED.resourceGroup, location: SEED.location }),
    principals: () => principalsOf(deps),
    async signIn(id, audience = 'arm') {
      const credentials = credentialsOf(deps, id);
      if (!credentials) return undefined;
      const tenantId = deps.store.state.tenantId;
      const resource = audience === 'vault' ? VAULT_RESOURCE : baseUrl;
      const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: credentials.clientId, client_secret: credentials.secret, scope: `${resource}/.default` });
      const reply = await handleEntra(
        { baseUrl, tenantId, store: deps.store, secrets: deps.secrets, tokens: await deps.tokens() },
        'POST',
        new URL(`${baseUrl}/${tenantId}/oauth2/v2.0/token`),
        form.toString(),
        undefined,
      );
      const body = reply?.body as { access_token?: string; expires_in?: number | string } | undefined;
      if (reply?.status !== 200 || !body?.access_token) return undefined;
      return { accessToken: body.access_token, expiresOn: Math.floor(Date.now() / 1000) + Number(body.expires_in ?? 3600) };
    },
    async vault(call) {
      const port = vaultPort(deps, call.vaultUri);
      if (port === undefined) return undefined;
      const own = (req.socket as Partial<TLSSocket>).getCertificate?.();
      const pinned = own && 'raw' in own ? (own.raw as Buffer) : undefined;
      if (!pinned) return { status: 502, body: { error: { code: 'BadGateway', message: 'The portal reaches a vault only over the emulator\'s HTTPS listener.' } } };
      try {
        return await relayToVault(port, pinned, call);
      } catch (error) {
        return { status: 502, body: { error: { code: 'BadGateway', message: `The vault at ${call.vaultUri} could not be reached: ${(error as Error).message}. Is the emulator still running?` } } };
      }
    },
  });
}
