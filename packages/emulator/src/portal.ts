// The /portal route of the listener (server.ts): @milab/portal serves the page and its small
// sign-in API; this file gives it what only the emulator has — who can sign in, and a token of
// one of them. @milab/portal (and, through it, the page's bundler) is loaded the first time a
// request under /portal comes: an emulator whose portal nobody opens never loads it.
//
// A token is a real sign-in at the emulator's own Entra token endpoint, with the principal's
// client credentials (the same path as `AZURE_CLIENT_SECRET` in an SDK), for ARM's audience: the
// page then calls ARM with it, and RBAC decides what that principal may do.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { PortalPrincipal } from '@milab/portal';
import { PRINCIPAL_NAMES } from './connection.js';
import { handleEntra } from './entra/handlers.js';
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

/** Serves a request under /portal; resolves once answered. */
export async function servePortalRequest(req: IncomingMessage, res: ServerResponse, deps: PortalDeps, baseUrl: string): Promise<void> {
  const { servePortal } = await import('@milab/portal');
  await servePortal(req, res, {
    port: Number(new URL(baseUrl).port),
    key: deps.key,
    context: () => ({ tenantId: deps.store.state.tenantId, subscriptionId: SEED.subscriptionId, resourceGroup: SEED.resourceGroup, location: SEED.location }),
    principals: () => principalsOf(deps),
    async signIn(id) {
      const credentials = credentialsOf(deps, id);
      if (!credentials) return undefined;
      const tenantId = deps.store.state.tenantId;
      const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: credentials.clientId, client_secret: credentials.secret, scope: `${baseUrl}/.default` });
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
  });
}
