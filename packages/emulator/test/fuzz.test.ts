// A seeded, bounded fuzz of the emulator process, the way a careless or hostile client would
// use it: malformed JSON, wrong content types, odd ids and names (unicode, %2F, very long,
// dots), huge headers and bodies, raw request-targets and request lines, bad token forms,
// IMDS header games. The emulator runs as a child process (as `milab emulator start` runs it),
// so the test can see it exit. It must not exit, answer 5xx, take 5 s to answer, or grow its
// memory without bound. The PRNG is seeded: a failure names the case and reproduces.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorConnection } from '../src/connection.js';
import { PROCESS_LOG_FILE, startDetached, stopEmulator } from '../src/launcher.js';
import { BUILTIN_ROLE_IDS } from '../src/roles.js';
import { SEED } from '../src/world.js';
import { tempStateDir } from './helpers.js';
import { rawExchange } from './raw-http.js';

const SEED_VALUE = 20261201;
const CASES = 4000;
const CONCURRENCY = 6;
// A request this slow is a hang, not a slow machine (a full suite beside other work has seen 5 s).
const SLOW_MS = 30_000;
/** How much the emulator's resident memory may grow over the run. */
const RSS_GROWTH_LIMIT_MB = 200;
/** How many lines the emulator may log over the run (each unknown api-version once, at most 50 per plane). */
const LOG_LINES_LIMIT = 200;

/** mulberry32: a small, seeded PRNG (the run must reproduce; Math.random cannot be seeded). */
class Rng {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

interface HttpCase {
  kind: 'http';
  plane: 'arm' | 'entra' | 'imds';
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}
interface RawCase {
  kind: 'raw';
  plane: 'https' | 'imds';
  text: string;
  /** An abort: the client goes away mid-request, nobody waits for an answer. */
  abort?: boolean;
}
type Case = HttpCase | RawCase;

const SUB = `/subscriptions/${SEED.subscriptionId}`;
const RG = `${SUB}/resourceGroups/DevTest`;
const MiB = 1024 * 1024;

const ODD_NAMES = [
  'fuzz', 'fuzz-2', 'Fuzz_3', 'a', 'a.b', 'trailing.', '.', '..', '-lead', 'x'.repeat(130), 'y'.repeat(600), '日本語', 'naïve', '🙂',
  'CON', 'with space', 'semi;colon', "quote'", 'quo"te', '<tag>', '%2F', 'a%2Fb', '%', '%zz', '%00', 'slash/inside', '\u202e', 'tab\tname',
];
const API_VERSIONS = ['2022-09-01', '2023-01-31', '2024-07-01', '2022-04-01', '2021-04-01', '2999-01-01', '2999-01-01-preview', 'latest', '', 'x'.repeat(3000), '2022-09-01\r\nforged', '1e9', '-1', '\u0000'];
const MALFORMED_JSON = [
  '{', '[', '}', 'null', '"text"', '12', '1e999', 'true', '{"location":', '{"location":"westus",}', "{'location':'westus'}", '\u0000', '',
  '[' .repeat(20_000) + ']'.repeat(20_000), '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000), '{"__proto__":{"polluted":true},"location":"westus"}',
  '{"constructor":{"prototype":{"polluted":true}}}', '{"location":"\\ud800"}', '{"location":"westus","tags":{"\\u0000":"\\u0000"}}', '\ufeff{"location":"westus"}',
];
const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', ''];
const LOCATIONS: unknown[] = ['westus', 'eastus', 'WestUS', 'West US', 'nowhere', '', 123, null, ['westus'], { name: 'westus' }, 'x'.repeat(500)];

function encodedName(rng: Rng): string {
  const name = rng.pick(ODD_NAMES);
  // Mostly encoded as a client would; sometimes as typed (undici refuses some of those itself).
  return rng.chance(0.8) ? encodeURIComponent(name) : name;
}

function tags(rng: Rng): unknown {
  switch (rng.int(8)) {
    case 0:
      return { env: 'fuzz' };
    case 1:
      return Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`t${i}`, 'v']));
    case 2:
      return { ['k'.repeat(600)]: 'v', v: 'x'.repeat(300) };
    case 3:
      return { nested: { a: 1 }, number: 5, nil: null, list: ['a'] };
    case 4:
      return 'not-an-object';
    case 5:
      return { big: 'b'.repeat(rng.chance(0.2) ? 3 * MiB : 2_000) };
    case 6:
      return { '': 'empty-name', 'a/b': 'slash', 'é': 'ü' };
    default:
      return undefined;
  }
}

function armBody(rng: Rng, kind: string, principalIds: string[]): unknown {
  const location = rng.chance(0.7) ? 'westus' : rng.pick(LOCATIONS);
  switch (kind) {
    case 'vm':
      return {
        location,
        tags: tags(rng),
        identity: rng.pick([undefined, { type: 'SystemAssigned' }, { type: 'UserAssigned', userAssignedIdentities: { [`${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${rng.pick(ODD_NAMES)}`]: {} } }, { type: 'Bogus' }, 'SystemAssigned', { type: 'None', userAssignedIdentities: {} }]),
        properties: rng.pick([
          undefined,
          { hardwareProfile: { vmSize: 'Standard_B1s' }, storageProfile: { imageReference: { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: 'latest' } }, osProfile: { computerName: 'fuzz', adminUsername: 'azureuser' }, networkProfile: { networkInterfaces: [{ id: `${RG}/providers/Microsoft.Network/networkInterfaces/fuzz-nic` }] } },
          { hardwareProfile: 'big' },
          [],
        ]),
      };
    case 'assignment':
      return {
        properties: rng.pick([
          { roleDefinitionId: `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${BUILTIN_ROLE_IDS.Reader}`, principalId: rng.pick(principalIds), principalType: rng.pick(['ServicePrincipal', 'User', 'Group', 'Bogus', undefined]) },
          { roleDefinitionId: rng.pick(['', 'x', `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${randomUUID()}`, BUILTIN_ROLE_IDS.Reader]), principalId: rng.pick(['', 'x', randomUUID(), ...principalIds]) },
          { roleDefinitionId: 5, principalId: null },
          undefined,
        ]),
      };
    case 'roleDefinition':
      return { properties: { roleName: rng.pick(['Fuzz role', '', 'r'.repeat(600)]), permissions: rng.pick([[{ actions: ['*/read'] }], 'all', [{}], undefined]), assignableScopes: rng.pick([[SUB], [], ['/'], 'x', undefined]) } };
    default:
      return { location, tags: tags(rng), properties: rng.pick([undefined, {}, { isolationScope: 'Regional' }, 'x']) };
  }
}

const PLAIN_NAMES = ['fuzz', 'fuzz-2', 'Fuzz_3', 'a.b', 'fuzzvm'];
const API_VERSION_OF: Record<string, string> = { rg: '2022-09-01', identity: '2023-01-31', vm: '2024-07-01', assignment: '2022-04-01', roleDefinition: '2022-04-01' };

function armCase(rng: Rng, tokens: string[], principalIds: string[]): HttpCase {
  // A third of the calls are plausible (a plain name, the provider's api-version, a valid token
  // and body): they get past authentication and validation into the handlers' own code.
  const plausible = rng.chance(0.35);
  const name = plausible ? rng.pick(PLAIN_NAMES) : encodedName(rng);
  const guid = rng.pick([randomUUID(), randomUUID().toUpperCase(), 'not-a-guid', '', name]);
  const scope = rng.pick([SUB, RG, `${SUB}/resourceGroups/${name}`, `${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`, `${SUB}/resourceGroups/NoSuchRG%2Fx`, '', '/providers/Microsoft.Management/managementGroups/x', `${SUB}/resourceGroups/DevTest/providers/Microsoft.Compute/virtualMachines/labvm`]);
  const routes: [string, string][] = [
    ['rg', `${SUB}/resourceGroups/${name}`],
    ['identity', `${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`],
    ['identity', `${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities`],
    ['identity', `${SUB}/providers/Microsoft.ManagedIdentity/userAssignedIdentities`],
    ['vm', `${RG}/providers/Microsoft.Compute/virtualMachines/${rng.chance(0.5) ? 'labvm' : name}`],
    ['vm', `${RG}/providers/Microsoft.Compute/virtualMachines`],
    ['assignment', `${scope}/providers/Microsoft.Authorization/roleAssignments/${guid}`],
    ['assignment', `${scope}/providers/Microsoft.Authorization/roleAssignments`],
    ['roleDefinition', `${scope}/providers/Microsoft.Authorization/roleDefinitions/${guid}`],
    ['roleDefinition', `${scope}/providers/Microsoft.Authorization/roleDefinitions`],
    ['rg', `${SUB}/resourceGroups`],
    ['rg', `${SUB}/resources`],
    ['rg', `${SUB}`],
    ['rg', '/subscriptions'],
    ['rg', `/subscriptions/${rng.pick([randomUUID(), name, ''])}/resourceGroups`],
    ['rg', '/metadata/endpoints'],
    ['rg', `${SUB}/resourceGroups/DevTest/exportTemplate`],
    ['identity', `${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}/listAssociatedResources`],
    ['rg', `/${name}/${name}`],
    ['rg', `${SUB}/providers/Microsoft.Bogus/things/${name}`],
    ['rg', `//subscriptions/${SEED.subscriptionId}//resourceGroups//DevTest`],
  ];
  const [kind, route] = rng.pick(routes);
  let path = route;
  const method = plausible ? rng.pick(['GET', 'GET', 'PUT', 'PUT', 'PATCH', 'DELETE', 'POST']) : rng.pick(['GET', 'GET', 'GET', 'PUT', 'PUT', 'PATCH', 'DELETE', 'POST', 'HEAD', 'OPTIONS', 'TRACE', 'FOO']);
  // labvm keeps its IMDS (the fuzz sends to it): it and its resource group may be read and
  // changed, not deleted.
  if (method === 'DELETE' && /\/(DevTest|labvm)\/*$/i.test(path)) path = `${SUB}/resourceGroups/${name}`;
  const query = new URLSearchParams();
  if (plausible) query.append('api-version', API_VERSION_OF[kind] ?? '2022-09-01');
  else if (rng.chance(0.92)) query.append('api-version', rng.pick(API_VERSIONS));
  if (rng.chance(0.05)) query.append('api-version', rng.pick(API_VERSIONS));
  if (rng.chance(0.2)) query.append('$top', rng.pick(['1', '0', '-1', '1e-9', '1e9', 'NaN', 'abc', '', '99999999999999999999', '2.5']));
  if (rng.chance(0.15)) query.append('$skiptoken', rng.pick(['-3', '0', '5', 'abc', '', 'x'.repeat(2000), '%zz', '1e9']));
  if (rng.chance(0.15)) query.append('$filter', rng.pick(["atScope()", "principalId eq 'x'", "assignedTo('x')", "tagName eq 'a' and tagValue eq 'b'", "roleName eq 'Reader'", "'", '(((', 'x'.repeat(3000)]));
  if (rng.chance(0.05)) query.append('$expand', rng.pick(['instanceView', 'x', '']));
  const headers: Record<string, string> = {};
  const auth = rng.int(10);
  if (plausible || auth < 7) headers.authorization = `Bearer ${rng.pick(tokens)}`;
  else if (auth === 7) headers.authorization = rng.pick(['Bearer', 'Bearer ', 'Bearer a.b.c', 'Bearer eyJhbGciOiJub25lIn0.e30.', 'Basic Zm9vOmJhcg==', 'x'.repeat(3000), `Bearer ${'e'.repeat(12_000)}`]);
  let body: string | undefined;
  // A body on HEAD makes undici ask to close the connection, and then fail (EPIPE) when the
  // emulator answers a large one early and closes: that is the client's doing, so no HEAD body.
  if (['PUT', 'PATCH', 'POST'].includes(method) || (method !== 'HEAD' && rng.chance(0.05))) {
    const roll = plausible ? 0 : rng.next();
    if (roll < 0.6) body = JSON.stringify(armBody(rng, kind, principalIds));
    else if (roll < 0.9) body = rng.pick(MALFORMED_JSON);
    else if (roll < 0.94) body = `{"location":"westus","tags":{"pad":"${'p'.repeat(4 * MiB)}"}}`;
    else body = 'x=1&y=2';
    headers['content-type'] = rng.chance(0.8) ? 'application/json' : rng.pick(CONTENT_TYPES);
  }
  if (rng.chance(0.03)) headers['x-big'] = 'h'.repeat(rng.pick([8_000, 15_000, 20_000]));
  if (rng.chance(0.05)) headers['x-ms-client-request-id'] = rng.pick([randomUUID(), '{bad}', 'x'.repeat(1000)]);
  const q = query.toString();
  return { kind: 'http', plane: 'arm', method, path: `${path}${q ? `?${q}` : ''}`, headers, body };
}

function entraCase(rng: Rng, connection: EmulatorConnection): HttpCase {
  const tenant = rng.pick([connection.tenantId, connection.tenantId, 'common', 'organizations', randomUUID(), encodeURIComponent('日本'), 't'.repeat(600), '%2F', '..', '']);
  const route = rng.pick(['oauth2/v2.0/token', 'oauth2/v2.0/token', 'oauth2/token', 'v2.0/.well-known/openid-configuration', '.well-known/openid-configuration', 'discovery/v2.0/keys', 'discovery/keys', 'discovery/instance?api-version=1.1&authorization_endpoint=x', 'oauth2/v2.0/authorize', 'oauth2/v2.0/devicecode']);
  const principal = connection.principals[rng.pick(['learner', 'grader', 'instructor'] as const)];
  const form = new URLSearchParams();
  const field = (name: string, values: string[]) => {
    if (rng.chance(0.85)) form.append(name, rng.pick(values));
    if (rng.chance(0.04)) form.append(name, rng.pick(values));
  };
  field('grant_type', ['client_credentials', 'client_credentials', 'password', 'authorization_code', '', 'x'.repeat(500)]);
  field('client_id', [principal.clientId, principal.clientId, randomUUID(), '', '%zz', 'not-a-guid']);
  field('client_secret', [principal.clientSecret, principal.clientSecret, 'wrong', '', 's'.repeat(100_000)]);
  field('scope', ['https://management.azure.com/.default', 'https://management.core.windows.net//.default', 'https://graph.microsoft.com/.default', 'openid', '', 'a b c', 'https://management.azure.com/.default openid']);
  if (rng.chance(0.3)) field('resource', ['https://management.azure.com/', 'https://management.core.windows.net/', 'x', '']);
  if (rng.chance(0.05)) form.append('client_assertion', 'a'.repeat(rng.pick([100, 50_000])));
  let body: string | undefined = form.toString();
  const roll = rng.next();
  if (roll < 0.08) body = rng.pick(['%%%&&==', '&&&', '=', 'grant_type', '\u0000', '%E0%A4%A', JSON.stringify({ grant_type: 'client_credentials' })]);
  else if (roll < 0.1) body = `grant_type=client_credentials&pad=${'p'.repeat(MiB + 10)}`;
  const headers: Record<string, string> = { 'content-type': rng.chance(0.85) ? 'application/x-www-form-urlencoded' : rng.pick(CONTENT_TYPES) };
  if (rng.chance(0.15)) {
    headers.authorization = rng.pick([
      `Basic ${Buffer.from(`${principal.clientId}:${principal.clientSecret}`).toString('base64')}`,
      `Basic ${Buffer.from('%zz:%zz').toString('base64')}`,
      `Basic ${Buffer.from('no-colon').toString('base64')}`,
      'Basic %%%',
      'Basic',
      `Basic ${Buffer.from('\u0000:\uffff').toString('base64')}`,
      'Bearer x',
    ]);
    if (rng.chance(0.5)) {
      form.delete('client_id');
      form.delete('client_secret');
      body = form.toString();
    }
  }
  const method = rng.pick(['POST', 'POST', 'GET', 'PUT', 'DELETE', 'HEAD']);
  return { kind: 'http', plane: 'entra', method, path: `/${tenant}/${route}`, headers, body: method === 'GET' || method === 'HEAD' ? undefined : body };
}

function imdsCase(rng: Rng, connection: EmulatorConnection): HttpCase {
  const path = rng.pick(['/metadata/identity/oauth2/token', '/metadata/identity/oauth2/token', '/metadata/instance', '/metadata/instance/compute', '/metadata/versions', '/metadata/identity/info', '//metadata/identity/oauth2/token', '/metadata/identity/oauth2/token/', '/METADATA/IDENTITY/OAUTH2/TOKEN', '/metadata/%2e%2e/instance', '/', '/x'.repeat(500)]);
  const query = new URLSearchParams();
  const param = (name: string, values: string[], p: number) => {
    if (rng.chance(p)) query.append(rng.chance(0.1) ? name.toUpperCase() : name, rng.pick(values));
    if (rng.chance(0.05)) query.append(name, rng.pick(values));
  };
  param('api-version', ['2018-02-01', '2019-08-01', '2021-02-01', '2999-01-01', '2999-12-31', 'x', '', '2018-02-01\nforged'], 0.9);
  param('resource', ['https://management.azure.com/', 'https://management.azure.com', 'https://graph.microsoft.com', 'https://vault.azure.net', 'x', '', 'r'.repeat(5000)], 0.8);
  param('client_id', [randomUUID(), 'x', ''], 0.1);
  param('object_id', [randomUUID(), 'x'], 0.05);
  param('msi_res_id', [`${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/fuzz`, 'x', ''], 0.05);
  const headers: Record<string, string> = {};
  if (rng.chance(0.8)) headers.Metadata = rng.pick(['true', 'true', 'TRUE', 'false', '', 'yes']);
  if (rng.chance(0.1)) headers['X-Forwarded-For'] = rng.pick(['10.0.0.1', '', '1.1.1.1, 2.2.2.2']);
  if (rng.chance(0.03)) headers['x-big'] = 'h'.repeat(20_000);
  const method = rng.chance(0.9) ? 'GET' : rng.pick(['POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS']);
  const body = method === 'POST' && rng.chance(0.5) ? rng.pick(['{', 'x'.repeat(rng.chance(0.2) ? 5 * MiB : 100)]) : undefined;
  void connection;
  const q = query.toString();
  return { kind: 'http', plane: 'imds', method, path: `${path}${q ? `?${q}` : ''}`, headers, body };
}

const RAW_REQUESTS = [
  'GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET https://127.0.0.1:8443/ HTTP/1.1\r\nHost: x\r\n\r\n',
  `GET https://127.0.0.1:8443${SUB}/resourceGroups?api-version=2022-09-01 HTTP/1.1\r\nHost: x\r\n\r\n`,
  'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n',
  'CONNECT host:443 HTTP/1.1\r\nHost: host:443\r\n\r\n',
  'GET x HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET /a b HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET / HTTP/9.9\r\nHost: x\r\n\r\n',
  'GARBAGE\r\n\r\n',
  'GET /\u0000 HTTP/1.1\r\nHost: x\r\n\r\n',
  'get / HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET / HTTP/1.0\r\n\r\n',
  'GET / HTTP/1.1\r\n\r\n',
  'GET /metadata/instance?api-version=2021-02-01 HTTP/1.1\nHost: x\nMetadata: true\n\n',
  'GET / HTTP/1.1\r\nHost: x\r\nX-A: \u0001\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
  'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n',
  'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
  `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
  'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/ HTTP/1.1\r\nHost: x\r\nMetadata: true\r\nMetadata: true\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n0123456789',
  `PUT ${SUB}/resourceGroups/big?api-version=2022-09-01 HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: ${50 * MiB}\r\n\r\n`,
];
const RAW_ABORTS = [
  `PUT ${SUB}/resourceGroups/abort?api-version=2022-09-01 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"location":`,
  `POST /${SEED.tenantId}/oauth2/v2.0/token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\ngrant`,
  'GET / HTTP/1.1\r\nHost: x\r\n',
  'GE',
];

function rawCase(rng: Rng): RawCase {
  const plane = rng.chance(0.7) ? 'https' : 'imds';
  if (rng.chance(0.2)) return { kind: 'raw', plane, text: rng.pick(RAW_ABORTS), abort: true };
  return { kind: 'raw', plane, text: rng.pick(RAW_REQUESTS) };
}

function describeCase(c: Case): string {
  // A failure names the case, never a token (not even its header: the start of one).
  const cut = (s: string) => {
    const shown = s.replace(/eyJ[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]*){0,2}/g, '[a token]');
    return JSON.stringify(shown.length > 160 ? `${shown.slice(0, 160)}…(${shown.length})` : shown);
  };
  if (c.kind === 'raw') return `raw ${c.plane}${c.abort ? ' (abort)' : ''}: ${cut(c.text)}`;
  return `${c.plane} ${c.method} ${cut(c.path)} headers=${cut(JSON.stringify(c.headers))} body=${c.body === undefined ? '-' : cut(c.body)}`;
}

/** Whether `pid` runs (a zombie, exited but not yet reaped, does not). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

describe('fuzz: the emulator process', () => {
  let dir: string;
  let connection: EmulatorConnection;
  let ca: string;
  let https: Agent;
  let plain: Agent;

  beforeAll(async () => {
    dir = tempStateDir();
    connection = await startDetached({ stateDir: dir, port: 0 });
    ca = readFileSync(connection.caFile, 'utf8');
    https = new Agent({ connect: { ca }, keepAliveTimeout: 1_000 });
    plain = new Agent({ keepAliveTimeout: 1_000 });
  });
  afterAll(async () => {
    await stopEmulator(dir);
    await https.close();
    await plain.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function token(name: 'learner' | 'grader' | 'instructor'): Promise<string> {
    const principal = connection.principals[name];
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: principal.clientId, client_secret: principal.clientSecret, scope: 'https://management.azure.com/.default' });
    const response = await request(`${connection.url}/${connection.tenantId}/oauth2/v2.0/token`, { method: 'POST', body: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' }, dispatcher: https });
    return ((await response.body.json()) as { access_token: string }).access_token;
  }

  it(`${CASES} seeded requests: no exit, no 5xx, none slower than ${SLOW_MS / 1000} s, RSS growth under ${RSS_GROWTH_LIMIT_MB} MB`, { timeout: 180_000 }, async () => {
    const rng = new Rng(SEED_VALUE);
    const tokens = [await token('learner'), await token('learner'), await token('grader'), await token('instructor')];
    const principalIds = Object.values(connection.principals).map((p) => p.objectId);
    const imdsUrl = Object.values(connection.vms ?? {})[0]?.imdsUrl;
    expect(imdsUrl).toBeDefined();
    const imdsPort = Number(new URL(imdsUrl ?? '').port);
    const httpsPort = Number(new URL(connection.url).port);

    const cases: Case[] = Array.from({ length: CASES }, () => {
      const roll = rng.next();
      if (roll < 0.55) return armCase(rng, tokens, principalIds);
      if (roll < 0.72) return entraCase(rng, connection);
      if (roll < 0.9) return imdsCase(rng, connection);
      return rawCase(rng);
    });

    const failures: string[] = [];
    const slow: string[] = [];
    const statuses = new Map<number, number>();
    let refusedByClient = 0;
    let rssStart = 0;
    let exitedAt: string | undefined;

    const run = async (c: Case): Promise<void> => {
      const started = Date.now();
      let status: number | undefined;
      try {
        if (c.kind === 'raw') {
          const target = c.plane === 'https' ? { port: httpsPort, ca } : { port: imdsPort };
          if (c.abort) {
            await rawExchange(target, (socket) => {
              socket.write(c.text);
              setTimeout(() => socket.destroy(), 20);
            }, 2_000).catch(() => undefined);
            return;
          }
          status = (await rawExchange(target, (socket) => void socket.write(c.text), 10_000)).status;
        } else {
          const base = c.plane === 'imds' ? (imdsUrl ?? '') : connection.url;
          let response;
          const send = () => request(`${base}${c.path}`, { method: c.method as 'GET', headers: c.headers, body: c.body, dispatcher: c.plane === 'imds' ? plain : https, headersTimeout: 10_000, bodyTimeout: 10_000 });
          try {
            try {
              response = await send();
            } catch (error) {
              // A kept-alive connection the server closed (its 5 s keep-alive) just as this request
              // went out on it: HTTP's own race, which a loaded machine hits when the client's 1 s
              // idle timer fires late; the request never reached the emulator, so send it again.
              if ((error as { code?: string }).code !== 'UND_ERR_SOCKET') throw error;
              response = await send();
            }
          } catch (error) {
            const code = (error as { code?: string }).code ?? '';
            // undici refuses some requests itself (a path with raw unicode, a header it cannot send).
            if (code === 'UND_ERR_INVALID_ARG' || code === 'UND_ERR_NOT_SUPPORTED' || error instanceof TypeError) {
              refusedByClient += 1;
              return;
            }
            throw error;
          }
          status = response.statusCode;
          const text = await response.body.text();
          if (status >= 500) failures.push(`${status} ${describeCase(c)} → ${text.slice(0, 300)}`);
        }
      } catch (error) {
        failures.push(`no answer (${(error as Error).message}) ${describeCase(c)}`);
      }
      const took = Date.now() - started;
      if (took > SLOW_MS) slow.push(`${took} ms ${describeCase(c)}`);
      if (status !== undefined) {
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (c.kind === 'raw' && status >= 500) failures.push(`${status} ${describeCase(c)}`);
      }
    };

    let next = 0;
    const worker = async () => {
      while (next < cases.length && !exitedAt) {
        const index = next++;
        const c = cases[index] as Case;
        await run(c);
        if (index === 100) rssStart = rssMb(connection.pid);
        if (index % 100 === 0 && !running(connection.pid)) exitedAt = `after case ${index}: ${describeCase(c)}`;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    const alive = running(connection.pid);
    const rssEnd = alive ? rssMb(connection.pid) : 0;
    const summary = `statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}, refused by undici ${refusedByClient}, RSS ${rssStart.toFixed(0)} → ${rssEnd.toFixed(0)} MB`;
    const log = existsSync(join(dir, PROCESS_LOG_FILE)) ? readFileSync(join(dir, PROCESS_LOG_FILE), 'utf8') : '';
    const logLines = log.split('\n').filter(Boolean);
    console.log(`fuzz (seed ${SEED_VALUE}): ${summary}, ${logLines.length} log lines`);
    expect(exitedAt ?? (alive ? undefined : 'at the end'), `the emulator exited; log tail:\n${log.slice(-3000)}`).toBeUndefined();
    expect(failures, `${summary}\nlog tail:\n${log.slice(-3000)}`).toEqual([]);
    expect(slow, summary).toEqual([]);
    expect(rssEnd - rssStart, summary).toBeLessThan(RSS_GROWTH_LIMIT_MB);
    // Failures nothing caught are logged, not fatal: they must not have happened either.
    expect(logLines.filter((line) => /unhandled rejection|uncaught exception/.test(line))).toEqual([]);
    // Every line one line (no forged ones), and warnings once each: the log stays short.
    expect(logLines.every((line) => line.startsWith('[milab emulator] ')), log.slice(-3000)).toBe(true);
    expect(logLines.length, log.slice(-3000)).toBeLessThan(LOG_LINES_LIMIT);

    // And it still serves a normal call.
    const after = await request(`${connection.url}${SUB}/resourceGroups?api-version=2022-09-01`, { headers: { authorization: `Bearer ${tokens[0]}` }, dispatcher: https });
    expect(after.statusCode).toBe(200);
    await after.body.text();
  });
});
