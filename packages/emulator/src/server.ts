// `createEmulator(config)`: an unstarted emulator (state loaded, keys and certificates ready).
// `listen()` binds the one HTTPS listener on 127.0.0.1 serving Entra and ARM, then writes
// `connection.json`; `close()` stops it and removes the file. Only the CLI, bin.ts and tests
// call `listen()`.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { ADMIN_PRINCIPALS_PATH, forgetClassPrincipals, principalsAdminReply } from './admin/principals.js';
import { createArmHandler } from './arm/router.js';
import { AuditLog } from './audit.js';
import { ensureCertificates, type Certificates } from './certs.js';
import type { EmulatorConfig } from './config.js';
import { connectionPath, PRINCIPAL_NAMES, readConnection, type EmulatorConnection, type PrincipalName, type PrincipalSecret } from './connection.js';
import { handleEntra, isEntraPath } from './entra/handlers.js';
import { ArmError, EntraError, errors } from './errors.js';
import { ensureSigningKey, loadSigningKey, type SigningKey } from './entra/keys.js';
import { TokenIssuer } from './entra/tokens.js';
import { EmulatorEvents } from './events.js';
import { ImdsManager } from './imds/manager.js';
import { KeyVaultPlane } from './keyvault/dataplane.js';
import { checkKeyVaultFile } from './keyvault/state.js';
import { profileAdminReply, ProfileState } from './profiles.js';
import { isPortalRequest, newPortalKey, servePortalRequest } from './portal.js';
import { BodyTooLargeError, ClientGoneError, drainAfterReply, guardListener, hasBody, readBody, RequestTarget, send, type Reply } from './http.js';
import { logError, logValue } from './log.js';
import { ensureSecrets, type Secrets } from './secrets.js';
import { FileStore, writeFileAtomic, type Store } from './store.js';
import { describeOwner, StateLock } from './lock.js';
import { SEED } from './world.js';
import { seedWorld } from './world.js';

// The admin endpoints (reset, profile) and the admin key's header: part of the contract with the
// emulator's clients, so defined in @milab/common (admin.ts), where a client finds them without
// loading this server; re-exported here for the emulator's own code and tests.
import { ADMIN_KEY_HEADER, ADMIN_PROFILE_PATH, ADMIN_RESET_PATH } from '@milab/common';
export { ADMIN_KEY_HEADER, ADMIN_PROFILE_PATH, ADMIN_RESET_PATH };

export interface Emulator {
  readonly config: EmulatorConfig;
  /** `https://127.0.0.1:PORT` once listening. */
  readonly url: string | undefined;
  readonly store: Store;
  /** The token issuer (mint and verify); throws until `ready()` has resolved. */
  readonly tokens: TokenIssuer;
  /**
   * Resolves once the token signing key is loaded (generated off the main thread on a first
   * start, so the listener is up before it). Requests wait for it.
   */
  ready(): Promise<TokenIssuer>;
  readonly events: EmulatorEvents;
  readonly certificates: Certificates;
  /** The per-VM IMDS listeners (started by `listen()`, stopped by `close()`). */
  readonly imds: ImdsManager;
  /** The vaults' data-plane listeners, one per vault (started by `listen()`, stopped by `close()`). */
  readonly keyVaults: KeyVaultPlane;
  /** The live profile (latency, throttling, IMDS faults and limits, RBAC delay). */
  readonly profiles: ProfileState;
  /**
   * Binds the listener, waits for the token signing key (`ready()`), writes connection.json, and
   * returns the URL: whoever sees connection.json can get a token at once.
   */
  listen(): Promise<string>;
  /** Stops the listener (dropping open connections) and removes connection.json. */
  close(): Promise<void>;
  /** Back to the seeded world (secrets, keys and certificates are kept); clears the audit log. */
  reset(): void;
  /**
   * Writes the audit entries still buffered (they are otherwise written within 50 ms, on close
   * and at exit). `readAudit` in the same process does this itself.
   */
  flushAudit(): void;
  /** What connection.json holds (available once listening). */
  connection(): EmulatorConnection;
}

/** Thrown when the port is taken or another emulator serves the state directory. */
export class EmulatorStartError extends Error {
  override readonly name = 'EmulatorStartError';
  constructor(
    readonly code: 'PortInUse' | 'AlreadyRunning',
    message: string,
  ) {
    super(message);
  }
}

function principalsOf(secrets: Secrets): Record<PrincipalName, PrincipalSecret> {
  return Object.fromEntries(
    PRINCIPAL_NAMES.map((name) => [
      name,
      { displayName: SEED.principals[name].displayName, clientId: SEED.principals[name].clientId, objectId: SEED.principals[name].objectId, clientSecret: secrets[name] },
    ]),
  ) as Record<PrincipalName, PrincipalSecret>;
}

/** The path an absolute-form target (`https://host/path`) names, or '' for any other target. */
function absolutePath(target: string): string {
  try {
    return new URL(target).pathname;
  } catch {
    return '';
  }
}

/** The lock of `stateDir` for this emulator, or AlreadyRunning naming the one that holds it. */
function lockStateDir(config: EmulatorConfig): StateLock {
  const taken = StateLock.acquire(config.stateDir, config.port || undefined);
  if ('lock' in taken) return taken.lock;
  throw new EmulatorStartError('AlreadyRunning', describeOwner(config.stateDir, taken.owner));
}

export function createEmulator(config: EmulatorConfig): Emulator {
  mkdirSync(config.stateDir, { recursive: true, mode: 0o700 });
  // Before anything is read or written: a second emulator on this directory would overwrite
  // the first one's acknowledged writes with its own snapshots.
  let lock = lockStateDir(config);
  let certificates: Certificates;
  let secrets: Secrets;
  let store: FileStore;
  let storedKey: SigningKey | undefined;
  try {
    // Each refuses a file it cannot use (StateFileError: bin.ts and the CLI exit 2) and
    // creates only what is missing.
    certificates = ensureCertificates(config.stateDir);
    secrets = ensureSecrets(config.stateDir);
    storedKey = loadSigningKey(config.stateDir);
    checkKeyVaultFile(config.stateDir);
    store = FileStore.open(config.stateDir);
  } catch (error) {
    lock.release();
    throw error;
  }
  let issuer: TokenIssuer | undefined;
  const ready = (storedKey ? Promise.resolve(storedKey) : ensureSigningKey(config.stateDir)).then((key) => {
    // ARM takes its own origin as an audience once it listens (`url`), no other loopback one.
    issuer = new TokenIssuer(key, store.state.tenantId, () => url);
    return issuer;
  });
  // Surface a key failure on the first request, not as an unhandled rejection.
  ready.catch(() => undefined);
  const tokens = (): TokenIssuer => {
    if (!issuer) throw new Error('the token signing key is not loaded yet: await emulator.ready()');
    return issuer;
  };
  const events = new EmulatorEvents();
  const audit = new AuditLog(config.stateDir, { log: config.log });
  const adminKey = randomBytes(24).toString('base64url');
  /** Lets the portal's page sign in (portal.ts): handed over by `milab portal` through connection.json's portalUrl. */
  const portalKey = newPortalKey();
  const profiles = new ProfileState(config.profile);
  const arm = createArmHandler({ config, store, tokens, events, audit, profiles });
  let url: string | undefined;
  let startedAt = '';
  let server: Server | undefined;
  /**
   * Whether connection.json has been written by this listen(): not before the signing key is
   * ready (IMDS listeners starting meanwhile would write it early otherwise).
   */
  let published = false;
  /** Rewrites connection.json while listening (VMs and profile change it). */
  const writeConnection = (): void => {
    if (server && url && published) writeFileAtomic(connectionPath(config.stateDir), JSON.stringify(emulator.connection(), null, 2), 0o600);
  };
  const imds = new ImdsManager({ store, tokens: () => ready, profiles, events, stateDir: config.stateDir, log: config.log, onChange: writeConnection });
  const keyVaults = new KeyVaultPlane({ store, stateDir: config.stateDir, tokens: () => ready, audit, events, log: config.log, certificates, authority: () => url, rbacDelaySeconds: () => profiles.rbacDelaySeconds, rbacHolds: profiles.rbacHolds });

  function reset(): void {
    store.replace(seedWorld());
    audit.clear();
    events.emit('reset');
    // The class principals went with the world: their secrets go too.
    forgetClassPrincipals(secrets);
    writeConnection();
  }

  function adminAllowed(req: IncomingMessage): boolean {
    const presented = Buffer.from(String(req.headers[ADMIN_KEY_HEADER] ?? ''));
    const expected = Buffer.from(adminKey);
    return presented.length === expected.length && timingSafeEqual(presented, expected);
  }

  /**
   * ARM's request body limit: 4 MB (Azure/azure-resource-manager-rpc v1.0/common-api-details.md,
   * "Max Request Body Size"), taken as 4 MiB.
   */
  const ARM_MAX_BODY_BYTES = 4 * 1024 * 1024;
  /** Entra's form bodies are a few parameters; 1 MiB is the emulator's own cap (unconfirmed: Entra's is not documented). */
  const ENTRA_MAX_BODY_BYTES = 1024 * 1024;

  /** Whether a request is Entra's; a target that is not a path still names one by its path. */
  function isEntraTarget(target: string, requestTarget: RequestTarget | undefined): boolean {
    return isEntraPath(requestTarget?.pathname ?? absolutePath(target));
  }

  function bodyLimit(entra: boolean): number {
    return entra ? ENTRA_MAX_BODY_BYTES : ARM_MAX_BODY_BYTES;
  }

  /** The reply for an error thrown while handling a request, in the plane's shape; logs the unexpected. */
  function failureReply(error: unknown, entra: boolean, method: string, target: string): Reply {
    if (error instanceof BodyTooLargeError) error = entra ? errors.entraBodyTooLarge(error.limitBytes) : errors.requestContentTooLarge();
    if (error instanceof EntraError) return { status: error.status, body: error.body(), headers: { 'cache-control': 'no-store, no-cache' } };
    if (error instanceof ArmError) return { status: error.status, body: error.body(), headers: error.headers };
    config.log(`error: ${logValue(method)} ${logValue(target)}: ${logError(error)}`);
    const internal = errors.internalServerError();
    return { status: internal.status, body: internal.body() };
  }

  /**
   * The reply to a request whose body is read and whose key is loaded: synchronous unless it has
   * to wait (Entra, a token not verified before, a latency profile). Throws what failureReply answers.
   */
  function route(req: IncomingMessage, method: string, requestTarget: RequestTarget, baseUrl: string, entra: boolean, body: string): Reply | Promise<Reply> {
    const path = requestTarget.pathname;
    if (path === ADMIN_RESET_PATH && method === 'POST') {
      if (!adminAllowed(req)) return { status: 403, body: { error: { code: 'Forbidden', message: 'The admin key is missing or wrong.' } } };
      reset();
      return { status: 200, body: { reset: true } };
    }
    if (path === ADMIN_PRINCIPALS_PATH) {
      return adminAllowed(req) ? principalsAdminReply(store, secrets, method, body) : { status: 403, body: { error: { code: 'Forbidden', message: 'The admin key is missing or wrong.' } } };
    }
    if (path === ADMIN_PROFILE_PATH) {
      if (!adminAllowed(req)) return { status: 403, body: { error: { code: 'Forbidden', message: 'The admin key is missing or wrong.' } } };
      const reply = profileAdminReply(profiles, method, body);
      if (method === 'POST' && reply.status === 200) writeConnection();
      return reply;
    }
    if (entra) {
      return (async () => {
        if (profiles.latencyMs('entra') > 0) await profiles.delay('entra');
        return (
          (await handleEntra({ baseUrl, tenantId: store.state.tenantId, store, secrets, tokens: tokens() }, method, requestTarget.url, body, req.headers.authorization)) ?? {
            status: 404,
            body: { error: 'not_found', error_description: `The milab emulator has no Entra endpoint '${method} ${path}'.` },
          }
        );
      })();
    }
    const request = { method, target: requestTarget, baseUrl, body, authorization: req.headers.authorization };
    if (profiles.latencyMs('arm') > 0) {
      // An Azure answer's latency is the network and ARM's own work: here the emulator's work
      // (a list page, an RBAC decision) counts towards it, and only the rest is waited.
      const began = performance.now();
      const rest = () => profiles.delay('arm', performance.now() - began);
      return new Promise<Reply>((resolve) => resolve(arm(request))).then(
        (reply) => rest().then(() => reply),
        (error: unknown) =>
          rest().then(() => {
            throw error;
          }),
      );
    }
    return arm(request);
  }

  /** {@link route} once the body is read and the signing key is loaded. */
  async function readThenRoute(req: IncomingMessage, method: string, requestTarget: RequestTarget, baseUrl: string, entra: boolean): Promise<Reply> {
    const body = hasBody(req) ? await readBody(req, bodyLimit(entra)) : '';
    if (!issuer) await ready;
    return route(req, method, requestTarget, baseUrl, entra, body);
  }

  /**
   * Answers one request. A request without a body (no Content-Length, no Transfer-Encoding: most
   * GETs) once the key is loaded is answered in the same turn of the loop when its handler need
   * not wait: each await would be a turn more, and a promise or two per request. Returns a
   * promise only when it waits; throws (or rejects) only when writing the reply failed.
   */
  function handle(req: IncomingMessage, res: ServerResponse): Promise<void> | undefined {
    const method = (req.method ?? 'GET').toUpperCase();
    const baseUrl = url ?? `https://127.0.0.1:${config.port}`;
    const target = req.url ?? '';
    const requestTarget = RequestTarget.parse(target, baseUrl);
    // The portal's page and sign-in (@milab/portal, loaded on the first such request).
    if (isPortalRequest(requestTarget?.pathname)) return servePortalRequest(req, res, { store, secrets, tokens: () => ready, key: portalKey }, baseUrl);
    const entra = isEntraTarget(target, requestTarget);
    const withBody = hasBody(req);
    const answer = (reply: Reply): void => {
      send(res, reply, method);
      // Only a body can be left unread (refused, or the request failed before it was read).
      if (withBody) drainAfterReply(req);
    };
    const fail = (error: unknown): void => {
      if (error instanceof ClientGoneError) return;
      answer(failureReply(error, entra, method, requestTarget?.pathname ?? target));
    };
    let reply: Reply | Promise<Reply>;
    try {
      if (!requestTarget) throw entra ? errors.entraMalformedRequest(`The request-target '${target}' is not a path.`) : errors.badRequestTarget(target);
      reply = withBody || !issuer ? readThenRoute(req, method, requestTarget, baseUrl, entra) : route(req, method, requestTarget, baseUrl, entra, '');
    } catch (error) {
      fail(error);
      return undefined;
    }
    if (reply instanceof Promise) return reply.then(answer, fail);
    answer(reply);
    return undefined;
  }

  /** The one HTTPS listener: every request answered, none able to end the process. */
  function createFrontDoor(): Server {
    const serve = (req: IncomingMessage, res: ServerResponse): void => {
      const writeFailed = (error: unknown): void => {
        // Only writing the reply itself can get here (a handler's failure is a 500 above).
        config.log(`error: ${logValue(req.method)} ${logValue(req.url)}: writing the reply failed: ${logError(error)}`);
        try {
          if (!res.headersSent) send(res, failureReply(error, false, req.method ?? '', req.url ?? ''));
          else res.destroy();
        } catch {
          res.destroy();
        }
      };
      try {
        handle(req, res)?.catch(writeFailed);
      } catch (error) {
        writeFailed(error);
      }
    };
    const https = createServer({ key: certificates.keyPem, cert: certificates.certPem }, serve);
    // `Expect: 100-continue`: the client waits for a go-ahead before it sends its body. A body
    // declared over the limit gets its 413 instead, and is never sent.
    https.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
      const target = req.url ?? '';
      const declared = Number(req.headers['content-length']);
      if (!(declared > bodyLimit(isEntraTarget(target, RequestTarget.parse(target, url ?? 'https://127.0.0.1'))))) res.writeContinue();
      serve(req, res);
    });
    guardListener(https, {
      unparseable: (status, reason) => errors.malformedHttpRequest(status, reason).body(),
      connect: (target) => errors.badRequestTarget(target).body(),
    });
    return https;
  }

  const emulator: Emulator = {
    config,
    get url() {
      return url;
    },
    store,
    get tokens() {
      return tokens();
    },
    ready: () => ready,
    events,
    certificates,
    imds,
    keyVaults,
    profiles,
    reset,
    flushAudit: () => audit.flush(),
    connection(): EmulatorConnection {
      if (!url) throw new Error('the emulator is not listening');
      const port = Number(new URL(url).port);
      return {
        version: 1,
        pid: process.pid,
        url,
        caFile: certificates.caFile,
        tenantId: store.state.tenantId,
        worldId: store.state.worldId,
        subscriptionId: SEED.subscriptionId,
        resourceGroup: SEED.resourceGroup,
        location: SEED.location,
        principals: principalsOf(secrets),
        startedAt,
        port,
        stateDir: config.stateDir,
        authorityHost: url,
        armEndpoint: url,
        metadataUrl: `${url}/metadata/endpoints?api-version=2022-09-01`,
        adminKey,
        portalUrl: `${url}/portal/#key=${portalKey}`,
        rbacDelaySeconds: profiles.rbacDelaySeconds,
        vms: imds.endpoints(),
        containerGroups: imds.endpoints('containerGroups'),
        profile: profiles.current(),
      };
    },
    async listen(): Promise<string> {
      if (server) throw new Error('the emulator is already listening');
      if (lock.released) lock = lockStateDir(config);
      const https = createFrontDoor();
      https.keepAliveTimeout = 5_000;
      await new Promise<void>((resolve, reject) => {
        const onError = (error: NodeJS.ErrnoException) => {
          reject(
            error.code === 'EADDRINUSE'
              ? new EmulatorStartError('PortInUse', `port ${config.port} on ${config.host} is already in use`)
              : error,
          );
        };
        https.once('error', onError);
        https.listen(config.port, config.host, () => {
          https.off('error', onError);
          resolve();
        });
      }).catch((error: unknown) => {
        lock.release();
        throw error;
      });
      server = https;
      const { port } = https.address() as AddressInfo;
      url = `https://${config.host}:${port}`;
      startedAt = new Date().toISOString();
      lock.update({ port, url });
      await imds.start();
      await keyVaults.start();
      // A detached start returns once connection.json exists (launcher.ts): by then the first
      // token must not wait for the key, generated off the main thread on a first start. A key
      // that cannot be made stops the start here, not every token request after it.
      await ready.catch(async (error: unknown) => {
        await emulator.close();
        throw error;
      });
      published = true;
      writeConnection();
      return url;
    },
    async close(): Promise<void> {
      const current = server;
      if (!current) {
        audit.close();
        store.close();
        lock.release();
        return;
      }
      await imds.stop();
      await keyVaults.stop();
      server = undefined;
      published = false;
      const own = readConnection(config.stateDir);
      if (own?.pid === process.pid && own.url === url) rmSync(connectionPath(config.stateDir), { force: true });
      await new Promise<void>((resolve) => {
        current.close(() => resolve());
        current.closeAllConnections();
      });
      url = undefined;
      audit.close();
      // Before the lock goes: the next holder (or an offline reset) opens world.mdb anew.
      store.close();
      lock.release();
    },
  };
  return emulator;
}
