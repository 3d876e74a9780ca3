// `createEmulator(config)`: an unstarted emulator (state loaded, keys and certificates ready).
// `listen()` binds the one HTTPS listener on 127.0.0.1 serving Entra and ARM, then writes
// `connection.json`; `close()` stops it and removes the file. Only the CLI, bin.ts and tests
// call `listen()`.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createArmHandler } from './arm/router.js';
import { AuditLog } from './audit.js';
import { ensureCertificates, type Certificates } from './certs.js';
import type { EmulatorConfig } from './config.js';
import { connectionPath, PRINCIPAL_NAMES, readConnection, type EmulatorConnection, type PrincipalName, type PrincipalSecret } from './connection.js';
import { handleEntra, isEntraPath } from './entra/handlers.js';
import { ensureSigningKey } from './entra/keys.js';
import { TokenIssuer } from './entra/tokens.js';
import { EmulatorEvents } from './events.js';
import { ImdsManager } from './imds/manager.js';
import { profileAdminReply, ProfileState } from './profiles.js';
import { readBody, send, type Reply } from './http.js';
import { ensureSecrets, type Secrets } from './secrets.js';
import { FileStore, writeFileAtomic, type Store } from './store.js';
import { SEED } from './world.js';
import { seedWorld } from './world.js';

/** Admin endpoint of a running emulator (reset), guarded by the key in connection.json. */
export const ADMIN_RESET_PATH = '/_milab/reset';
export const ADMIN_KEY_HEADER = 'x-milab-admin-key';
/** Admin endpoint of the profile: GET shows it, POST `{set?: ProfileFlags, clear?: true}` changes it. */
export const ADMIN_PROFILE_PATH = '/_milab/profile';

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
  /** The live profile (latency, throttling, IMDS faults and limits, RBAC delay). */
  readonly profiles: ProfileState;
  /** Binds the listener, writes connection.json, and returns the URL. */
  listen(): Promise<string>;
  /** Stops the listener (dropping open connections) and removes connection.json. */
  close(): Promise<void>;
  /** Back to the seeded world (secrets, keys and certificates are kept); clears the audit log. */
  reset(): void;
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

export function createEmulator(config: EmulatorConfig): Emulator {
  mkdirSync(config.stateDir, { recursive: true, mode: 0o700 });
  const certificates = ensureCertificates(config.stateDir);
  const secrets = ensureSecrets(config.stateDir);
  const store = FileStore.open(config.stateDir);
  let issuer: TokenIssuer | undefined;
  const ready = ensureSigningKey(config.stateDir).then((key) => {
    issuer = new TokenIssuer(key, store.state.tenantId);
    return issuer;
  });
  // Surface a key failure on the first request, not as an unhandled rejection.
  ready.catch(() => undefined);
  const tokens = (): TokenIssuer => {
    if (!issuer) throw new Error('the token signing key is not loaded yet: await emulator.ready()');
    return issuer;
  };
  const events = new EmulatorEvents();
  const audit = new AuditLog(config.stateDir);
  const adminKey = randomBytes(24).toString('base64url');
  const profiles = new ProfileState(config.profile);
  const arm = createArmHandler({ config, store, tokens, events, audit, profiles });
  let url: string | undefined;
  let startedAt = '';
  let server: Server | undefined;
  /** Rewrites connection.json while listening (VMs and profile change it). */
  const writeConnection = (): void => {
    if (server && url) writeFileAtomic(connectionPath(config.stateDir), JSON.stringify(emulator.connection(), null, 2), 0o600);
  };
  const imds = new ImdsManager({ store, tokens: () => ready, profiles, events, stateDir: config.stateDir, log: config.log, onChange: writeConnection });

  function reset(): void {
    store.replace(seedWorld());
    audit.clear();
    events.emit('reset');
    writeConnection();
  }

  function adminAllowed(req: IncomingMessage): boolean {
    const presented = Buffer.from(String(req.headers[ADMIN_KEY_HEADER] ?? ''));
    const expected = Buffer.from(adminKey);
    return presented.length === expected.length && timingSafeEqual(presented, expected);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const baseUrl = url ?? `https://127.0.0.1:${config.port}`;
    // Concatenate, not resolve: a path like `//subscriptions/…` (an SDK scope with a leading
    // slash) must stay a path, not become a host.
    const requestUrl = new URL(`${baseUrl}${req.url ?? '/'}`);
    let reply: Reply;
    try {
      const body = await readBody(req);
      await ready;
      if (requestUrl.pathname === ADMIN_RESET_PATH && method === 'POST') {
        if (!adminAllowed(req)) {
          reply = { status: 403, body: { error: { code: 'Forbidden', message: 'The admin key is missing or wrong.' } } };
        } else {
          reset();
          reply = { status: 200, body: { reset: true } };
        }
      } else if (requestUrl.pathname === ADMIN_PROFILE_PATH) {
        if (!adminAllowed(req)) {
          reply = { status: 403, body: { error: { code: 'Forbidden', message: 'The admin key is missing or wrong.' } } };
        } else {
          reply = profileAdminReply(profiles, method, body);
          if (method === 'POST' && reply.status === 200) writeConnection();
        }
      } else if (isEntraPath(requestUrl.pathname)) {
        await profiles.delay('entra');
        reply = handleEntra({ baseUrl, tenantId: store.state.tenantId, store, secrets, tokens: tokens() }, method, requestUrl, body, req.headers.authorization) ?? {
          status: 404,
          body: { error: 'not_found', error_description: `The milab emulator has no Entra endpoint '${method} ${requestUrl.pathname}'.` },
        };
      } else {
        await profiles.delay('arm');
        reply = arm({ method, url: requestUrl, baseUrl, body, authorization: req.headers.authorization });
      }
    } catch (error) {
      config.log(`error: ${method} ${requestUrl.pathname}: ${(error as Error).stack ?? String(error)}`);
      reply = { status: 500, body: { error: { code: 'InternalServerError', message: 'The milab emulator failed to process the request; see its log.' } } };
    }
    send(res, reply, method);
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
    profiles,
    reset,
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
        rbacDelaySeconds: profiles.rbacDelaySeconds,
        vms: imds.endpoints(),
        profile: profiles.current(),
      };
    },
    async listen(): Promise<string> {
      if (server) throw new Error('the emulator is already listening');
      const running = readConnection(config.stateDir);
      if (running && running.pid !== process.pid) {
        throw new EmulatorStartError('AlreadyRunning', `an emulator (pid ${running.pid}) already serves ${config.stateDir} at ${running.url}`);
      }
      const https = createServer({ key: certificates.keyPem, cert: certificates.certPem }, (req, res) => {
        void handle(req, res);
      });
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
      });
      server = https;
      const { port } = https.address() as AddressInfo;
      url = `https://${config.host}:${port}`;
      startedAt = new Date().toISOString();
      await imds.start();
      writeFileAtomic(connectionPath(config.stateDir), JSON.stringify(emulator.connection(), null, 2), 0o600);
      return url;
    },
    async close(): Promise<void> {
      const current = server;
      if (!current) return;
      await imds.stop();
      server = undefined;
      const own = readConnection(config.stateDir);
      if (own?.pid === process.pid && own.url === url) rmSync(connectionPath(config.stateDir), { force: true });
      await new Promise<void>((resolve) => {
        current.close(() => resolve());
        current.closeAllConnections();
      });
      url = undefined;
    },
  };
  return emulator;
}
