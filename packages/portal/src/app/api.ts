// The page's calls: the portal key (handed over in the URL's fragment by `milab portal`), the
// sign-in API of /portal, ARM, and Key Vault's data plane (relayed by /portal/api/vault: see the
// portal's server.ts). Every ARM call carries the signed-in principal's token for ARM, every vault
// call its token for Key Vault (https://vault.azure.net), so the emulator's RBAC decides it; a
// refusal comes back as ARM's (or Key Vault's) error, which the page shows as is.

import type { PortalContext, PortalPrincipal } from '../server.js';

const KEY_STORAGE = 'milab-portal-key';
const PRINCIPAL_STORAGE = 'milab-portal-principal';
const KEY_HEADER = 'X-Milab-Portal-Key';

export const API_VERSIONS = {
  subscriptions: '2022-12-01',
  resourceGroups: '2021-04-01',
  identities: '2023-01-31',
  authorization: '2022-04-01',
  compute: '2024-07-01',
  /** Microsoft.KeyVault/vaults (what arm-keyvault 4.0.0 sends). */
  keyVault: '2025-05-01',
  /** Key Vault's secrets data plane (what @azure/keyvault-secrets 4.11 sends). */
  secrets: '2025-07-01',
  /** Microsoft.ContainerInstance/containerGroups (what @azure/arm-containerinstance 9.1.0 sends). */
  containerInstance: '2023-05-01',
} as const;

/**
 * The portal key: taken from `#key=…` once (then dropped from the address bar, so it is neither
 * bookmarked nor shown over a shoulder) and kept in this tab's sessionStorage.
 */
export function portalKey(): string | undefined {
  const match = /(?:^#|&)key=([^&]+)/.exec(window.location.hash);
  if (match?.[1]) {
    window.sessionStorage.setItem(KEY_STORAGE, decodeURIComponent(match[1]));
    window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}`);
  }
  return window.sessionStorage.getItem(KEY_STORAGE) ?? undefined;
}

export function rememberedPrincipal(): string | undefined {
  return window.sessionStorage.getItem(PRINCIPAL_STORAGE) ?? undefined;
}

export function rememberPrincipal(id: string | undefined): void {
  if (id) window.sessionStorage.setItem(PRINCIPAL_STORAGE, id);
  else window.sessionStorage.removeItem(PRINCIPAL_STORAGE);
}

/** Who can sign in, and the world the page opens on: as the portal's server sends them. */
export type Principal = PortalPrincipal;
export type { PortalContext };

/** An error as ARM (and the portal API) sends it: what the page shows. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function errorOf(response: Response): Promise<ApiError> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
    if (body.error) return new ApiError(response.status, body.error.code ?? String(response.status), body.error.message ?? text);
  } catch {
    // not JSON: the text itself
  }
  return new ApiError(response.status, String(response.status), text || response.statusText);
}

async function portalApi<T>(key: string, name: string, body: unknown): Promise<T> {
  const response = await fetch(`/portal/api/${name}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', [KEY_HEADER]: key },
    body: JSON.stringify(body),
    cache: 'no-store',
  });
  if (!response.ok) throw await errorOf(response);
  return (await response.json()) as T;
}

export function listPrincipals(key: string): Promise<{ principals: Principal[]; context: PortalContext }> {
  return portalApi(key, 'principals', {});
}

/** A signed-in principal: its token (renewed a few minutes before it expires) and ARM calls with it. */
export class Session {
  #token: { accessToken: string; expiresOn: number } | undefined;
  #vaultToken: { accessToken: string; expiresOn: number } | undefined;
  /** The subscriptions' display names, by id (read at sign-in, for the pickers that show one). */
  readonly subscriptionNames = new Map<string, string>();

  constructor(
    readonly key: string,
    readonly principal: Principal,
    readonly context: PortalContext,
    readonly principals: Principal[],
  ) {}

  async token(): Promise<string> {
    if (!this.#token || this.#token.expiresOn - 300 < Date.now() / 1000) {
      this.#token = await portalApi<{ accessToken: string; expiresOn: number }>(this.key, 'token', { principal: this.principal.id });
    }
    return this.#token.accessToken;
  }

  /** A token for Key Vault's data plane (audience https://vault.azure.net), asked the first time a vault page needs one. */
  async vaultToken(): Promise<string> {
    if (!this.#vaultToken || this.#vaultToken.expiresOn - 300 < Date.now() / 1000) {
      this.#vaultToken = await portalApi<{ accessToken: string; expiresOn: number }>(this.key, 'token', { principal: this.principal.id, audience: 'vault' });
    }
    return this.#vaultToken.accessToken;
  }

  /** One call to a vault's data plane (relayed by the portal); rejects with Key Vault's error. `path` includes its api-version. */
  async vault<T>(vaultUri: string, method: 'GET' | 'PUT', path: string, body?: unknown): Promise<T> {
    const response = await fetch('/portal/api/vault', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', [KEY_HEADER]: this.key, Authorization: `Bearer ${await this.vaultToken()}` },
      body: JSON.stringify({ vaultUri, method, path, ...(body === undefined ? {} : { body }) }),
      cache: 'no-store',
    });
    if (!response.ok) throw await errorOf(response);
    return (await response.json()) as T;
  }

  /** Every item of a Key Vault list (following nextLink, which names the vault's own origin). */
  async vaultList<T>(vaultUri: string, path: string): Promise<T[]> {
    const items: T[] = [];
    let next: string | undefined = path;
    while (next) {
      const page: { value?: T[]; nextLink?: string | null } = await this.vault(vaultUri, 'GET', next);
      items.push(...(page.value ?? []));
      next = page.nextLink ? new URL(page.nextLink).pathname + new URL(page.nextLink).search : undefined;
    }
    return items;
  }

  /** One ARM call; rejects with ARM's error. `path` includes its api-version. */
  async arm<T>(method: 'GET' | 'PUT' | 'PATCH' | 'DELETE' | 'POST', path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Authorization: `Bearer ${await this.token()}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
    if (!response.ok) throw await errorOf(response);
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Every item of an ARM list (following nextLink). */
  async list<T>(path: string): Promise<T[]> {
    const items: T[] = [];
    let next: string | undefined = path;
    while (next) {
      const page: { value?: T[]; nextLink?: string } = await this.arm('GET', next);
      items.push(...(page.value ?? []));
      next = page.nextLink ? new URL(page.nextLink).pathname + new URL(page.nextLink).search : undefined;
    }
    return items;
  }
}

export async function signIn(key: string, id: string): Promise<Session> {
  const { principals, context } = await listPrincipals(key);
  const principal = principals.find((p) => p.id === id);
  if (!principal) throw new ApiError(404, 'PrincipalNotFound', `There is no principal '${id}' to sign in as.`);
  const session = new Session(key, principal, context, principals);
  await session.token();
  // A principal that cannot list subscriptions still signs in: the pickers show the id instead.
  const subscriptions = await session.list<Subscription>(`/subscriptions?api-version=${API_VERSIONS.subscriptions}`).catch(() => [] as Subscription[]);
  for (const s of subscriptions) session.subscriptionNames.set(s.subscriptionId, s.displayName);
  return session;
}

// ARM's shapes, as far as the page reads them.
export interface Subscription {
  id: string;
  subscriptionId: string;
  displayName: string;
  state: string;
}
export interface ResourceGroup {
  id: string;
  name: string;
  location: string;
  tags?: Record<string, string>;
}
export interface Identity {
  id: string;
  name: string;
  location: string;
  tags?: Record<string, string>;
  properties: { clientId: string; principalId: string; tenantId: string };
}
export interface VirtualMachine {
  id: string;
  name: string;
  location: string;
  identity?: { type: string; principalId?: string; tenantId?: string; userAssignedIdentities?: Record<string, { principalId: string; clientId: string }> };
  properties: { vmId?: string; hardwareProfile?: { vmSize?: string }; storageProfile?: { osDisk?: { osType?: string } } };
}
export interface KeyVault {
  id: string;
  name: string;
  location: string;
  tags?: Record<string, string>;
  properties: {
    tenantId: string;
    vaultUri?: string;
    sku?: { family?: string; name?: string };
    enableRbacAuthorization?: boolean;
    enableSoftDelete?: boolean;
    softDeleteRetentionInDays?: number;
    enablePurgeProtection?: boolean;
    publicNetworkAccess?: string;
    provisioningState?: string;
  };
}
/** A secret as Key Vault lists it (its attributes: the value is never in the page). */
export interface SecretItem {
  id: string;
  contentType?: string;
  tags?: Record<string, string>;
  attributes?: { enabled?: boolean; created?: number; updated?: number; exp?: number; nbf?: number };
}
export interface ContainerGroup {
  id: string;
  name: string;
  location: string;
  tags?: Record<string, string>;
  identity?: { type: string; principalId?: string; tenantId?: string; userAssignedIdentities?: Record<string, { principalId?: string; clientId?: string }> };
  properties: {
    provisioningState?: string;
    osType?: string;
    restartPolicy?: string;
    sku?: string;
    containers: { name: string; properties: { image: string; resources?: { requests?: { cpu?: number; memoryInGB?: number } }; command?: string[]; instanceView?: { currentState?: { state?: string } } } }[];
    instanceView?: { state?: string };
    ipAddress?: { ip?: string; type?: string };
  };
}
export interface RoleDefinition {
  id: string;
  name: string;
  properties: { roleName: string; description: string; type: string };
}
export interface RoleAssignment {
  id: string;
  name: string;
  properties: { roleDefinitionId: string; principalId: string; principalType?: string; scope: string };
}

/** The resource group of an ARM id. */
export function resourceGroupOf(id: string): string {
  return /\/resourceGroups\/([^/]+)/i.exec(id)?.[1] ?? '';
}

/** The subscription id of an ARM id. */
export function subscriptionOf(id: string): string {
  return /^\/subscriptions\/([^/]+)/i.exec(id)?.[1] ?? '';
}

/** A new GUID for a role assignment's name (the page runs on https, a secure context). */
export function newGuid(): string {
  return window.crypto.randomUUID();
}
