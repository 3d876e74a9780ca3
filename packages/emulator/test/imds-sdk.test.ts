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
import { claimsOf, createIdentity, grantReader, imdsOf, isolateManagedIdentityEnv, setVmIdentity, type CreatedIdentity } from './imds-helpers.js';


describe('ManagedIdentityCredential against an emulated VM', () => {
  let emu: TestEmulator;
  let lab: CreatedIdentity;
  let second: CreatedIdentity;
  let restoreEnv: () => void = () => undefined;

  beforeAll(async () => {
    emu = await startTestEmulator();
    restoreEnv = isolateManagedIdentityEnv(await imdsOf(emu));
    lab = await createIdentity(emu, 'lab-identity');
    second = await createIdentity(emu, 'second-identity');
    await setVmIdentity(emu, { type: 'UserAssigned', userAssignedIdentities: { [lab.id]: {} } });
  });
  afterAll(async () => {
    restoreEnv();
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
