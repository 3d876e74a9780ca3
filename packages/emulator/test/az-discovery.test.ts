// What the az CLI (MSAL Python) reads before it signs in: the cloud metadata document under the
// emulator's own name, the AD FS-style authority's OpenID discovery, and instance discovery that
// follows the tenant in authorization_endpoint. The sign-in itself, with the real az, is in
// packages/cli/test/az-cli.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmulator } from './helpers.js';

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(async () => {
  await emu?.stop();
});

describe('what az reads before it signs in', () => {
  it('names the cloud MilabEmulator (az rewrites the login endpoint of a cloud named AzureCloud) and points its login at the /adfs door', async () => {
    const current = await emu.http('GET', '/metadata/endpoints?api-version=2022-09-01');
    expect(current.status).toBe(200);
    expect(current.body).toHaveLength(1);
    expect(current.body[0]).toMatchObject({
      name: 'MilabEmulator',
      resourceManager: `${emu.url}/`,
      authentication: { loginEndpoint: `${emu.url}/adfs`, audiences: ['https://management.core.windows.net/', 'https://management.azure.com/'] },
    });
    // `az cloud register --endpoint-resource-manager` reads the older, single-cloud shape.
    const legacy = await emu.http('GET', '/metadata/endpoints?api-version=2015-01-01');
    expect(legacy.body).toMatchObject({ authentication: { loginEndpoint: `${emu.url}/adfs` } });
  });

  it("answers the /adfs authority's OpenID discovery with the tenant's own endpoints (MSAL takes the tenant from token_endpoint)", async () => {
    const tid = emu.connection.tenantId;
    const response = await emu.http('GET', '/adfs/.well-known/openid-configuration');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      token_endpoint: `${emu.url}/${tid}/oauth2/v2.0/token`,
      authorization_endpoint: `${emu.url}/${tid}/oauth2/v2.0/authorize`,
      issuer: `${emu.url}/${tid}/v2.0`,
    });
    // Only discovery is served under /adfs: its token endpoint is the tenant's.
    const other = await emu.http('GET', '/adfs/v2.0/.well-known/openid-configuration');
    expect(other.status).toBe(400);
    expect(other.body.error_codes).toEqual([90002]);
  });

  it('points instance discovery at the tenant in authorization_endpoint, not at the path tenant', async () => {
    const tid = emu.connection.tenantId;
    const asked = encodeURIComponent(`${emu.url}/${tid}/oauth2/v2.0/authorize`);
    const response = await emu.http('GET', `/common/discovery/instance?api-version=1.0&authorization_endpoint=${asked}`);
    expect(response.status).toBe(200);
    expect(response.body.tenant_discovery_endpoint).toBe(`${emu.url}/${tid}/v2.0/.well-known/openid-configuration`);
    const host = new URL(emu.url).host;
    expect(response.body.metadata).toEqual([{ preferred_network: host, preferred_cache: host, aliases: [host] }]);
    // Following it lands on the tenant's discovery document, whose token endpoint signs in.
    const followed = await emu.http('GET', new URL(response.body.tenant_discovery_endpoint as string).pathname);
    expect(followed.body.token_endpoint).toBe(`${emu.url}/${tid}/oauth2/v2.0/token`);
  });

  it('refuses an authority on another host as invalid_instance (AADSTS50049)', async () => {
    const asked = encodeURIComponent('https://login.example.com/x/oauth2/v2.0/authorize');
    const response = await emu.http('GET', `/common/discovery/instance?api-version=1.0&authorization_endpoint=${asked}`);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: 'invalid_instance', error_codes: [50049] });
    const garbage = await emu.http('GET', '/common/discovery/instance?api-version=1.0&authorization_endpoint=not-a-url');
    expect(garbage.body.error).toBe('invalid_instance');
  });
});
