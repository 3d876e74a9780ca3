// The vaults' data plane (secrets): one HTTPS listener per vault on 127.0.0.1, with the
// emulator's certificate, so that a vault's `vaultUri` is an origin of its own
// (`https://127.0.0.1:PORT/`), as `https://{name}.vault.azure.net/` is in Azure. One origin per
// vault is what the SDK needs: @azure/keyvault-common's parseKeyVaultIdentifier reads a secret id
// as `{origin}/secrets/{name}/{version}`, so a path prefix (one listener routing
// `/vaults/{name}/…`) would break every id the SDK parses. See README.md beside this file.
//
// A vault's port is chosen when ARM creates it, synchronously: the plane keeps one spare
// listener bound and hands it over, then binds the next spare. A vault keeps its port across
// restarts (it is in its vaultUri) unless something else took it meanwhile; then it moves and
// its vaultUri follows.
//
// Each request: the bearer token (401 with Key Vault's challenge when missing or unusable, an
// audience other than https://vault.azure.net included), api-version, then the vault's
// permission model (RBAC data actions, or the access policies) and the operation. Every call
// goes to the audit log with the secret's name, never its value.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { AuditLog } from '../audit.js';
import { findByObjectId, principalLabel } from '../directory.js';
import type { AccessTokenClaims, TokenIssuer } from '../entra/tokens.js';
import type { EmulatorEvents } from '../events.js';
import { BodyTooLargeError, guardListener, hasBody, originFormUrl, readBody, send, type Reply } from '../http.js';
import { logError, logValue } from '../log.js';
import { keyOf, type ResourceRecord } from '../model.js';
import { permitsDataAction } from '../rbac.js';
import type { RbacHoldView } from '../rbac-holds.js';
import type { Store } from '../store.js';
import { challengeHeader, KeyVaultError, keyVaultErrors, VAULT_RESOURCE } from './errors.js';
import { keyVaultStateOf, VAULT_TYPE, type SecretRecord, type SecretVersion } from './state.js';

/** Key Vault's request limit is 25 KB for a secret value; bodies are capped at 1 MiB here. */
const MAX_BODY_BYTES = 1024 * 1024;
/** Key Vault secret values are at most 25 KB (Microsoft Learn, "Azure Key Vault service limits"). */
const MAX_VALUE_BYTES = 25 * 1024;
/** Secret names: 1-127 letters, digits and hyphens (Microsoft Learn, "About Azure Key Vault secrets"). */
const SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;
/** `maxresults` of a list: 1-25, 25 by default (the secrets REST reference). */
const MAX_RESULTS = 25;

export interface KeyVaultPlaneDeps {
  store: Store;
  stateDir: string;
  tokens: () => Promise<TokenIssuer>;
  audit: AuditLog;
  events: EmulatorEvents;
  log: (message: string) => void;
  certificates: { keyPem: string; certPem: string };
  /** The emulator's origin (its Entra authority), once listening. */
  authority: () => string | undefined;
  /** The live RBAC propagation delay (profiles), seconds. */
  rbacDelaySeconds: () => number;
  /** This emulator's RBAC holds (a grader's "not yet in effect" window): they hold back data-plane roles too. */
  rbacHolds?: RbacHoldView;
}

interface Listener {
  server: Server;
  port: number;
  /** The vault it serves (map key of its id), or undefined for the spare. */
  vault: string | undefined;
}

interface Caller {
  oid: string;
  appid: string;
  iss: string;
}

const planes = new WeakMap<Store, KeyVaultPlane>();

/** The running data plane of a store's emulator, if it listens (the ARM handler asks it for ports). */
export function keyVaultPlaneOf(store: Store): KeyVaultPlane | undefined {
  return planes.get(store);
}

/** The port of a vault URI (`https://127.0.0.1:PORT/`), or undefined. */
export function portOfVaultUri(uri: unknown): number | undefined {
  if (typeof uri !== 'string') return undefined;
  const match = /^https:\/\/127\.0\.0\.1:(\d{1,5})\/?$/.exec(uri);
  return match ? Number(match[1]) : undefined;
}

export function vaultUriOf(port: number): string {
  return `https://127.0.0.1:${port}/`;
}

/** A port in the dynamic range not used by this plane, for the rare vault created while no spare is bound. */
function randomPort(used: Set<number>): number {
  for (;;) {
    const port = 20_000 + (randomBytes(2).readUInt16BE(0) % 40_000);
    if (!used.has(port)) return port;
  }
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export class KeyVaultPlane {
  readonly #deps: KeyVaultPlaneDeps;
  readonly #listeners = new Map<number, Listener>();
  #spare: Listener | undefined;
  #sparing: Promise<void> | undefined;
  #running = false;
  readonly #onReset = () => void this.reconcile();

  constructor(deps: KeyVaultPlaneDeps) {
    this.#deps = deps;
  }

  /** Binds a listener for every vault of the world, and a spare; follows resets. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    planes.set(this.#deps.store, this);
    this.#deps.events.on('reset', this.#onReset);
    await this.reconcile();
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    if (planes.get(this.#deps.store) === this) planes.delete(this.#deps.store);
    this.#deps.events.off('reset', this.#onReset);
    await this.#sparing;
    const all = [...this.#listeners.values()];
    this.#listeners.clear();
    this.#spare = undefined;
    await Promise.all(all.map((l) => this.#close(l)));
  }

  #vaults(): ResourceRecord[] {
    return [...this.#deps.store.indexes.resourcesOfType(VAULT_TYPE).values()];
  }

  /** Listeners for the vaults of the world and none for vaults gone; a spare ready. */
  async reconcile(): Promise<void> {
    if (!this.#running) return;
    const wanted = new Map(this.#vaults().map((v) => [keyOf(v.id), v] as const));
    for (const listener of [...this.#listeners.values()]) {
      if (listener.vault === undefined || wanted.has(listener.vault)) continue;
      this.#listeners.delete(listener.port);
      await this.#close(listener);
    }
    const served = new Set([...this.#listeners.values()].map((l) => l.vault));
    for (const [key, vault] of wanted) {
      if (served.has(key)) continue;
      await this.#bindVault(key, portOfVaultUri(vault.properties.vaultUri) ?? 0);
    }
    await this.#ensureSpare();
  }

  /**
   * The port of `vaultId`'s data plane, claimed now (synchronously: ARM's reply names it):
   * its listener when it has one, else the spare, else a free-looking port bound right after.
   */
  claim(vaultId: string): number {
    const key = keyOf(vaultId);
    for (const listener of this.#listeners.values()) if (listener.vault === key) return listener.port;
    const spare = this.#spare;
    if (spare) {
      this.#spare = undefined;
      spare.vault = key;
      void this.#ensureSpare();
      return spare.port;
    }
    const port = randomPort(new Set(this.#listeners.keys()));
    void this.#bindVault(key, port);
    return port;
  }

  /** Stops serving a vault (deleted through ARM). */
  release(vaultId: string): void {
    const key = keyOf(vaultId);
    for (const listener of [...this.#listeners.values()]) {
      if (listener.vault !== key) continue;
      this.#listeners.delete(listener.port);
      void this.#close(listener);
    }
  }

  async #ensureSpare(): Promise<void> {
    if (!this.#running || this.#spare) return;
    if (this.#sparing) return this.#sparing;
    this.#sparing = this.#listen(0, undefined)
      .then((listener) => {
        if (!this.#running) return this.#close(listener);
        this.#spare = listener;
        return undefined;
      })
      .catch((error: unknown) => this.#deps.log(`error: Key Vault data plane: no spare listener: ${logError(error)}`))
      .finally(() => {
        this.#sparing = undefined;
      });
    return this.#sparing;
  }

  /** Binds `key`'s listener on `port` (0: any); when taken, on another port, and the vault's vaultUri follows. */
  async #bindVault(key: string, port: number): Promise<void> {
    let listener: Listener;
    try {
      listener = await this.#listen(port, key);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      this.#deps.log(`Key Vault data plane of ${key}: port ${port} is taken; using another`);
      listener = await this.#listen(0, key);
    }
    if (!this.#running) {
      await this.#close(listener);
      return;
    }
    const vault = this.#deps.store.state.resources[key];
    if (vault && portOfVaultUri(vault.properties.vaultUri) !== listener.port) {
      this.#deps.store.mutate((draft) => {
        const record = draft.resources[key];
        if (record) draft.resources[key] = { ...record, properties: { ...record.properties, vaultUri: vaultUriOf(listener.port) } };
      });
    }
  }

  #listen(port: number, vault: string | undefined): Promise<Listener> {
    const { keyPem, certPem } = this.#deps.certificates;
    const server = createServer({ key: keyPem, cert: certPem }, (req, res) => this.#serve(listener, req, res));
    const listener: Listener = { server, port, vault };
    guardListener(server, {
      unparseable: (status, reason) => new KeyVaultError(status, 'BadRequest', `The request could not be parsed: ${reason}`).body(),
      connect: (target) => keyVaultErrors.badParameter(`The request-target '${target}' is not a path.`).body(),
    });
    server.keepAliveTimeout = 5_000;
    return new Promise<Listener>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        listener.port = (server.address() as AddressInfo).port;
        this.#listeners.set(listener.port, listener);
        resolve(listener);
      });
    });
  }

  #close(listener: Listener): Promise<void> {
    if (this.#listeners.get(listener.port) === listener) this.#listeners.delete(listener.port);
    return new Promise<void>((resolve) => {
      listener.server.close(() => resolve());
      listener.server.closeAllConnections();
    });
  }

  #serve(listener: Listener, req: IncomingMessage, res: ServerResponse): void {
    const started = Date.now();
    const method = (req.method ?? 'GET').toUpperCase();
    const origin = `https://127.0.0.1:${listener.port}`;
    const audit: { caller?: Caller; action?: string; path: string; apiVersion?: string } = { path: req.url ?? '' };
    const finish = (reply: Reply): void => {
      const errorCode = reply.status >= 400 ? (reply.body as { error?: { code?: string } } | undefined)?.error?.code : undefined;
      const principal = audit.caller ? principalLabel(findByObjectId(this.#deps.store.state, audit.caller.oid), audit.caller.oid) : 'anonymous';
      // The path names the secret; the value is in the body, which is never logged.
      this.#deps.audit.append({
        time: new Date(started).toISOString(),
        principal,
        oid: audit.caller?.oid,
        appid: audit.caller?.appid,
        method,
        path: `${origin}${audit.path}`,
        apiVersion: audit.apiVersion,
        status: reply.status,
        action: audit.action,
        error: errorCode || undefined,
        durationMs: Date.now() - started,
      });
      try {
        send(res, reply, method);
      } catch (error) {
        this.#deps.log(`error: Key Vault data plane: writing the reply failed: ${logError(error)}`);
        res.destroy();
      }
    };
    this.#answer(listener, req, method, origin, audit).then(finish, (error: unknown) => {
      if (error instanceof BodyTooLargeError) error = keyVaultErrors.badParameter(`The request body is larger than ${MAX_BODY_BYTES} bytes.`);
      if (!(error instanceof KeyVaultError)) {
        this.#deps.log(`error: Key Vault data plane: ${logValue(method)} ${logValue(req.url)}: ${logError(error)}`);
        error = keyVaultErrors.internal();
      }
      const failure = error as KeyVaultError;
      finish({ status: failure.status, body: failure.body(), headers: failure.headers });
    });
  }

  async #answer(listener: Listener, req: IncomingMessage, method: string, origin: string, audit: { caller?: Caller; action?: string; path: string; apiVersion?: string }): Promise<Reply> {
    const body = hasBody(req) ? await readBody(req, MAX_BODY_BYTES) : '';
    const url = originFormUrl(req.url, origin);
    if (!url) throw keyVaultErrors.badParameter(`The request-target '${req.url ?? ''}' is not a path.`);
    const path = url.pathname.replace(/\/{2,}/g, '/').replace(/\/+$/, '') || '/';
    audit.path = path;
    const tenantId = this.#deps.store.state.tenantId;
    const challenge = challengeHeader(this.#deps.authority() ?? origin, tenantId);

    // Authentication first: the SDK's first request carries no token (and no body) and expects the challenge.
    const header = req.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw keyVaultErrors.missingToken(challenge);
    const issuer = await this.#deps.tokens();
    const acceptVault = (aud: string) => aud.replace(/\/+$/, '').toLowerCase() === VAULT_RESOURCE;
    const token = match[1] ?? '';
    const result = issuer.verifyKnown(token, acceptVault) ?? (await issuer.verify(token, acceptVault));
    if (!result.ok) {
      const problem = result.problem;
      if (problem.kind === 'audience') {
        // Signed by this tenant's key (only the audience is wrong): the audit log names who sent
        // it, so a grader tells "an ARM token on the vault" from the SDK's token-less first call.
        const signed = issuer.verifyKnown(token, () => true);
        if (signed?.ok) audit.caller = { oid: signed.claims.oid.toLowerCase(), appid: signed.claims.appid, iss: signed.claims.iss };
        throw keyVaultErrors.wrongAudience(problem.audience, challenge);
      }
      const reasons: Record<string, string> = {
        expired: 'The access token has expired.',
        signature: 'The access token signature could not be verified.',
        issuer: 'The access token is from the wrong issuer.',
        tenant: 'The access token is from another tenant.',
        notYetValid: 'The access token is not yet valid.',
        malformed: 'The access token is malformed.',
      };
      throw keyVaultErrors.invalidToken(reasons[problem.kind] ?? 'The access token is not valid.', challenge);
    }
    const claims: AccessTokenClaims = result.claims;
    const caller: Caller = { oid: claims.oid.toLowerCase(), appid: claims.appid, iss: claims.iss };
    audit.caller = caller;

    const apiVersion = url.searchParams.get('api-version');
    if (!apiVersion) throw keyVaultErrors.missingApiVersion();
    audit.apiVersion = apiVersion;

    const vault = listener.vault ? this.#deps.store.state.resources[listener.vault] : undefined;
    if (!vault) {
      if (listener.vault) void this.reconcile();
      throw keyVaultErrors.vaultGone();
    }
    const ctx = new SecretsRequest(this.#deps, vault, caller, method, path, url, body, origin, audit);
    return ctx.answer();
  }
}

type Permission = 'get' | 'list' | 'set' | 'delete' | 'recover' | 'purge';

/** One data-plane request on one vault's secrets. */
class SecretsRequest {
  readonly base: string;
  constructor(
    readonly deps: KeyVaultPlaneDeps,
    readonly vault: ResourceRecord,
    readonly caller: Caller,
    readonly method: string,
    readonly path: string,
    readonly url: URL,
    readonly body: string,
    origin: string,
    readonly audit: { action?: string },
  ) {
    this.base = `${origin}/`;
  }

  get kv() {
    return keyVaultStateOf(this.deps.store, this.deps.stateDir);
  }

  get properties(): { enableRbacAuthorization?: boolean; accessPolicies?: unknown; softDeleteRetentionInDays?: number; enablePurgeProtection?: boolean } {
    return this.vault.properties as never;
  }

  /** The id Key Vault names in its 403s: lower-case provider path (as quoted in its messages). */
  resourceId(secret?: string): string {
    const sub = /^\/subscriptions\/([^/]+)/i.exec(this.vault.id)?.[1] ?? '';
    const id = `/subscriptions/${sub}/resourcegroups/${this.vault.resourceGroup.toLowerCase()}/providers/microsoft.keyvault/vaults/${this.vault.name.toLowerCase()}`;
    return secret ? `${id}/secrets/${secret}` : id;
  }

  /** Throws Key Vault's 403 unless the caller may perform the data action (RBAC) or has the permission (access policies). */
  authorize(dataAction: string, permission: Permission, secret?: string): void {
    this.audit.action = dataAction;
    if (this.properties.enableRbacAuthorization === true) {
      // The assignment may be at the vault, above it, or on the secret itself.
      const scope = secret ? `${this.vault.id}/secrets/${secret}` : this.vault.id;
      if (permitsDataAction(this.deps.store.state, this.caller.oid, dataAction, scope, { delaySeconds: this.deps.rbacDelaySeconds(), holds: this.deps.rbacHolds })) return;
      throw keyVaultErrors.forbiddenByRbac(this.caller, dataAction, this.resourceId(secret), this.vault.name, this.vault.location);
    }
    const policies = Array.isArray(this.properties.accessPolicies) ? (this.properties.accessPolicies as { objectId?: unknown; permissions?: { secrets?: unknown } }[]) : [];
    const granted = policies.some(
      (p) =>
        String(p.objectId ?? '').toLowerCase() === this.caller.oid &&
        Array.isArray(p.permissions?.secrets) &&
        (p.permissions.secrets as unknown[]).some((s) => ['all', permission].includes(String(s).toLowerCase())),
    );
    if (!granted) throw keyVaultErrors.accessDenied(this.caller, permission, this.vault.name, this.vault.location);
  }

  recoveryLevel(): { recoveryLevel: string; recoverableDays: number } {
    const days = this.properties.softDeleteRetentionInDays ?? 90;
    const customized = days < 90 ? 'Customized' : '';
    return { recoveryLevel: this.properties.enablePurgeProtection ? `${customized}Recoverable` : `${customized}Recoverable+Purgeable`, recoverableDays: days };
  }

  attributes(v: SecretVersion): Record<string, unknown> {
    return {
      enabled: v.enabled,
      ...(v.nbf !== undefined ? { nbf: v.nbf } : {}),
      ...(v.exp !== undefined ? { exp: v.exp } : {}),
      created: v.created,
      updated: v.updated,
      ...this.recoveryLevel(),
    };
  }

  bundle(secret: SecretRecord, v: SecretVersion, withValue: boolean): Record<string, unknown> {
    return {
      ...(withValue ? { value: v.value } : {}),
      id: `${this.base}secrets/${secret.name}/${v.version}`,
      ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
      attributes: this.attributes(v),
      tags: v.tags ?? {},
    };
  }

  deletedBundle(secret: SecretRecord, withValue: boolean): Record<string, unknown> {
    const v = secret.versions[secret.versions.length - 1]!;
    return {
      ...this.bundle(secret, v, withValue),
      recoveryId: `${this.base}deletedsecrets/${secret.name}`,
      deletedDate: secret.deleted?.deletedDate,
      scheduledPurgeDate: secret.deleted?.scheduledPurgeDate,
    };
  }

  item(secret: SecretRecord, v: SecretVersion, withVersion: boolean): Record<string, unknown> {
    return {
      id: `${this.base}secrets/${secret.name}${withVersion ? `/${v.version}` : ''}`,
      ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
      attributes: this.attributes(v),
      tags: v.tags ?? {},
    };
  }

  /** One page of `items` with Key Vault's `nextLink` (`$skiptoken`, `maxresults` 1-25). */
  page<T>(items: T[], path: string): { value: T[]; nextLink: string | null } {
    const max = this.url.searchParams.get('maxresults');
    if (max !== null && (!/^\d{1,2}$/.test(max) || Number(max) < 1 || Number(max) > MAX_RESULTS)) throw keyVaultErrors.badParameter(`maxresults must be a number from 1 to ${MAX_RESULTS}; it is '${max}'.`);
    const size = Number(max ?? MAX_RESULTS);
    const skip = this.url.searchParams.get('$skiptoken');
    if (skip !== null && !/^\d{1,9}$/.test(skip)) throw keyVaultErrors.badParameter(`The $skiptoken '${skip}' is not one this vault issued.`);
    const offset = Number(skip ?? '0');
    const value = items.slice(offset, offset + size);
    if (offset + size >= items.length) return { value, nextLink: null };
    const query = new URLSearchParams({ 'api-version': this.url.searchParams.get('api-version') ?? '', $skiptoken: String(offset + size), maxresults: String(size) });
    return { value, nextLink: `${this.base}${path}?${query.toString()}` };
  }

  find(name: string): SecretRecord | undefined {
    return this.kv.secretsOf(this.vault)[name.toLowerCase()];
  }

  json(): Record<string, unknown> {
    if (this.body.trim() === '') throw keyVaultErrors.badRequestBody('the body is empty');
    let parsed: unknown;
    try {
      parsed = JSON.parse(this.body);
    } catch (error) {
      throw keyVaultErrors.badRequestBody((error as Error).message);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw keyVaultErrors.badRequestBody('expected a JSON object');
    return parsed as Record<string, unknown>;
  }

  answer(): Reply {
    const segments = this.path.split('/').filter(Boolean);
    const [collection = '', name, third, fourth] = segments;
    const lower = collection.toLowerCase();
    if (lower === 'secrets') {
      if (name === undefined) {
        if (this.method !== 'GET') throw keyVaultErrors.methodNotAllowed(this.method, this.path);
        return this.listSecrets();
      }
      if (!SECRET_NAME.test(name)) throw keyVaultErrors.invalidName(name);
      if (segments.length > 3) throw keyVaultErrors.notServed(this.method, this.path);
      if (third === undefined) {
        if (this.method === 'PUT') return this.setSecret(name);
        if (this.method === 'GET') return this.getSecret(name, undefined);
        if (this.method === 'DELETE') return this.deleteSecret(name);
        throw keyVaultErrors.methodNotAllowed(this.method, this.path);
      }
      if (third.toLowerCase() === 'versions' && this.method === 'GET') return this.listVersions(name);
      if (this.method === 'GET') return this.getSecret(name, third);
      if (this.method === 'PATCH') return this.updateSecret(name, third);
      throw keyVaultErrors.methodNotAllowed(this.method, this.path);
    }
    if (lower === 'deletedsecrets') {
      if (name === undefined) {
        if (this.method !== 'GET') throw keyVaultErrors.methodNotAllowed(this.method, this.path);
        return this.listDeleted();
      }
      if (!SECRET_NAME.test(name)) throw keyVaultErrors.invalidName(name);
      if (third === undefined && this.method === 'GET') return this.getDeleted(name);
      if (third === undefined && this.method === 'DELETE') return this.purgeDeleted(name);
      if (third?.toLowerCase() === 'recover' && fourth === undefined && this.method === 'POST') return this.recoverDeleted(name);
      throw keyVaultErrors.methodNotAllowed(this.method, this.path);
    }
    throw keyVaultErrors.notServed(this.method, this.path);
  }

  setSecret(name: string): Reply {
    this.authorize('Microsoft.KeyVault/vaults/secrets/setSecret/action', 'set', name);
    const body = this.json();
    if (typeof body.value !== 'string') throw keyVaultErrors.badParameter("The request body must have a string 'value' (the secret's value).");
    if (Buffer.byteLength(body.value) > MAX_VALUE_BYTES) throw keyVaultErrors.badParameter(`A secret value is at most ${MAX_VALUE_BYTES} bytes.`);
    const attributes = (typeof body.attributes === 'object' && body.attributes !== null ? body.attributes : {}) as { enabled?: unknown; nbf?: unknown; exp?: unknown };
    const tags = typeof body.tags === 'object' && body.tags !== null && !Array.isArray(body.tags) ? Object.fromEntries(Object.entries(body.tags).map(([k, v]) => [k, String(v)])) : undefined;
    const existing = this.find(name);
    if (existing?.deleted) throw keyVaultErrors.deletedButRecoverable(existing.name);
    const now = nowSeconds();
    const version: SecretVersion = {
      version: randomBytes(16).toString('hex'),
      value: body.value,
      enabled: attributes.enabled !== false,
      created: now,
      updated: now,
      ...(typeof body.contentType === 'string' ? { contentType: body.contentType } : {}),
      ...(tags ? { tags } : {}),
      ...(typeof attributes.nbf === 'number' ? { nbf: attributes.nbf } : {}),
      ...(typeof attributes.exp === 'number' ? { exp: attributes.exp } : {}),
    };
    const record = this.kv.changeSecrets(this.vault, (secrets) => {
      const key = name.toLowerCase();
      const secret = (secrets[key] ??= { name, versions: [] });
      secret.versions.push(version);
      return secret;
    });
    return { status: 200, body: this.bundle(record, version, true) };
  }

  getSecret(name: string, version: string | undefined): Reply {
    this.authorize('Microsoft.KeyVault/vaults/secrets/getSecret/action', 'get', name);
    const secret = this.find(name);
    if (!secret || secret.deleted) throw keyVaultErrors.secretNotFound(name);
    // An empty version (`/secrets/{name}/`) is the current one, as the SDK asks it.
    const v = version ? secret.versions.find((x) => x.version === version.toLowerCase()) : secret.versions[secret.versions.length - 1];
    if (!v) throw keyVaultErrors.secretNotFound(`${name}/${version ?? ''}`);
    // A disabled secret's value is not served (Key Vault answers 403 Forbidden, "Operation get is not allowed on a disabled secret.").
    if (!v.enabled) throw new KeyVaultError(403, 'Forbidden', 'Operation get is not allowed on a disabled secret.', 'SecretDisabled');
    return { status: 200, body: this.bundle(secret, v, true) };
  }

  updateSecret(name: string, version: string): Reply {
    this.authorize('Microsoft.KeyVault/vaults/secrets/update/action', 'set', name);
    const body = this.json();
    const secret = this.find(name);
    if (!secret || secret.deleted) throw keyVaultErrors.secretNotFound(name);
    const index = version ? secret.versions.findIndex((x) => x.version === version.toLowerCase()) : secret.versions.length - 1;
    if (index < 0) throw keyVaultErrors.secretNotFound(`${name}/${version}`);
    const attributes = (typeof body.attributes === 'object' && body.attributes !== null ? body.attributes : {}) as { enabled?: unknown; nbf?: unknown; exp?: unknown };
    const updated = this.kv.changeSecrets(this.vault, (secrets) => {
      const record = secrets[name.toLowerCase()]!;
      const v = record.versions[index]!;
      if (typeof attributes.enabled === 'boolean') v.enabled = attributes.enabled;
      if (typeof attributes.nbf === 'number') v.nbf = attributes.nbf;
      if (typeof attributes.exp === 'number') v.exp = attributes.exp;
      if (typeof body.contentType === 'string') v.contentType = body.contentType;
      if (typeof body.tags === 'object' && body.tags !== null) v.tags = Object.fromEntries(Object.entries(body.tags).map(([k, val]) => [k, String(val)]));
      v.updated = nowSeconds();
      return { record, v };
    });
    return { status: 200, body: this.bundle(updated.record, updated.v, false) };
  }

  listSecrets(): Reply {
    this.authorize('Microsoft.KeyVault/vaults/secrets/readMetadata/action', 'list');
    const items = Object.values(this.kv.secretsOf(this.vault))
      .filter((s) => !s.deleted && s.versions.length > 0)
      .sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()))
      .map((s) => this.item(s, s.versions[s.versions.length - 1]!, false));
    return { status: 200, body: this.page(items, 'secrets') };
  }

  listVersions(name: string): Reply {
    this.authorize('Microsoft.KeyVault/vaults/secrets/readMetadata/action', 'list', name);
    const secret = this.find(name);
    // Key Vault lists no versions of a secret it does not have: an empty page.
    const items = secret && !secret.deleted ? secret.versions.map((v) => this.item(secret, v, true)) : [];
    return { status: 200, body: this.page(items, `secrets/${name}/versions`) };
  }

  deleteSecret(name: string): Reply {
    this.authorize('Microsoft.KeyVault/vaults/secrets/delete', 'delete', name);
    const secret = this.find(name);
    if (!secret || secret.deleted) throw keyVaultErrors.secretNotFound(name);
    const now = nowSeconds();
    const days = this.properties.softDeleteRetentionInDays ?? 90;
    const deleted = this.kv.changeSecrets(this.vault, (secrets) => {
      const record = secrets[name.toLowerCase()]!;
      record.deleted = { deletedDate: now, scheduledPurgeDate: now + days * 86_400 };
      return record;
    });
    // The deleted bundle carries no value.
    return { status: 200, body: this.deletedBundle(deleted, false) };
  }

  deletedOrThrow(name: string): SecretRecord {
    const secret = this.find(name);
    if (!secret?.deleted) throw keyVaultErrors.deletedSecretNotFound(name);
    return secret;
  }

  getDeleted(name: string): Reply {
    this.authorize('Microsoft.KeyVault/vaults/secrets/readMetadata/action', 'list', name);
    return { status: 200, body: this.deletedBundle(this.deletedOrThrow(name), false) };
  }

  listDeleted(): Reply {
    this.authorize('Microsoft.KeyVault/vaults/secrets/readMetadata/action', 'list');
    const items = Object.values(this.kv.secretsOf(this.vault))
      .filter((s) => s.deleted)
      .map((s) => {
        const { id, ...rest } = this.item(s, s.versions[s.versions.length - 1]!, false);
        return { ...rest, id, recoveryId: `${this.base}deletedsecrets/${s.name}`, deletedDate: s.deleted?.deletedDate, scheduledPurgeDate: s.deleted?.scheduledPurgeDate };
      });
    return { status: 200, body: this.page(items, 'deletedsecrets') };
  }

  purgeDeleted(name: string): Reply {
    this.authorize('Microsoft.KeyVault/vaults/secrets/purge/action', 'purge', name);
    this.deletedOrThrow(name);
    if (this.properties.enablePurgeProtection) throw keyVaultErrors.purgeProtected(this.vault.name, this.vault.location);
    this.kv.changeSecrets(this.vault, (secrets) => void delete secrets[name.toLowerCase()]);
    return { status: 204 };
  }

  recoverDeleted(name: string): Reply {
    this.authorize('Microsoft.KeyVault/vaults/secrets/recover/action', 'recover', name);
    this.deletedOrThrow(name);
    const record = this.kv.changeSecrets(this.vault, (secrets) => {
      const r = secrets[name.toLowerCase()]!;
      delete r.deleted;
      return r;
    });
    return { status: 200, body: this.bundle(record, record.versions[record.versions.length - 1]!, false) };
  }
}
