// @azure/identity's ManagedIdentityCredential (MSAL's managed identity support underneath),
// pointed at labvm's emulated IMDS through AZURE_POD_IDENTITY_AUTHORITY_HOST, in-process.
// MSAL keeps the IMDS endpoint and its token cache in static fields for the whole process,
// so this file uses one VM (vitest runs each file in its own worker).
import { Agent } from 'node:https';
import { ResourceManagementClient } from '@azure/arm-resources';
import { ManagedIdentityCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED } from '../src/world.js';
import { ARM_SCOPE, startTestEmulator, type TestEmulator } from './helpers.js';
import { claimsOf, createIdentity, grantReader, imdsOf, setVmIdentity, type CreatedIdentity } from './imds-helpers.js';

const MANAGED_IDENTITY_ENV = ['AZURE_POD_IDENTITY_AUTHORITY_HOST', 'IDENTITY_ENDPOINT', 'IDENTITY_HEADER', 'IDENTITY_SERVER_THUMBPRINT', 'IMDS_ENDPOINT', 'MSI_ENDPOINT', 'MSI_SECRET', 'AZURE_CLIENT_ID', 'AZURE_FEDERATED_TOKEN_FILE'];

describe('ManagedIdentityCredential against an emulated VM', () => {
  let emu: TestEmulator;
  let lab: CreatedIdentity;
  let second: CreatedIdentity;
  const saved = new Map<string, string | undefined>();

  beforeAll(async () => {
    emu = await startTestEmulator();
    for (const name of MANAGED_IDENTITY_ENV) {
      saved.set(name, process.env[name]);
      delete process.env[name];
    }
    process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = await imdsOf(emu);
    lab = await createIdentity(emu, 'lab-identity');
    second = await createIdentity(emu, 'second-identity');
    await setVmIdentity(emu, { type: 'UserAssigned', userAssignedIdentities: { [lab.id]: {} } });
  });
  afterAll(async () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await emu.stop();
  });

  it('gets a token for the VM identity with no options, and ARM takes it through the SDK once Reader is granted', async () => {
    const credential = new ManagedIdentityCredential();
    const token = await credential.getToken(ARM_SCOPE);
    expect(token.expiresOnTimestamp - Date.now()).toBeGreaterThan(23 * 3600 * 1000);
    expect(claimsOf(token.token)).toMatchObject({ oid: lab.principalId, appid: lab.clientId, xms_mirid: lab.id, aud: 'https://management.azure.com', tid: SEED.tenantId });

    const agent = new Agent({ ca: emu.caPem, keepAlive: true });
    const resources = new ResourceManagementClient(credential, SEED.subscriptionId, { endpoint: emu.url, credentialScopes: [ARM_SCOPE], agent });
    await expect(resources.resourceGroups.get('DevTest')).rejects.toMatchObject({ statusCode: 403, code: 'AuthorizationFailed' });
    await grantReader(emu, lab.principalId);
    const group = await resources.resourceGroups.get('DevTest');
    expect(group).toMatchObject({ name: 'DevTest', location: 'westus', properties: { provisioningState: 'Succeeded' } });
  });

  it('chooses a user-assigned identity by clientId, resourceId or objectId once two are attached', async () => {
    await setVmIdentity(emu, { type: 'UserAssigned', userAssignedIdentities: { [second.id]: {} } });
    for (const options of [{ clientId: second.clientId }, { resourceId: second.id }, { objectId: second.principalId }]) {
      const token = await new ManagedIdentityCredential(options).getToken(ARM_SCOPE);
      expect(claimsOf(token.token).oid, JSON.stringify(options)).toBe(second.principalId);
    }
  });

  it('an identity that is not attached is refused with IMDS\'s words', async () => {
    const credential = new ManagedIdentityCredential({ clientId: '00000000-0000-4000-8000-00000000abcd' });
    await expect(credential.getToken(ARM_SCOPE)).rejects.toThrow(/Identity not found|not been assigned|unavailable/i);
  });
});
