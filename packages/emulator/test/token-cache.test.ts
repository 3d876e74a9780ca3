// The verified-token cache: a bearer token ARM has verified once is not RS256-verified again,
// yet it still stops working at its exp, a tampered copy of it is refused, and what depends on
// the call (lifetime at that moment, audience) is decided again on every call. Bounded, least
// recently used first, keyed by the token's SHA-256, never the token. And the first token after
// a start does not wait for the signing key: connection.json appears only once it is ready.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNING_KEY_FILE } from '../src/certs.js';
import { parseConfig } from '../src/config.js';
import { connectionPath, readConnection } from '../src/connection.js';
import { VerifiedTokens, type AccessTokenClaims } from '../src/entra/tokens.js';
import { startDetached, stopEmulator } from '../src/launcher.js';
import { createEmulator } from '../src/server.js';
import type { Principal } from '../src/model.js';
import { SEED } from '../src/world.js';
import { startTestEmulator, tempStateDir, type TestEmulator } from './helpers.js';

const path = `/subscriptions/${SEED.subscriptionId}/resourceGroups/DevTest?api-version=2021-04-01`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('verified tokens over HTTPS', () => {
  let emu: TestEmulator;
  let learner: Principal;
  const call = (token: string) => emu.http('GET', path, { token });
  const cached = (token: string) => emu.emulator.tokens.verified.get(VerifiedTokens.keyOf(token), Date.now() / 1000);

  beforeAll(async () => {
    emu = await startTestEmulator();
    learner = emu.emulator.store.state.principals[SEED.principals.learner.objectId]!;
  });
  afterAll(async () => {
    await emu.stop();
  });

  it('a cached token stops working at its exp: ExpiredAuthenticationToken, and it leaves the cache', async () => {
    const minted = await emu.emulator.tokens.mint({ principal: learner, audience: 'https://management.azure.com/', lifetimeSeconds: 2 });
    expect((await call(minted.accessToken)).status).toBe(200);
    expect(cached(minted.accessToken)?.oid).toBe(learner.objectId);
    expect((await call(minted.accessToken)).status).toBe(200);
    // Past exp (whole seconds), with a generous bound in case the machine is slow.
    for (const deadline = Date.now() + 10_000; Date.now() / 1000 < minted.expiresOn && Date.now() < deadline; ) await sleep(100);
    const answer = await call(minted.accessToken);
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('ExpiredAuthenticationToken');
    expect(cached(minted.accessToken)).toBeUndefined();
  });

  it('a tampered copy of a cached token is refused: edited payload, edited signature, one character more', async () => {
    const good = await emu.token('learner');
    expect((await call(good)).status).toBe(200);
    expect(cached(good)).toBeDefined();
    const [h, c = '', s = ''] = good.split('.');
    const payload = JSON.parse(Buffer.from(c, 'base64url').toString()) as Record<string, unknown>;
    const instructorPayload = Buffer.from(JSON.stringify({ ...payload, oid: SEED.principals.instructor.objectId })).toString('base64url');
    const flipped = `${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
    for (const tampered of [`${h}.${instructorPayload}.${s}`, `${h}.${c}.${flipped}`, `${good}A`, `${h}.${c}.`]) {
      const answer = await call(tampered);
      expect(answer.status).toBe(401);
      expect(answer.body.error.code).toMatch(/^InvalidAuthenticationToken/);
      expect(cached(tampered)).toBeUndefined();
    }
    expect((await call(good)).status).toBe(200);
  });

  it('a cached token is still checked against the call: another audience rule, a time before nbf, a time after exp', async () => {
    const good = await emu.token('learner');
    expect((await call(good)).status).toBe(200);
    const issuer = emu.emulator.tokens;
    const claims = cached(good)!;
    expect(await issuer.verify(good, () => false)).toEqual({ ok: false, problem: { kind: 'audience', audience: claims.aud } });
    expect((await issuer.verify(good, () => true)).ok).toBe(true);
    expect(await issuer.verify(good, () => true, new Date((claims.nbf - 3600) * 1000))).toEqual({ ok: false, problem: { kind: 'notYetValid' } });
    const after = new Date(claims.exp * 1000);
    expect(await issuer.verify(good, () => true, after)).toEqual({ ok: false, problem: { kind: 'expired', expiry: after, now: after } });
  });

  it('keeps only the hash of a token, never the token itself', async () => {
    const good = await emu.token('grader');
    expect((await call(good)).status).toBe(200);
    const key = VerifiedTokens.keyOf(good);
    expect(key).toMatch(/^[\w-]{43}$/);
    expect(key).not.toContain(good.slice(0, 20));
    expect(JSON.stringify(cached(good))).not.toContain(good.split('.')[2]);
  });
});

describe('VerifiedTokens', () => {
  const claims = (exp: number): AccessTokenClaims => ({ aud: 'a', iss: 'i', iat: 0, nbf: 0, exp, appid: 'x', oid: 'o', sub: 'o', tid: 't' });

  it('holds at most its capacity, dropping the least recently used', () => {
    const cache = new VerifiedTokens(2);
    cache.set('one', claims(100));
    cache.set('two', claims(100));
    expect(cache.get('one', 0)).toBeDefined();
    cache.set('three', claims(100));
    expect(cache.size).toBe(2);
    expect(cache.get('two', 0)).toBeUndefined();
    expect(cache.get('one', 0)).toBeDefined();
    expect(cache.get('three', 0)).toBeDefined();
  });

  it('drops an entry at its exp exactly, and keeps a frozen copy', () => {
    const cache = new VerifiedTokens();
    const original = claims(100);
    cache.set('t', original);
    original.oid = 'changed';
    expect(cache.get('t', 99.9)?.oid).toBe('o');
    expect(Object.isFrozen(cache.get('t', 99.9))).toBe(true);
    expect(cache.get('t', 100)).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});

describe('the signing key before connection.json', () => {
  it('a first start in-process: listen() resolves with the key ready, and connection.json is written only then', async () => {
    const stateDir = tempStateDir();
    const emulator = createEmulator(parseConfig({ stateDir, port: 0, log: () => undefined }));
    let keyReady = false;
    void emulator.ready().then(() => {
      keyReady = true;
    });
    const sawConnectionEarly: boolean[] = [];
    const poll = setInterval(() => sawConnectionEarly.push(existsSync(connectionPath(stateDir)) && !keyReady), 1);
    await emulator.listen();
    clearInterval(poll);
    expect(sawConnectionEarly.filter(Boolean)).toEqual([]);
    expect(() => emulator.tokens).not.toThrow();
    expect(existsSync(join(stateDir, SIGNING_KEY_FILE))).toBe(true);
    await emulator.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('start --detach on a fresh state returns once the signing key exists', async () => {
    const stateDir = tempStateDir();
    try {
      const connection = await startDetached({ stateDir, port: 0, timeoutMs: 60_000 });
      expect(existsSync(join(stateDir, SIGNING_KEY_FILE))).toBe(true);
      expect(readConnection(stateDir)?.pid).toBe(connection.pid);
    } finally {
      await stopEmulator(stateDir);
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
