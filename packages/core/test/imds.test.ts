import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EnvHttpProxyAgent, getGlobalDispatcher, request, setGlobalDispatcher } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import {
  IMDS_API_VERSION,
  IMDS_DEFAULT_ENDPOINT,
  ImdsClient,
  ImdsError,
  ImdsRequestError,
  ImdsUnreachableError,
  resolveImdsEndpoint,
  type ImdsClientOptions,
} from '../src/index.js';
import { deadPort, makeJwt, send, startFakeImds, tokenBody, type FakeImds } from './support/fake-imds.js';

const ARM = 'https://management.azure.com/';
const nowSeconds = () => Math.floor(Date.now() / 1000);

let imds: FakeImds | undefined;
const clients: ImdsClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await imds?.close();
  imds = undefined;
});

/** A client whose waits are recorded and skipped; `random` 0 makes backoff exact. */
function client(endpoint: string, options: ImdsClientOptions = {}) {
  const waits: number[] = [];
  let clock = 1_000_000;
  const c = new ImdsClient({
    endpoint,
    now: () => clock,
    retry: {
      random: () => 0,
      now: () => clock,
      sleep: async (ms) => {
        waits.push(ms);
        clock += ms;
      },
    },
    ...options,
  });
  clients.push(c);
  return { client: c, waits, advance: (ms: number) => (clock += ms) };
}

describe('ImdsClient requests', () => {
  it('sends Metadata: true, the api-version, the resource and one selector', async () => {
    const token = makeJwt({ aud: ARM });
    imds = await startFakeImds((_req, _n, res) => send(res, 200, tokenBody(token, nowSeconds() + 3600)));
    const { client: c } = client(imds.url);
    const result = await c.getToken({ resource: ARM, clientId: 'cid-1' });

    expect(imds.requests).toHaveLength(1);
    const [seen] = imds.requests;
    expect(seen?.method).toBe('GET');
    expect(seen?.headers.metadata).toBe('true');
    expect(seen?.headers['x-forwarded-for']).toBeUndefined();
    expect(seen?.url.pathname).toBe('/metadata/identity/oauth2/token');
    expect(seen?.url.searchParams.get('api-version')).toBe(IMDS_API_VERSION);
    expect(seen?.url.searchParams.get('resource')).toBe(ARM);
    expect(seen?.url.searchParams.get('client_id')).toBe('cid-1');
    expect(seen?.url.searchParams.has('object_id')).toBe(false);
    expect(result.accessToken).toBe(token);
    expect(result.clientId).toBe('11111111-2222-3333-4444-555555555555');
    expect(result.expiresOn).toBeInstanceOf(Date);
  });

  it.each([
    ['objectId', 'object_id'],
    ['msiResId', 'msi_res_id'],
  ] as const)('maps %s to the %s parameter', async (field, param) => {
    imds = await startFakeImds((_req, _n, res) => send(res, 200, tokenBody(makeJwt({}), nowSeconds() + 3600)));
    const { client: c } = client(imds.url);
    await c.getToken({ resource: ARM, [field]: 'the-id' });
    expect(imds.requests[0]?.url.searchParams.get(param)).toBe('the-id');
  });

  it('asks for a resource when given a scope ending in /.default', async () => {
    imds = await startFakeImds((_req, _n, res) => send(res, 200, tokenBody(makeJwt({}), nowSeconds() + 3600)));
    const { client: c } = client(imds.url);
    await c.getToken({ resource: 'https://management.azure.com/.default' });
    expect(imds.requests[0]?.url.searchParams.get('resource')).toBe(ARM);
  });

  it('never exposes the token when the result is logged or serialised', async () => {
    const token = makeJwt({ aud: ARM });
    imds = await startFakeImds((_req, _n, res) => send(res, 200, tokenBody(token, nowSeconds() + 3600)));
    const { client: c } = client(imds.url);
    const result = await c.getToken({ resource: ARM });
    expect(JSON.stringify(result)).not.toContain(token);
    expect(Object.keys(result)).not.toContain('accessToken');
    expect(result.accessToken).toBe(token);
  });

  it('fails with no request when two selectors are given', async () => {
    imds = await startFakeImds((_req, _n, res) => send(res, 200, tokenBody(makeJwt({}), nowSeconds() + 3600)));
    const { client: c } = client(imds.url);
    const error = await c.getToken({ resource: ARM, clientId: 'a', objectId: 'b' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImdsRequestError);
    expect((error as ImdsRequestError).given).toEqual(['clientId', 'objectId']);
    expect((error as ImdsRequestError).message).toMatch(/client id and object id/);
    await expect(c.getToken({ resource: ARM, clientId: 'a', msiResId: 'c' })).rejects.toBeInstanceOf(ImdsRequestError);
    await expect(c.getToken({ resource: ARM, clientId: ' ' })).rejects.toThrow(/client id is empty/);
    await expect(c.getToken({ resource: '' })).rejects.toThrow(/No resource/);
    expect(imds.requests).toHaveLength(0);
  });
});

describe('ImdsClient retries', () => {
  it('succeeds after 503, 503, 200 with exactly three requests and backoff of at least 1 s', async () => {
    imds = await startFakeImds((_req, n, res) =>
      n < 3 ? send(res, 503, { error: 'service_unavailable', error_description: 'busy' }) : send(res, 200, tokenBody(makeJwt({}), nowSeconds() + 3600)),
    );
    const { client: c, waits } = client(imds.url);
    await c.getToken({ resource: ARM });
    expect(imds.requests).toHaveLength(3);
    expect(waits).toEqual([1000, 2000]);
  });

  it('honours Retry-After on 429 (Retry-After: 2 gives a 2000 ms wait)', async () => {
    imds = await startFakeImds((_req, n, res) =>
      n === 1
        ? send(res, 429, { error: 'too_many_requests', error_description: 'slow down' }, { 'retry-after': '2' })
        : send(res, 200, tokenBody(makeJwt({}), nowSeconds() + 3600)),
    );
    const { client: c, waits } = client(imds.url);
    await c.getToken({ resource: ARM });
    expect(imds.requests).toHaveLength(2);
    expect(waits).toEqual([2000]);
  });

  it('adds jitter on top of the backoff, never below it', async () => {
    imds = await startFakeImds((_req, n, res) =>
      n < 3 ? send(res, 500, { error: 'server_error' }) : send(res, 200, tokenBody(makeJwt({}), nowSeconds() + 3600)),
    );
    const waits: number[] = [];
    const jittery = new ImdsClient({
      endpoint: imds.url,
      retry: { random: () => 0.5, sleep: async (ms) => void waits.push(ms) },
    });
    clients.push(jittery);
    await jittery.getToken({ resource: ARM });
    expect(waits).toEqual([1100, 2200]);
  });

  it('retries 404 and 410 too', async () => {
    imds = await startFakeImds((_req, n, res) =>
      n === 1 ? send(res, 404, 'Not found') : n === 2 ? send(res, 410, 'Gone') : send(res, 200, tokenBody(makeJwt({}), nowSeconds() + 3600)),
    );
    const { client: c } = client(imds.url);
    await c.getToken({ resource: ARM });
    expect(imds.requests).toHaveLength(3);
  });

  it('does not retry 400 and hands IMDS error and description to the caller', async () => {
    imds = await startFakeImds((_req, _n, res) =>
      send(res, 400, { error: 'invalid_request', error_description: 'Identity not found' }),
    );
    const { client: c, waits } = client(imds.url);
    const error = (await c.getToken({ resource: ARM, clientId: 'nope' }).catch((e: unknown) => e)) as ImdsError;
    expect(error).toBeInstanceOf(ImdsError);
    expect(error.status).toBe(400);
    expect(error.code).toBe('invalid_request');
    expect(error.error).toBe('invalid_request');
    expect(error.errorDescription).toBe('Identity not found');
    expect(error.message).toContain('Identity not found');
    expect(error.hint).toMatch(/attached to this VM/);
    expect(error.exitCode).toBe(1);
    expect(imds.requests).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it.each([401, 403, 405])('does not retry %i', async (status) => {
    imds = await startFakeImds((_req, _n, res) => send(res, status, { error: 'nope', error_description: 'refused' }));
    const { client: c } = client(imds.url);
    await expect(c.getToken({ resource: ARM })).rejects.toMatchObject({ status, code: 'nope' });
    expect(imds.requests).toHaveLength(1);
  });

  it('gives up within the total time budget (90 s) and reports the last answer', async () => {
    imds = await startFakeImds((_req, _n, res) => send(res, 410, 'IMDS is updating'));
    const { client: c, waits } = client(imds.url);
    const error = (await c.getToken({ resource: ARM }).catch((e: unknown) => e)) as ImdsError;
    expect(error).toBeInstanceOf(ImdsError);
    expect(error.status).toBe(410);
    expect(error.errorDescription).toBe('IMDS is updating');
    // 1+2+4+8+16+16+16+16 = 79 s of waits: another 16 s would pass 90 s.
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16000, 16000, 16000, 16000]);
    expect(error.attempts).toBe(9);
    expect(imds.requests).toHaveLength(9);
    expect(waits.reduce((a, b) => a + b, 0)).toBeGreaterThan(70_000);
  });

  it('stops at once when Retry-After asks for more than the budget left', async () => {
    imds = await startFakeImds((_req, _n, res) => send(res, 429, { error: 'throttled' }, { 'retry-after': '600' }));
    const { client: c, waits } = client(imds.url);
    await expect(c.getToken({ resource: ARM })).rejects.toMatchObject({ status: 429 });
    expect(waits).toEqual([]);
    expect(imds.requests).toHaveLength(1);
  });
});

describe('ImdsClient connectivity', () => {
  it('turns a refused connection into IMDS unreachable, without retrying', async () => {
    const endpoint = `http://127.0.0.1:${await deadPort()}`;
    const { client: c, waits } = client(endpoint);
    const error = (await c.getToken({ resource: ARM }).catch((e: unknown) => e)) as ImdsUnreachableError;
    expect(error).toBeInstanceOf(ImdsUnreachableError);
    expect(error.code).toBe('MILAB_IMDS_UNREACHABLE');
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(`IMDS at ${endpoint} is unreachable (connection refused)`);
    expect(error.message).toContain('not running on an Azure VM');
    expect(error.hint).toContain('AZURE_POD_IDENTITY_AUTHORITY_HOST');
    expect(error.hint).toContain('./milab vm exec');
    expect(waits).toEqual([]);
  });

  it('times out an attempt that gets no answer', async () => {
    imds = await startFakeImds(() => undefined); // accepts, never answers
    const { client: c } = client(imds.url, { attemptTimeoutMs: 200 });
    const started = Date.now();
    await expect(c.getToken({ resource: ARM })).rejects.toThrow(/unreachable \(no answer within 200 ms\)/);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(imds.requests).toHaveLength(1);
  });

  it('never goes through a proxy, even with HTTP(S)_PROXY / ALL_PROXY and a global EnvHttpProxyAgent', async () => {
    imds = await startFakeImds((_req, _n, res) => send(res, 200, tokenBody(makeJwt({}), nowSeconds() + 3600)));
    const deadProxy = `http://127.0.0.1:${await deadPort()}`;
    const names = ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy', 'NO_PROXY', 'no_proxy'];
    const saved = Object.fromEntries(names.map((n) => [n, process.env[n]]));
    const savedDispatcher = getGlobalDispatcher();
    for (const n of names) process.env[n] = n.toLowerCase().startsWith('no_') ? '' : deadProxy;
    const proxied = new EnvHttpProxyAgent();
    setGlobalDispatcher(proxied);
    try {
      // The set-up is real: a plain undici request now goes to the dead proxy and fails.
      await expect(request(`${imds.url}/metadata/identity/oauth2/token`)).rejects.toThrow();
      expect(imds.requests).toHaveLength(0);

      const { client: c } = client(imds.url);
      const token = await c.getToken({ resource: ARM });
      expect(token.tokenType).toBe('Bearer');
      expect(imds.requests).toHaveLength(1);
    } finally {
      setGlobalDispatcher(savedDispatcher);
      await proxied.close();
      for (const n of names) {
        if (saved[n] === undefined) delete process.env[n];
        else process.env[n] = saved[n];
      }
    }
  });

  it('takes the endpoint from AZURE_POD_IDENTITY_AUTHORITY_HOST, else 169.254.169.254', () => {
    expect(resolveImdsEndpoint(undefined, { AZURE_POD_IDENTITY_AUTHORITY_HOST: 'http://127.0.0.1:4567/' })).toBe('http://127.0.0.1:4567');
    expect(resolveImdsEndpoint(undefined, {})).toBe(IMDS_DEFAULT_ENDPOINT);
    expect(resolveImdsEndpoint('http://127.0.0.1:1', { AZURE_POD_IDENTITY_AUTHORITY_HOST: 'http://127.0.0.1:2' })).toBe('http://127.0.0.1:1');
    expect(() => resolveImdsEndpoint(undefined, { AZURE_POD_IDENTITY_AUTHORITY_HOST: 'not a url' })).toThrow(/Invalid IMDS endpoint/);
  });
});

describe('ImdsClient cache', () => {
  it('makes one request for 50 concurrent callers', async () => {
    imds = await startFakeImds(async (_req, _n, res) => {
      await new Promise((r) => setTimeout(r, 50));
      send(res, 200, tokenBody(makeJwt({ n: 1 }), nowSeconds() + 3600));
    });
    const { client: c } = client(imds.url);
    const tokens = await Promise.all(Array.from({ length: 50 }, () => c.getToken({ resource: ARM })));
    expect(imds.requests).toHaveLength(1);
    expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1);
  });

  it('reuses a cached token until it nears expiry, per resource and identity', async () => {
    let issued = 0;
    imds = await startFakeImds((_req, _n, res) => {
      issued += 1;
      // Expiry relative to the test clock below (which starts at 1,000,000 ms).
      send(res, 200, tokenBody(makeJwt({ n: issued }), 1_000 + 3_600));
    });
    const { client: c, advance } = client(imds.url);
    const first = await c.getToken({ resource: ARM });
    expect((await c.getToken({ resource: ARM })).accessToken).toBe(first.accessToken);
    advance(50 * 60_000); // 10 minutes left: still outside the 5-minute refresh margin
    expect((await c.getToken({ resource: ARM })).accessToken).toBe(first.accessToken);
    expect(imds.requests).toHaveLength(1);

    await c.getToken({ resource: ARM, clientId: 'other' }); // another identity: its own entry
    await c.getToken({ resource: 'https://vault.azure.net' }); // another resource: its own entry
    expect(imds.requests).toHaveLength(3);

    advance(6 * 60_000); // 4 minutes left: refresh
    const refreshed = await c.getToken({ resource: ARM });
    expect(refreshed.accessToken).not.toBe(first.accessToken);
    expect(imds.requests).toHaveLength(4);
  });

  it('does not cache failures', async () => {
    imds = await startFakeImds((_req, n, res) =>
      n === 1 ? send(res, 400, { error: 'invalid_request', error_description: 'Identity not found' }) : send(res, 200, tokenBody(makeJwt({}), nowSeconds() + 3600)),
    );
    const { client: c } = client(imds.url);
    await expect(c.getToken({ resource: ARM })).rejects.toBeInstanceOf(ImdsError);
    await expect(c.getToken({ resource: ARM })).resolves.toMatchObject({ tokenType: 'Bearer' });
  });
});

describe('ImdsClient answers', () => {
  it('rejects a 200 without a token', async () => {
    imds = await startFakeImds((_req, _n, res) => send(res, 200, { hello: 'world' }));
    const { client: c } = client(imds.url);
    await expect(c.getToken({ resource: ARM })).rejects.toMatchObject({ code: 'MILAB_IMDS_BAD_RESPONSE' });
  });

  it('uses expires_in when expires_on is missing', async () => {
    imds = await startFakeImds((_req, _n, res) => send(res, 200, { access_token: makeJwt({}), expires_in: '600' }));
    const { client: c } = client(imds.url);
    const token = await c.getToken({ resource: ARM });
    expect(token.expiresOn.getTime()).toBe(1_000_000 + 600_000);
  });

  it('keeps a non-JSON error body as the description', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end('Bad Request: Required metadata header not specified');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { client: c } = client(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      await expect(c.getToken({ resource: ARM })).rejects.toMatchObject({
        status: 400,
        code: 'MILAB_IMDS_HTTP_400',
        errorDescription: 'Bad Request: Required metadata header not specified',
      });
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
