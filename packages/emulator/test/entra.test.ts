// Entra: OpenID discovery, JWKS, the v2 and v1 client-credential token endpoints, the claims of
// the tokens, and Entra's error shapes.
import { createPublicKey, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errors } from '../src/errors.js';
import { SEED } from '../src/world.js';
import { startTestEmulator, type TestEmulator } from './helpers.js';

function form(values: Record<string, string>): string {
  return new URLSearchParams(values).toString();
}

function decode(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const [h = '', c = ''] = token.split('.');
  return { header: JSON.parse(Buffer.from(h, 'base64url').toString()), claims: JSON.parse(Buffer.from(c, 'base64url').toString()) };
}

describe('Entra', () => {
  let emu: TestEmulator;
  const tid = SEED.tenantId;
  const learner = SEED.principals.learner;

  beforeAll(async () => {
    emu = await startTestEmulator();
  });
  afterAll(async () => {
    await emu.stop();
  });

  const tokenRequest = (path: string, values: Record<string, string>) =>
    emu.http('POST', path, { body: form(values), headers: { 'content-type': 'application/x-www-form-urlencoded' } });

  it('serves the v2 OpenID configuration with the endpoints MSAL needs', async () => {
    const response = await emu.http('GET', `/${tid}/v2.0/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      token_endpoint: `${emu.url}/${tid}/oauth2/v2.0/token`,
      authorization_endpoint: `${emu.url}/${tid}/oauth2/v2.0/authorize`,
      jwks_uri: `${emu.url}/${tid}/discovery/v2.0/keys`,
      issuer: `${emu.url}/${tid}/v2.0`,
    });
    const v1 = await emu.http('GET', `/${tid}/.well-known/openid-configuration`);
    expect(v1.body.token_endpoint).toBe(`${emu.url}/${tid}/oauth2/token`);
  });

  it('issues an RS256 token whose signature verifies with the JWKS key and carries the real claims', async () => {
    const secret = emu.connection.principals.learner.clientSecret;
    const response = await tokenRequest(`/${tid}/oauth2/v2.0/token`, {
      grant_type: 'client_credentials',
      client_id: learner.clientId,
      client_secret: secret,
      scope: 'https://management.azure.com/.default',
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599 });
    const token = response.body.access_token as string;
    const { header, claims } = decode(token);
    expect(header).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    const jwks = await emu.http('GET', `/${tid}/discovery/v2.0/keys`);
    const jwk = (jwks.body.keys as { kid: string }[]).find((k) => k.kid === header.kid);
    expect(jwk).toBeDefined();
    const [h, c, s] = token.split('.');
    const key = createPublicKey({ key: jwk as never, format: 'jwk' });
    expect(verify('RSA-SHA256', Buffer.from(`${h}.${c}`), key, Buffer.from(s ?? '', 'base64url'))).toBe(true);
    expect(claims).toMatchObject({
      aud: 'https://management.azure.com',
      iss: `https://sts.windows.net/${tid}/`,
      appid: learner.clientId,
      appidacr: '1',
      idtyp: 'app',
      oid: learner.objectId,
      sub: learner.objectId,
      tid,
      ver: '1.0',
    });
    const now = Date.now() / 1000;
    expect(claims.nbf).toBe(claims.iat);
    expect(claims.exp as number).toBeGreaterThan(now + 3500);
    expect(claims.iat as number).toBeLessThanOrEqual(now);
  });

  it('serves the v1 token endpoint with resource= and string fields', async () => {
    const response = await tokenRequest(`/${tid}/oauth2/token`, {
      grant_type: 'client_credentials',
      client_id: learner.clientId,
      client_secret: emu.connection.principals.learner.clientSecret,
      resource: 'https://management.core.windows.net/',
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ token_type: 'Bearer', expires_in: '3599', resource: 'https://management.core.windows.net/' });
    expect(typeof response.body.expires_on).toBe('string');
    expect(decode(response.body.access_token).claims.aud).toBe('https://management.core.windows.net/');
  });

  it('answers a wrong secret with invalid_client and AADSTS7000215', async () => {
    const response = await tokenRequest(`/${tid}/oauth2/v2.0/token`, {
      grant_type: 'client_credentials',
      client_id: learner.clientId,
      client_secret: 'not-the-secret',
      scope: 'https://management.azure.com/.default',
    });
    expect(response.status).toBe(401);
    expect(response.body.error).toBe('invalid_client');
    expect(response.body.error_codes).toEqual([7000215]);
    expect(response.body.error_description).toContain(errors.entraInvalidClientSecret(learner.clientId).message);
    expect(response.body).toHaveProperty('trace_id');
    expect(response.body).toHaveProperty('correlation_id');
  });

  it('answers an unknown client with AADSTS700016, an unknown tenant with AADSTS90002, a bad scope with AADSTS1002012', async () => {
    const unknown = await tokenRequest(`/${tid}/oauth2/v2.0/token`, {
      grant_type: 'client_credentials',
      client_id: '00000000-0000-0000-0000-000000000001',
      client_secret: 'x',
      scope: 'https://management.azure.com/.default',
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error_codes).toEqual([700016]);
    const tenant = await tokenRequest(`/11111111-1111-1111-1111-111111111111/oauth2/v2.0/token`, { grant_type: 'client_credentials' });
    expect(tenant.body).toMatchObject({ error: 'invalid_request', error_codes: [90002] });
    const scope = await tokenRequest(`/${tid}/oauth2/v2.0/token`, {
      grant_type: 'client_credentials',
      client_id: learner.clientId,
      client_secret: emu.connection.principals.learner.clientSecret,
      scope: 'https://management.azure.com/user_impersonation',
    });
    expect(scope.body).toMatchObject({ error: 'invalid_scope', error_codes: [1002012] });
    const resource = await tokenRequest(`/${tid}/oauth2/v2.0/token`, {
      grant_type: 'client_credentials',
      client_id: learner.clientId,
      client_secret: emu.connection.principals.learner.clientSecret,
      // A resource no Azure service is (Key Vault's https://vault.azure.net is one the emulator serves now).
      scope: 'https://unknown-service.example.com/.default',
    });
    // On a mismatch, say what came back without its token.
    expect(resource.body.access_token === undefined ? resource.body : { ...resource.body, access_token: '[a token]' }).toMatchObject({ error: 'invalid_resource', error_codes: [500011] });
  });

  it('accepts the emulator URL as audience (older SDK clients scope to ${endpoint}/.default)', async () => {
    const token = await emu.token('learner', `${emu.url}/.default`);
    expect(decode(token).claims.aud).toBe(emu.url);
    const response = await emu.http('GET', `/subscriptions/${SEED.subscriptionId}?api-version=2022-12-01`, { token });
    expect(response.status).toBe(200);
  });
});
