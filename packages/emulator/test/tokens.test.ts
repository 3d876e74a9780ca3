// Bearer tokens as ARM checks them: forgeries (alg none, HS256 keyed with the public key, other
// keys and algorithms, swapped or edited parts), lifetime (expired; nbf and iat in the future
// beyond the 5-minute skew), issuer and tenant, and the audience (ARM's own, or exactly the
// emulator's origin, not any loopback one). Each answered 401 with ARM's code, over HTTPS.
import { createHmac, createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOCK_SKEW_SECONDS, issuerFor } from '../src/entra/tokens.js';
import { errors } from '../src/errors.js';
import type { Principal } from '../src/model.js';
import { SEED } from '../src/world.js';
import { startTestEmulator, type TestEmulator } from './helpers.js';

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const path = `/subscriptions/${SEED.subscriptionId}/resourceGroups/DevTest?api-version=2021-04-01`;
const otherTenant = '0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9';

describe('ARM token verification', () => {
  let emu: TestEmulator;
  let learner: Principal;
  let ourKey: KeyObject;
  let kid: string;
  let good: string;
  let claims: Record<string, unknown>;
  const now = () => Math.floor(Date.now() / 1000);

  /** A JWT with this header and payload, RS256-signed by `key` (the emulator's by default). */
  const rs256 = (header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject = ourKey) => {
    const input = `${b64(header)}.${b64(payload)}`;
    return `${input}.${sign('RSA-SHA256', Buffer.from(input), key).toString('base64url')}`;
  };
  const header = () => ({ typ: 'JWT', alg: 'RS256', x5t: kid, kid });
  const call = (token: string) => emu.http('GET', path, { token });

  beforeAll(async () => {
    emu = await startTestEmulator();
    learner = emu.emulator.store.state.principals[SEED.principals.learner.objectId]!;
    ourKey = emu.emulator.tokens.key.privateKey;
    kid = emu.emulator.tokens.key.kid;
    good = await emu.token('learner');
    claims = JSON.parse(Buffer.from(good.split('.')[1] ?? '', 'base64url').toString());
  });
  afterAll(async () => {
    await emu.stop();
  });

  it('accepts the genuine token, one re-signed by the emulator with the same claims, and an iat or nbf within the 5-minute skew', async () => {
    expect((await call(good)).status).toBe(200);
    expect((await call(rs256(header(), claims))).status).toBe(200);
    const soon = now() + CLOCK_SKEW_SECONDS - 60;
    expect((await call(rs256(header(), { ...claims, iat: soon, nbf: soon }))).status).toBe(200);
  });

  describe('forgeries: 401 InvalidAuthenticationToken, never 200', () => {
    const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    const cases: [string, () => string][] = [
      ['alg none, no signature', () => `${b64({ typ: 'JWT', alg: 'none' })}.${b64(claims)}.`],
      ['alg none with our kid, the genuine signature kept', () => `${b64({ alg: 'none', kid })}.${b64(claims)}.${good.split('.')[2]}`],
      ['alg "None" (case games)', () => `${b64({ alg: 'None', kid })}.${b64(claims)}.`],
      [
        'HS256 keyed with the public key (PEM)',
        () => {
          const input = `${b64({ typ: 'JWT', alg: 'HS256', kid })}.${b64(claims)}`;
          const secret = emu.emulator.tokens.key.publicKey.export({ type: 'spki', format: 'pem' });
          return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
        },
      ],
      [
        'HS256 keyed with the JWK modulus',
        () => {
          const input = `${b64({ typ: 'JWT', alg: 'HS256', kid })}.${b64(claims)}`;
          return `${input}.${createHmac('sha256', emu.emulator.tokens.key.jwk.n).update(input).digest('base64url')}`;
        },
      ],
      ['RS256 by another key, claiming our kid', () => rs256(header(), claims, otherRsa)],
      ['RS256 by another key, its own kid', () => rs256({ ...header(), kid: 'attacker', x5t: 'attacker' }, claims, otherRsa)],
      ['RS256 by another key embedded as a jwk header', () => rs256({ ...header(), jwk: otherRsa.export({ format: 'jwk' }) }, claims, otherRsa)],
      ['RS256 with no kid', () => rs256({ typ: 'JWT', alg: 'RS256' }, claims)],
      [
        'RS512 by our own key',
        () => {
          const input = `${b64({ ...header(), alg: 'RS512' })}.${b64(claims)}`;
          return `${input}.${sign('RSA-SHA512', Buffer.from(input), ourKey).toString('base64url')}`;
        },
      ],
      [
        'ES256 by an EC key',
        () => {
          const input = `${b64({ ...header(), alg: 'ES256' })}.${b64(claims)}`;
          return `${input}.${sign('sha256', Buffer.from(input), { key: ec, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
        },
      ],
      ['payload edited (oid of the instructor), signature kept', () => {
        const [h, , s] = good.split('.');
        return `${h}.${b64({ ...claims, oid: SEED.principals.instructor.objectId })}.${s}`;
      }],
      ['payload of another token, signature of this one', () => {
        const [h, , s] = good.split('.');
        const other = rs256(header(), { ...claims, appid: SEED.principals.instructor.clientId });
        return `${h}.${other.split('.')[1]}.${s}`;
      }],
      ['header edited (kid), signature kept', () => {
        const [, c, s] = good.split('.');
        return `${b64({ ...header(), x5t: 'x' })}.${c}.${s}`;
      }],
      ['signature cut short', () => good.slice(0, -10)],
      ['signature empty', () => good.slice(0, good.lastIndexOf('.') + 1)],
      ['signature of garbage', () => `${good.slice(0, good.lastIndexOf('.') + 1)}!!!notbase64!!!`],
      ['two parts', () => good.split('.').slice(0, 2).join('.')],
      ['four parts', () => `${good}.${good.split('.')[2]}`],
      ['a header that is not JSON', () => `${b64('{"alg":')}.${b64(claims)}.${good.split('.')[2]}`],
      ['a payload that is not JSON, signed by our key', () => {
        const input = `${b64(header())}.${b64('not json')}`;
        return `${input}.${sign('RSA-SHA256', Buffer.from(input), ourKey).toString('base64url')}`;
      }],
      ['no oid, signed by our key', () => rs256(header(), { ...claims, oid: undefined })],
      ['no exp, signed by our key', () => rs256(header(), { ...claims, exp: undefined })],
      ['exp as a string, signed by our key', () => rs256(header(), { ...claims, exp: String(now() + 3600) })],
    ];
    for (const [name, forge] of cases) {
      it(name, async () => {
        const response = await call(forge());
        expect(response.status).toBe(401);
        expect(response.body.error.code).toBe('InvalidAuthenticationToken');
      });
    }
  });

  it('refuses an expired token with ExpiredAuthenticationToken, exactly at exp (no grace)', async () => {
    const expired = await emu.emulator.tokens.mint({ principal: learner, audience: 'https://management.azure.com/', now: new Date(Date.now() - 2 * 3600_000) });
    expect((await call(expired.accessToken)).body.error.code).toBe('ExpiredAuthenticationToken');
    const justExpired = rs256(header(), { ...claims, exp: now() - 1 });
    expect((await call(justExpired)).body.error.code).toBe('ExpiredAuthenticationToken');
  });

  it('refuses an iat or an nbf in the future beyond the skew', async () => {
    const later = now() + CLOCK_SKEW_SECONDS + 120;
    for (const token of [rs256(header(), { ...claims, iat: later }), rs256(header(), { ...claims, nbf: later }), rs256(header(), { ...claims, iat: later, nbf: later })]) {
      const response = await call(token);
      expect(response.status).toBe(401);
      expect(response.body.error).toEqual(errors.tokenNotYetValid(SEED.tenantId).body().error);
    }
    // Minted "in the future" by the emulator itself: refused the same way.
    const future = await emu.emulator.tokens.mint({ principal: learner, audience: 'https://management.azure.com/', now: new Date(Date.now() + 3600_000) });
    expect((await call(future.accessToken)).body.error.code).toBe('InvalidAuthenticationToken');
  });

  it('refuses another issuer and another tid with InvalidAuthenticationTokenTenant', async () => {
    const wrongIss = await call(rs256(header(), { ...claims, iss: issuerFor(otherTenant) }));
    expect(wrongIss.status).toBe(401);
    expect(wrongIss.body.error).toEqual(errors.wrongIssuer(SEED.tenantId, issuerFor(otherTenant)).body().error);
    const wrongTid = await call(rs256(header(), { ...claims, tid: otherTenant }));
    expect(wrongTid.status).toBe(401);
    expect(wrongTid.body.error).toEqual(errors.wrongIssuer(SEED.tenantId, issuerFor(otherTenant)).body().error);
    const noTid = await call(rs256(header(), { ...claims, tid: undefined }));
    expect(noTid.body.error.code).toBe('InvalidAuthenticationTokenTenant');
  });

  it("takes ARM's four audiences and exactly its own origin, refuses any other origin, loopback or not", async () => {
    const port = new URL(emu.url).port;
    for (const aud of ['https://management.azure.com/', 'https://management.azure.com', 'https://management.core.windows.net/', 'https://management.core.windows.net', emu.url, `${emu.url}/`]) {
      expect({ aud, status: (await call(rs256(header(), { ...claims, aud }))).status }).toEqual({ aud, status: 200 });
    }
    for (const aud of [
      'https://127.0.0.2:8443',
      `https://127.0.0.2:${port}`,
      'https://localhost:1',
      `https://localhost:${port}`,
      `http://127.0.0.1:${port}`,
      `https://127.0.0.1:${Number(port) + 1}`,
      `${emu.url}/subscriptions`,
      'https://vault.azure.net',
      'https://management.azure.com.evil.example/',
    ]) {
      const response = await call(rs256(header(), { ...claims, aud }));
      expect({ aud, status: response.status }).toEqual({ aud, status: 401 });
      expect(response.body.error).toEqual(errors.wrongAudience(SEED.tenantId, aud).body().error);
    }
    const list = await call(rs256(header(), { ...claims, aud: ['https://management.azure.com/'] }));
    expect(list.body.error.code).toBe('InvalidAuthenticationTokenAudience');
  });

  it('Entra issues no token for another loopback origin (invalid_resource), so none reaches ARM', async () => {
    const response = await emu.http('POST', `/${SEED.tenantId}/oauth2/token`, {
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: SEED.principals.learner.clientId,
        client_secret: emu.connection.principals.learner.clientSecret,
        resource: 'https://localhost:1',
      }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: 'invalid_resource', error_codes: [500011] });
  });

  it('mints every claim a real Entra app token carries, with the header Entra sends', async () => {
    const [h = ''] = good.split('.');
    expect(JSON.parse(Buffer.from(h, 'base64url').toString())).toEqual({ typ: 'JWT', alg: 'RS256', x5t: kid, kid });
    expect(Object.keys(claims)).toEqual(['aud', 'iss', 'iat', 'nbf', 'exp', 'aio', 'appid', 'appidacr', 'idp', 'idtyp', 'oid', 'rh', 'sub', 'tid', 'uti', 'ver', 'xms_tcdt']);
    expect(claims).toMatchObject({ iss: issuerFor(SEED.tenantId), idp: issuerFor(SEED.tenantId), tid: SEED.tenantId, appidacr: '1', idtyp: 'app', ver: '1.0' });
    expect(createPrivateKey(ourKey.export({ type: 'pkcs1', format: 'pem' })).asymmetricKeyType).toBe('rsa');
  });
});
