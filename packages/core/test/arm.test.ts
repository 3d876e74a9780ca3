// ARM error mapping and client configuration, without a network: the pure mapping functions, and
// the real SDK clients' pipelines with a last policy that records the request and answers it.
// (Behaviour across the wire is tested against the emulator in arm.emulator.test.ts.)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import {
  RestError,
  createHttpHeaders,
  createPipelineRequest,
  type PipelinePolicy,
  type PipelineRequest,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';
import { AggregateAuthenticationError, AuthenticationError, CredentialUnavailableError } from '@azure/identity';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ARM_SCOPE,
  ArmError,
  ArmUnreachableError,
  AuthenticationFailedError,
  ConfigError,
  EmulatorNotRunningError,
  MilabError,
  NotSignedInError,
  armErrorFromResponse,
  armErrorFromRestError,
  armRequest,
  createArmClients,
  createArmContext,
  getCredential,
  loadConfig,
  parseArmErrorBody,
  toMilabError,
  type ArmClients,
} from '../src/index.js';
import { fakeConnection } from './support/connection.js';

const SUB = '98f51385-2edc-4b79-bed9-7718de4cb861';
const AUTHZ_FAILED = {
  error: {
    code: 'AuthorizationFailed',
    message: `The client 'abc' with object id 'abc' does not have authorization to perform action 'Microsoft.Resources/subscriptions/resourceGroups/read' over scope '/subscriptions/${SUB}/resourceGroups/DevTest' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
  },
};

describe('ARM error mapping (pure)', () => {
  it('maps an ARM error body to code, status, message, target and details', () => {
    const error = armErrorFromResponse({
      status: 404,
      body: JSON.stringify({
        error: {
          code: 'ResourceNotFound',
          message: "The Resource 'Microsoft.ManagedIdentity/userAssignedIdentities/id-x' under resource group 'DevTest' was not found.",
          target: 'id-x',
          details: [{ code: 'Inner', message: 'inner detail' }],
        },
      }),
      requestId: 'req-1',
      method: 'GET',
      url: `https://management.azure.com/subscriptions/${SUB}?api-version=2023-01-31`,
    });
    expect(error).toBeInstanceOf(ArmError);
    expect(error).toBeInstanceOf(MilabError);
    expect(error).toMatchObject({
      name: 'ArmError',
      code: 'ResourceNotFound',
      status: 404,
      target: 'id-x',
      details: [{ code: 'Inner', message: 'inner detail' }],
      requestId: 'req-1',
      method: 'GET',
      url: `https://management.azure.com/subscriptions/${SUB}`,
      exitCode: 1,
    });
    expect(error.message).toContain("under resource group 'DevTest' was not found");
    expect(error.hint).toMatch(/Check the resource name/);
  });

  it('keeps AuthorizationFailed and explains the RBAC delay', () => {
    const error = armErrorFromResponse({ status: 403, body: AUTHZ_FAILED });
    expect(error.code).toBe('AuthorizationFailed');
    expect(error.status).toBe(403);
    expect(error.message).toBe(AUTHZ_FAILED.error.message);
    expect(error.hint).toMatch(/up to 10 minutes/);
  });

  it('reads unwrapped bodies, and survives bodies that are not ARM errors', () => {
    expect(parseArmErrorBody({ code: 'InvalidApiVersionParameter', message: 'bad version' })).toMatchObject({
      code: 'InvalidApiVersionParameter',
    });
    expect(parseArmErrorBody('<html>gateway</html>')).toBeUndefined();
    const html = armErrorFromResponse({ status: 502, body: '<html>gateway</html>' });
    expect(html).toMatchObject({ code: 'MILAB_ARM_HTTP_ERROR', status: 502 });
    expect(html.message).toContain('<html>gateway</html>');
    expect(html.hint).toMatch(/transient/);
    const empty = armErrorFromResponse({ status: 429, body: '' });
    expect(empty.message).toBe('ARM answered HTTP 429 with no error body.');
    expect(empty.hint).toMatch(/throttling/);
  });

  it('maps an SDK RestError with a response', () => {
    const request = createPipelineRequest({ url: `https://management.azure.com/subscriptions/${SUB}/resourcegroups/DevTest?api-version=2021-04-01`, method: 'GET' });
    const response: PipelineResponse = {
      request,
      status: 403,
      headers: createHttpHeaders({ 'x-ms-request-id': 'req-2' }),
      bodyAsText: JSON.stringify(AUTHZ_FAILED),
    };
    const rest = new RestError('sdk message', { code: 'AuthorizationFailed', statusCode: 403, request, response });
    const mapped = armErrorFromRestError(rest);
    expect(mapped).toBeInstanceOf(ArmError);
    expect(mapped).toMatchObject({
      code: 'AuthorizationFailed',
      status: 403,
      message: AUTHZ_FAILED.error.message,
      requestId: 'req-2',
      url: `https://management.azure.com/subscriptions/${SUB}/resourcegroups/DevTest`,
    });
    expect(mapped.cause).toBe(rest);
    expect(toMilabError(rest)).toMatchObject({ code: 'AuthorizationFailed' });
  });

  it('keeps the SDK code when there is no body', () => {
    const request = createPipelineRequest({ url: 'https://management.azure.com/x', method: 'DELETE' });
    const response: PipelineResponse = { request, status: 409, headers: createHttpHeaders() };
    const mapped = armErrorFromRestError(new RestError('Conflict happened', { code: 'Conflict', statusCode: 409, request, response }));
    expect(mapped).toMatchObject({ code: 'Conflict', status: 409, message: 'Conflict happened' });
  });

  it('maps a RestError without a response to ArmUnreachableError', () => {
    const request = createPipelineRequest({ url: 'https://127.0.0.1:1/subscriptions', method: 'GET' });
    const rest = new RestError('connect ECONNREFUSED 127.0.0.1:1', { code: 'REQUEST_SEND_ERROR', request });
    const mapped = armErrorFromRestError(rest, 'emulator');
    expect(mapped).toBeInstanceOf(ArmUnreachableError);
    expect(mapped.message).toContain('ARM at https://127.0.0.1:1 is unreachable');
    expect(mapped.hint).toMatch(/emulator start/);
    expect(mapped.exitCode).toBe(2);
  });
});

describe('credential error mapping', () => {
  it('nothing signed in on azure → NotSignedInError with az login', () => {
    const error = toMilabError(new AggregateAuthenticationError([new CredentialUnavailableError('az not found'), new CredentialUnavailableError('no env')]), 'azure');
    expect(error).toBeInstanceOf(NotSignedInError);
    expect(error?.hint).toMatch(/az login/);
  });

  it('a refused sign-in keeps Entra error code', () => {
    const refused = new AuthenticationError(401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.\nTrace ID: x' });
    const error = toMilabError(refused, 'emulator');
    expect(error).toBeInstanceOf(AuthenticationFailedError);
    expect(error?.code).toBe('invalid_client');
    expect(error?.message).toContain('AADSTS7000215: Invalid client secret provided.');
    expect(error?.message).not.toContain('Trace ID');
  });

  it('leaves unknown errors alone', () => {
    expect(toMilabError(new Error('boom'))).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'milab-arm-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

/** A credential that records the scopes it is asked for. */
function recordingCredential(): TokenCredential & { scopes: string[][] } {
  const scopes: string[][] = [];
  return {
    scopes,
    async getToken(requested: string | string[]): Promise<AccessToken> {
      scopes.push([requested].flat());
      return { token: 'fake-token', expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
}

/** The last policy of a pipeline: records the request and answers it without a network. */
function answering(answer: (request: PipelineRequest) => { status: number; body?: unknown; headers?: Record<string, string> }) {
  const seen: PipelineRequest[] = [];
  const policy: PipelinePolicy = {
    name: 'testAnswer',
    async sendRequest(request) {
      seen.push(request);
      const { status, body, headers } = answer(request);
      return {
        request,
        status,
        headers: createHttpHeaders({ 'content-type': 'application/json', ...headers }),
        bodyAsText: body === undefined ? '' : JSON.stringify(body),
      };
    },
  };
  return { policy, seen };
}

function install(clients: ArmClients, policy: PipelinePolicy) {
  for (const client of [clients.msi, clients.authorization, clients.resources, clients.compute]) {
    client.pipeline.addPolicy(policy, { afterPhase: 'Sign' });
  }
}

/** One call per client, in the order msi, authorization, resources, compute. */
async function callEach(clients: ArmClients): Promise<unknown[]> {
  const settle = (p: Promise<unknown>) => p.then((v) => v, (e: unknown) => e);
  const firstPage = async () => {
    // The scope without its leading slash: the SDK's path template is `/{scope}/providers/…`.
    for await (const page of clients.authorization.roleAssignments.listForScope(`subscriptions/${SUB}`).byPage()) return page;
    return undefined;
  };
  return [
    await settle(clients.msi.userAssignedIdentities.get('DevTest', 'id-milab-jane')),
    await settle(firstPage()),
    await settle(clients.resources.resourceGroups.get('DevTest')),
    await settle(clients.compute.virtualMachines.get('DevTest', 'vm-milab-jane')),
  ];
}

describe('createArmClients (azure target)', () => {
  const env = () => ({ MILAB_HOME: home, MILAB_TARGET: 'azure', AZURE_SUBSCRIPTION_ID: SUB, AZURE_RESOURCE_MANAGER_ENDPOINT: 'https://arm.example.test/' });

  it('sends every client to the endpoint with the ARM scope', async () => {
    const credential = recordingCredential();
    const context = createArmContext(loadConfig({ env: env() }), { credential, env: env() });
    expect(context.endpoint).toBe('https://arm.example.test');
    expect(context.httpsAgent).toBeUndefined();
    const clients = await createArmClients(context);
    const { policy, seen } = answering(() => ({ status: 200, body: { id: 'x', name: 'x', location: 'westus', value: [] } }));
    install(clients, policy);
    const results = await callEach(clients);
    for (const result of results) expect(result).not.toBeInstanceOf(Error);
    expect(seen.map((r) => new URL(r.url).origin)).toEqual(Array(4).fill('https://arm.example.test'));
    expect(seen.map((r) => new URL(r.url).pathname)).toEqual([
      `/subscriptions/${SUB}/resourceGroups/DevTest/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-milab-jane`,
      `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleAssignments`,
      `/subscriptions/${SUB}/resourcegroups/DevTest`,
      `/subscriptions/${SUB}/resourceGroups/DevTest/providers/Microsoft.Compute/virtualMachines/vm-milab-jane`,
    ]);
    expect(seen.every((r) => r.headers.get('authorization') === 'Bearer fake-token')).toBe(true);
    expect(new Set(credential.scopes.map((s) => s.join(' ')))).toEqual(new Set([ARM_SCOPE]));
  });

  it('turns ARM error answers into ArmError in both client generations', async () => {
    const clients = await createArmClients(createArmContext(loadConfig({ env: env() }), { credential: recordingCredential(), env: env() }));
    const { policy } = answering(() => ({ status: 403, body: AUTHZ_FAILED, headers: { 'x-ms-request-id': 'req-9' } }));
    install(clients, policy);
    const results = await callEach(clients);
    for (const result of results) {
      expect(result).toBeInstanceOf(ArmError);
      expect(result).toMatchObject({ code: 'AuthorizationFailed', status: 403, message: AUTHZ_FAILED.error.message, requestId: 'req-9' });
    }
  });

  it('lets expected non-2xx answers through (checkExistence 404 is "false", not an error)', async () => {
    const clients = await createArmClients(createArmContext(loadConfig({ env: env() }), { credential: recordingCredential(), env: env() }));
    install(clients, answering(() => ({ status: 404 })).policy);
    await expect(clients.resources.resourceGroups.checkExistence('Nope')).resolves.toMatchObject({ body: false });
  });

  it('armRequest never sends the token to another host', async () => {
    const credential = recordingCredential();
    const context = createArmContext(loadConfig({ env: env() }), { credential, env: env() });
    await expect(armRequest(context, { path: 'https://evil.example.test/subscriptions' })).rejects.toThrow(
      /Refusing to send an ARM token to https:\/\/evil\.example\.test/,
    );
    expect(credential.scopes).toEqual([]);
  });

  it('needs a subscription', async () => {
    const noSub = { MILAB_HOME: home, MILAB_TARGET: 'azure' };
    const context = createArmContext(loadConfig({ env: noSub }), { credential: recordingCredential(), env: noSub });
    await expect(createArmClients(context)).rejects.toThrow(ConfigError);
  });
});

describe('emulator target wiring', () => {
  it('without a running emulator: EmulatorNotRunningError with the start command', () => {
    const env = { MILAB_HOME: home };
    const config = loadConfig({ env });
    for (const attempt of [() => getCredential(config, { env }), () => createArmContext(config, { env })]) {
      let error: unknown;
      try {
        attempt();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(EmulatorNotRunningError);
      expect((error as EmulatorNotRunningError).hint).toContain('./milab emulator start --detach');
      expect((error as EmulatorNotRunningError).exitCode).toBe(2);
    }
  });

  it('with a connection: the emulator URL, its CA in the agent, the seeded subscription', async () => {
    const env = { MILAB_HOME: home };
    const stateDir = join(home, 'emulator');
    mkdirSync(stateDir, { recursive: true });
    // Any valid PEM stands for the emulator CA here: nothing connects in this test.
    const caPem = rootCertificates[0] ?? '';
    writeFileSync(join(stateDir, 'ca.pem'), caPem);
    writeFileSync(join(stateDir, 'connection.json'), JSON.stringify(fakeConnection({ caFile: join(stateDir, 'ca.pem') })));
    const config = loadConfig({ env });
    expect(getCredential(config, { env, as: 'grader' })).toBeDefined();
    const credential = recordingCredential();
    const context = createArmContext(config, { credential, env });
    expect(context.endpoint).toBe('https://127.0.0.1:8443');
    expect(context.subscriptionId).toBe(SUB);
    // The CA is in the agent's secure context (every emulator test connects through it), not in
    // its `ca` option, which node would copy into each request's pool key.
    expect(context.httpsAgent?.options.secureContext).toBeDefined();
    expect(context.httpsAgent?.options.ca).toBeUndefined();
    const clients = await createArmClients(context);
    const { policy, seen } = answering(() => ({ status: 200, body: { id: 'x', name: 'x', location: 'westus', value: [] } }));
    install(clients, policy);
    await callEach(clients);
    expect(seen).toHaveLength(4);
    for (const request of seen) {
      expect(new URL(request.url).origin).toBe('https://127.0.0.1:8443');
      expect(request.agent).toBe(context.httpsAgent);
    }
    expect(new Set(credential.scopes.flat())).toEqual(new Set([ARM_SCOPE]));
  });
});
