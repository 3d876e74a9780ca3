// The VM's MSI_ENDPOINT (imds/app-service.ts): the Cloud Shell-style POST that `az login
// --identity` (azure-cli 2.45, msrestazure) sends when MSI_ENDPOINT is set, with IMDS's rules for
// the identity. A sign-in with the real az is in packages/cli/test/az-vm.test.ts.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmulator } from './helpers.js';

let emu: TestEmulator;
let endpoint: string;
beforeAll(async () => {
  emu = await startTestEmulator();
  endpoint = `${emu.connection.vms?.labvm?.imdsUrl ?? ''}/msi/token`;
});
afterAll(async () => {
  await emu?.stop();
});

function call(method: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: { error?: string; error_description?: string; access_token?: string } }> {
  return new Promise((resolve, reject) => {
    const req = request(endpoint, { method, headers: { ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as never }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe("the VM's MSI_ENDPOINT", () => {
  it('takes a POST with Metadata: true and a resource, as az sends it', async () => {
    expect((await call('GET', { Metadata: 'true' })).status).toBe(405);
    const noHeader = await call('POST', {}, 'resource=https://management.core.windows.net/');
    expect(noHeader).toMatchObject({ status: 400, body: { error_description: 'Required metadata header not specified' } });
    const noResource = await call('POST', { Metadata: 'true' }, '');
    expect(noResource).toMatchObject({ status: 400, body: { error_description: "Required query variable 'resource' is missing" } });
  });

  it("answers by IMDS's rules for the VM's identities", async () => {
    // The seeded labvm has no identity yet: IMDS's "Identity not found".
    const none = await call('POST', { Metadata: 'true' }, 'resource=https://management.core.windows.net/');
    expect(none.status).toBe(400);
    expect(none.body.error).toBe('invalid_request');
    expect(none.body.access_token).toBeUndefined();
  });
});
