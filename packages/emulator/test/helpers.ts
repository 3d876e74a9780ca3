// Test harness: a real emulator in-process on 127.0.0.1, port 0, temp state directory, driven
// by the real Azure SDK clients. The emulator's CA is trusted through an https.Agent passed to
// every client pipeline (`agent` option of core-rest-pipeline), because NODE_EXTRA_CA_CERTS is
// only read at process start; the CLI end-to-end test uses NODE_EXTRA_CA_CERTS for real.
import { Agent } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { ComputeManagementClient } from '@azure/arm-compute';
import { ManagedServiceIdentityClient } from '@azure/arm-msi';
import { ResourceManagementClient } from '@azure/arm-resources';
import { ClientSecretCredential } from '@azure/identity';
import { request } from 'undici';
import { Agent as UndiciAgent } from 'undici';
import { createEmulator, type Emulator } from '../src/server.js';
import { parseConfig, type EmulatorOptions } from '../src/config.js';
import type { EmulatorConnection, PrincipalName } from '../src/connection.js';

export const ARM_SCOPE = 'https://management.azure.com/.default';

export function tempStateDir(): string {
  return mkdtempSync(join(tmpdir(), 'milab-emulator-test-'));
}

export interface Clients {
  credential: ClientSecretCredential;
  msi: ManagedServiceIdentityClient;
  authorization: AuthorizationManagementClient;
  compute: ComputeManagementClient;
  resources: ResourceManagementClient;
}

/** SDK clients signed in as a seeded principal of a running emulator. */
export function clientsFor(connection: EmulatorConnection, caPem: string, name: PrincipalName): Clients {
  const agent = new Agent({ ca: caPem, keepAlive: true });
  const principal = connection.principals[name];
  const credential = new ClientSecretCredential(connection.tenantId, principal.clientId, principal.clientSecret, {
    authorityHost: connection.url,
    disableInstanceDiscovery: true,
    agent,
  });
  const options = { endpoint: connection.url, credentialScopes: [ARM_SCOPE], agent };
  return {
    credential,
    msi: new ManagedServiceIdentityClient(credential, connection.subscriptionId, options),
    authorization: new AuthorizationManagementClient(credential, connection.subscriptionId, options),
    compute: new ComputeManagementClient(credential, connection.subscriptionId, { endpoint: connection.url, agent }),
    resources: new ResourceManagementClient(credential, connection.subscriptionId, options),
  };
}

export interface TestEmulator {
  emulator: Emulator;
  url: string;
  stateDir: string;
  connection: EmulatorConnection;
  caPem: string;
  warnings: string[];
  as(name: PrincipalName): Clients;
  /** Plain HTTPS (undici) trusting the emulator's CA. The body is parsed JSON, loosely typed for assertions. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  http(method: string, path: string, options?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Record<string, string | string[] | undefined> }>;
  token(name: PrincipalName, scope?: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startTestEmulator(options: EmulatorOptions = {}, keepDir?: string): Promise<TestEmulator> {
  const stateDir = keepDir ?? tempStateDir();
  const warnings: string[] = [];
  const emulator = createEmulator(parseConfig({ stateDir, port: 0, log: (m) => warnings.push(m), ...options }));
  const url = await emulator.listen();
  await emulator.ready();
  const connection = emulator.connection();
  const caPem = emulator.certificates.caPem;
  const dispatcher = new UndiciAgent({ connect: { ca: caPem } });
  const cache = new Map<PrincipalName, Clients>();
  const as = (name: PrincipalName) => {
    let clients = cache.get(name);
    if (!clients) {
      clients = clientsFor(connection, caPem, name);
      cache.set(name, clients);
    }
    return clients;
  };
  return {
    emulator,
    url,
    stateDir,
    connection,
    caPem,
    warnings,
    as,
    async token(name, scope = ARM_SCOPE) {
      const token = await as(name).credential.getToken(scope);
      return token.token;
    },
    async http(method, path, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      let body: string | undefined;
      if (opts.body !== undefined) {
        body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
        headers['content-type'] ??= 'application/json';
      }
      const response = await request(`${url}${path}`, { method: method as 'GET', headers, body, dispatcher });
      const text = await response.body.text();
      let parsed: unknown = undefined;
      if (text) {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = text;
        }
      }
      return { status: response.statusCode, body: parsed, headers: response.headers };
    },
    async stop() {
      await emulator.close();
      await dispatcher.close();
      if (!keepDir) rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
