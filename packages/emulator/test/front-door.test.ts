// The emulator's front door, over raw sockets: request-targets that are not paths, requests
// Node cannot parse, CONNECT, bodies over the limit (answered at once, while the client is still
// sending), a malformed `Authorization: Basic`, an unexpected failure inside a handler, and log
// lines no client can forge. After each, a normal call still works.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../src/config.js';
import { isProcessAlive } from '../src/connection.js';
import { errors } from '../src/errors.js';
import { imdsErrors } from '../src/imds/errors.js';
import { PROCESS_LOG_FILE, startDetached, stopEmulator } from '../src/launcher.js';
import { hasBody } from '../src/http.js';
import { escapeControl, logValue, WarnOnce } from '../src/log.js';
import { SEED } from '../src/world.js';
import { startTestEmulator, tempStateDir, type TestEmulator } from './helpers.js';
import { imdsGet, imdsOf, tokenQuery } from './imds-helpers.js';
import { rawExchange, rawRequest, type RawTarget } from './raw-http.js';

const SUB = `/subscriptions/${SEED.subscriptionId}`;
const MiB = 1024 * 1024;

describe('the front door', () => {
  let emu: TestEmulator;
  let https: RawTarget;
  let imds: RawTarget;
  let imdsUrl: string;
  let learner: string;

  beforeAll(async () => {
    emu = await startTestEmulator();
    https = { port: Number(new URL(emu.url).port), ca: emu.caPem };
    imdsUrl = await imdsOf(emu);
    imds = { port: Number(new URL(imdsUrl).port) };
    learner = await emu.token('learner');
  });
  afterAll(async () => {
    await emu.stop();
  });

  /** A normal ARM call, to show the emulator still serves. */
  async function stillServes(): Promise<void> {
    const answer = await emu.http('GET', `${SUB}/resourceGroups?api-version=2022-09-01`, { token: learner });
    expect(answer.status).toBe(200);
  }

  it.each(['http://x/', 'https://127.0.0.1:8443/', `https://127.0.0.1:8443${SUB}?api-version=2022-12-01`, '*'])(
    "ARM: the request-target '%s' is not a path: 400 in ARM's shape",
    async (target) => {
      const method = target === '*' ? 'OPTIONS' : 'GET';
      const answer = await rawRequest(https, `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close`);
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual(errors.badRequestTarget(target).body());
      await stillServes();
    },
  );

  it("Entra: an absolute-form target naming a token endpoint gets 400 in Entra's shape", async () => {
    const target = `https://127.0.0.1:8443/${SEED.tenantId}/oauth2/v2.0/token`;
    const answer = await rawRequest(https, `POST ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close`);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 'invalid_request', error_codes: [9002313] });
    expect(answer.body.error_description).toContain(`The request-target '${target}' is not a path.`);
    await stillServes();
  });

  it('CONNECT (authority-form) gets 400 instead of a closed connection', async () => {
    const answer = await rawRequest(https, 'CONNECT host:443 HTTP/1.1\r\nHost: host:443');
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual(errors.badRequestTarget('host:443').body());
    await stillServes();
  });

  it.each([
    ['a space in the target', 'GET /a b HTTP/1.1\r\nHost: x', 400],
    ['a target without a leading slash', 'GET subscriptions HTTP/1.1\r\nHost: x', 400],
    ['a header without a colon', 'GET / HTTP/1.1\r\nHost x', 400],
    ['headers over 16 KB', `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}`, 431],
  ])("a request Node cannot parse (%s) gets %#: a JSON answer in ARM's shape", async (_name, head, status) => {
    const answer = await rawRequest(https, head);
    expect(answer.status).toBe(status);
    expect(answer.body.error.code).toBe(errors.malformedHttpRequest(status, '').code);
    await stillServes();
  });

  it('a request Node cannot parse is answered even while its client is still sending a large body', async () => {
    // An unknown method is refused by Node's parser; the 4 MB behind it must not reset the answer.
    const dispatcher = new Agent({ connect: { ca: emu.caPem } });
    try {
      const answer = await request(`${emu.url}${SUB}/resourceGroups?api-version=2022-09-01`, { method: 'FOO', body: 'p'.repeat(4 * MiB), dispatcher });
      expect(answer.statusCode).toBe(400);
      expect(((await answer.body.json()) as { error: { code: string } }).error.code).toBe('BadRequest');
    } finally {
      await dispatcher.close();
    }
    await stillServes();
  });

  it('HEAD carries the Content-Length GET would have, so the connection is kept', async () => {
    // Unauthenticated: the same 401 body either way.
    const path = `${SUB}/resourceGroups?api-version=2022-09-01`;
    const get = await emu.http('GET', path);
    const head = await emu.http('HEAD', path);
    expect(head.status).toBe(401);
    expect(Number(head.headers['content-length'])).toBeGreaterThan(0);
    expect(head.headers['content-length']).toBe(get.headers['content-length']);
    expect(head.body).toBeUndefined();
  });

  it.each(['http://x/metadata/instance', '*'])("IMDS: the request-target '%s' is not a path: 400 in IMDS's shape", async (target) => {
    const method = target === '*' ? 'OPTIONS' : 'GET';
    const answer = await rawRequest(imds, `${method} ${target} HTTP/1.1\r\nHost: 169.254.169.254\r\nMetadata: true\r\nConnection: close`);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual(imdsErrors.badRequestTarget(target).body());
    expect((await imdsGet(imdsUrl, '/metadata/instance?api-version=2021-02-01')).status).toBe(200);
  });

  it('IMDS: a target starting with a backslash is a path, not a host', async () => {
    const answer = await rawRequest(imds, 'GET /\\evil.example/metadata/instance?api-version=2021-02-01 HTTP/1.1\r\nHost: 169.254.169.254\r\nMetadata: true\r\nConnection: close');
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual(imdsErrors.notFound().body());
  });

  it("IMDS: CONNECT and an unparseable request get 400 in IMDS's shape", async () => {
    expect((await rawRequest(imds, 'CONNECT host:443 HTTP/1.1\r\nHost: host:443')).body).toEqual(imdsErrors.badRequestTarget('host:443').body());
    const garbage = await rawRequest(imds, 'GET /a b HTTP/1.1\r\nHost: x');
    expect(garbage.status).toBe(400);
    expect(garbage.body.error).toMatch(/^Bad request\. The request could not be parsed as HTTP\/1\.1/);
    expect((await imdsGet(imdsUrl, '/metadata/instance?api-version=2021-02-01')).status).toBe(200);
  });

  it('a body declared over 4 MiB is refused with 413 RequestContentTooLarge before it is sent', async () => {
    const answer = await rawExchange(https, (socket) => {
      // 50 MB declared, 1 MB sent, then the client waits: the answer must come anyway.
      socket.write(`PUT ${SUB}/resourceGroups/big?api-version=2022-09-01 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${learner}\r\nContent-Type: application/json\r\nContent-Length: ${50 * MiB}\r\n\r\n`);
      socket.write(Buffer.alloc(MiB, 0x20));
    });
    expect(answer.status).toBe(413);
    expect(answer.body).toEqual(errors.requestContentTooLarge().body());
    await stillServes();
  });

  it('Expect: 100-continue with a body declared over 4 MiB gets 413 instead of the go-ahead', async () => {
    const answer = await rawRequest(https, `PUT ${SUB}/resourceGroups/big?api-version=2022-09-01 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${learner}\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: ${50 * MiB}`);
    expect(answer.status).toBe(413);
    expect(answer.body).toEqual(errors.requestContentTooLarge().body());
    // Under the limit, the go-ahead comes first.
    const small = await rawRequest(https, `PUT ${SUB}/resourceGroups/small?api-version=2022-09-01 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${learner}\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 2`);
    expect(small.status).toBe(100);
    await stillServes();
  });

  it('a chunked body is read only up to 4 MiB, then answered 413 while the client still sends', async () => {
    const answer = await rawExchange(https, (socket) => {
      socket.write(`PUT ${SUB}/resourceGroups/big?api-version=2022-09-01 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${learner}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`);
      const chunk = Buffer.alloc(MiB, 0x20);
      // 5 MiB in chunks, and no final chunk: the body never ends.
      for (let i = 0; i < 5; i++) socket.write(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]));
    });
    expect(answer.status).toBe(413);
    expect(answer.body).toEqual(errors.requestContentTooLarge().body());
    await stillServes();
  });

  it('only a request framed with a body is read: Content-Length over 0 or Transfer-Encoding (RFC 9112 §6.3)', () => {
    const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
    expect(hasBody(req({}))).toBe(false);
    expect(hasBody(req({ 'content-length': '0' }))).toBe(false);
    expect(hasBody(req({ 'content-length': '2' }))).toBe(true);
    expect(hasBody(req({ 'transfer-encoding': 'chunked' }))).toBe(true);
  });

  it('a body just under 4 MiB is read whole (and answered by the handler, not the limit)', async () => {
    const body = JSON.stringify({ location: 'westus', properties: {}, padding: ' '.repeat(4 * MiB - 200) });
    expect(Buffer.byteLength(body)).toBeLessThan(4 * MiB);
    const answer = await emu.http('PUT', `${SUB}/resourceGroups/padded?api-version=2022-09-01`, { token: learner, body });
    expect(answer.status).not.toBe(413);
    expect(answer.status).toBeLessThan(500);
  });

  it("an Entra form body over 1 MiB gets 413 in Entra's shape", async () => {
    const form = `grant_type=client_credentials&client_id=x&client_secret=${'a'.repeat(MiB)}`;
    const answer = await emu.http('POST', `/${SEED.tenantId}/oauth2/v2.0/token`, { body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(answer.status).toBe(413);
    expect(answer.body).toMatchObject({ error: 'invalid_request', error_codes: [9002313] });
    await stillServes();
  });

  describe('client_secret_basic', () => {
    const tokenPath = `/${SEED.tenantId}/oauth2/v2.0/token`;
    const form = `grant_type=client_credentials&scope=${encodeURIComponent('https://management.azure.com/.default')}`;
    const basic = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;
    const post = (authorization: string) =>
      emu.http('POST', tokenPath, { body: form, headers: { 'content-type': 'application/x-www-form-urlencoded', authorization } });

    it('works with a well-formed header', async () => {
      const { clientId, clientSecret } = emu.connection.principals.learner;
      const answer = await post(basic(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`));
      expect(answer.status).toBe(200);
      expect(answer.body.access_token).toEqual(expect.any(String));
    });

    it('a client id that does not percent-decode is an unknown client (400), not a URIError (500)', async () => {
      const answer = await post(basic('%zz:secret'));
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ error: 'unauthorized_client', error_codes: [700016] });
    });

    it('a secret that does not percent-decode is a wrong secret (401)', async () => {
      const answer = await post(basic(`${emu.connection.principals.learner.clientId}:%E0%A4%A`));
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ error: 'invalid_client', error_codes: [7000215] });
    });

    it.each(['Basic %%%', `Basic ${Buffer.from('no-colon').toString('base64')}`])("a malformed header ('%s') gets 400 invalid_request", async (header) => {
      const answer = await post(header);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ error: 'invalid_request', error_codes: [9002313] });
    });
  });

  it('an unexpected failure inside a handler answers 500 InternalServerError, logs the stack on one line, and the emulator goes on', async () => {
    // A fault injected where no handler expects one: the store fails to write.
    const failing = vi.spyOn(emu.emulator.store, 'mutate').mockImplementation(() => {
      throw new Error('injected: the disk is full\nforged line');
    });
    try {
      const answer = await emu.http('PUT', `${SUB}/resourceGroups/blocked?api-version=2022-09-01`, { token: learner, body: { location: 'westus' } });
      expect(answer.status).toBe(500);
      expect(answer.body).toEqual(errors.internalServerError().body());
    } finally {
      failing.mockRestore();
    }
    const logged = emu.warnings.filter((line) => line.startsWith('error: PUT'));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain('Error: injected: the disk is full\\nforged line\\n    at ');
    expect(logged[0]).not.toMatch(/\n/);
    await stillServes();
  });

  it('an api-version holding a newline is logged escaped, on one line, and once', async () => {
    const before = emu.warnings.length;
    const forged = 'x\r\n[milab emulator] serving Entra and ARM at https://evil';
    for (let i = 0; i < 3; i++) {
      const answer = await emu.http('GET', `${SUB}/resourceGroups?api-version=${encodeURIComponent(forged)}`, { token: learner });
      expect(answer.status).toBe(200);
    }
    const added = emu.warnings.slice(before);
    expect(added).toHaveLength(1);
    expect(added[0]).toContain(`'x\\r\\n[milab emulator] serving`);
    expect(added.join('')).not.toMatch(/[\r\n]/);
  });

  it('IMDS warns about a future api-version once for the whole plane, not on every request', async () => {
    const before = emu.warnings.length;
    for (let i = 0; i < 3; i++) expect((await imdsGet(imdsUrl, tokenQuery({ 'api-version': '2999-01-01' }))).status).toBeLessThan(500);
    const added = emu.warnings.slice(before).filter((line) => line.includes('2999-01-01'));
    expect(added).toHaveLength(1);
  });
});

describe('the emulator process', () => {
  it('logs an unhandled rejection and an uncaught exception, with their stacks, and goes on serving', { timeout: 60_000 }, async () => {
    const dir = tempStateDir();
    // Loaded before bin.ts: once bin.ts listens for them, fail a promise and throw in a timer.
    const preload = `const t=setInterval(()=>{if(process.listenerCount('unhandledRejection')>0){clearInterval(t);Promise.reject(new Error('rejected\\nforged'));setTimeout(()=>{throw new Error('thrown')},10)}},20)`;
    try {
      const connection = await startDetached({ stateDir: dir, port: 0, env: { ...process.env, NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(preload)}` } });
      const logFile = join(dir, PROCESS_LOG_FILE);
      const logged = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
      for (let waited = 0; !/uncaught exception/.test(logged()) && waited < 20_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      const log = logged();
      expect(log).toMatch(/^\[milab emulator\] error: unhandled rejection \(the emulator goes on\): Error: rejected\\nforged\\n {4}at /m);
      expect(log).toMatch(/^\[milab emulator\] error: uncaught exception \(the emulator goes on\): Error: thrown\\n {4}at /m);
      expect(log).not.toMatch(/^forged/m);
      expect(isProcessAlive(connection.pid)).toBe(true);
      const dispatcher = new Agent({ connect: { ca: readFileSync(connection.caFile, 'utf8') } });
      const answer = await request(`${connection.url}/metadata/endpoints?api-version=2022-09-01`, { dispatcher });
      expect(answer.statusCode).toBe(200);
      await answer.body.text();
      await dispatcher.close();
    } finally {
      await stopEmulator(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('log values', () => {
  it('escapes every control character and cuts long values', () => {
    expect(escapeControl('a\nb\rc\td\u0000e\u001bf\u007fg\u0085h\u2028i')).toBe('a\\nb\\rc\\td\\u0000e\\u001bf\\u007fg\\u0085h\\u2028i');
    expect(escapeControl('plain: é ✓ 日本')).toBe('plain: é ✓ 日本');
    const long = logValue('v'.repeat(5000));
    expect(long.length).toBeLessThan(300);
    expect(long).toMatch(/… \(4800 more characters\)$/);
  });

  it("the configuration's log escapes every line, whatever its sink", () => {
    const lines: string[] = [];
    parseConfig({ log: (line) => lines.push(line) }).log('error: GET /x\n[milab emulator] forged');
    expect(lines).toEqual(['error: GET /x\\n[milab emulator] forged']);
  });

  it('WarnOnce warns once per key and stops after its limit with one last line', () => {
    const lines: string[] = [];
    const once = new WarnOnce((line) => lines.push(line), 3);
    for (const key of ['a', 'A', 'b', 'a', 'c', 'd', 'e']) once.warn(key, () => `warning ${key}`);
    expect(lines).toEqual(['warning a', 'warning b', 'warning c', expect.stringMatching(/^warning: 3 different unknown values were warned about/)]);
  });
});
