// Lab 09's path on the emulator: the learner stores a secret (Key Vault Secrets Officer), grants
// the lab identity Key Vault Secrets User on the vault, and code "on" labvm reads the secret
// with the real SecretClient + ManagedIdentityCredential (IMDS through
// AZURE_POD_IDENTITY_AUTHORITY_HOST). MSAL keeps its managed identity state per process: this
// file uses one VM and one identity (vitest runs each file in its own worker).
import { ManagedIdentityCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED } from '../src/world.js';
import { startTestEmulator, type TestEmulator } from './helpers.js';
import { claimsOf, createIdentity, imdsOf, isolateManagedIdentityEnv, setVmIdentity, type CreatedIdentity } from './imds-helpers.js';
import { createVault, grant, secretClient } from './keyvault-helpers.js';

const VALUE = 'vm-read-test-value-5e2a';

describe('SecretClient with ManagedIdentityCredential on an emulated VM', () => {
  let emu: TestEmulator;
  let lab: CreatedIdentity;
  let vaultId: string;
  let vaultUri: string;
  let restoreEnv: () => void = () => undefined;

  beforeAll(async () => {
    emu = await startTestEmulator();
    restoreEnv = isolateManagedIdentityEnv(await imdsOf(emu));
    lab = await createIdentity(emu, 'lab-identity');
    await setVmIdentity(emu, { type: 'UserAssigned', userAssignedIdentities: { [lab.id]: {} } });
    const vault = await createVault(emu, 'milab-kv-vm');
    vaultId = vault.id ?? '';
    vaultUri = vault.properties.vaultUri ?? '';
    await grant(emu, vaultId, 'Key Vault Secrets Officer', SEED.principals.learner.objectId);
    await secretClient(emu, vaultUri, emu.as('learner').credential).setSecret('app-secret', VALUE);
  });
  afterAll(async () => {
    restoreEnv();
    await emu?.stop();
  });

  it('IMDS issues the identity a token for https://vault.azure.net', async () => {
    const token = await new ManagedIdentityCredential().getToken('https://vault.azure.net/.default');
    expect(claimsOf(token.token)).toMatchObject({ aud: 'https://vault.azure.net', oid: lab.principalId, xms_mirid: lab.id });
  });

  it('is refused (ForbiddenByRbac) until Key Vault Secrets User is granted on the vault, then reads the value', async () => {
    const client = secretClient(emu, vaultUri, new ManagedIdentityCredential());
    const refused = await client.getSecret('app-secret').then(
      () => undefined,
      (error: unknown) => error as { statusCode?: number; message?: string },
    );
    expect(refused?.statusCode).toBe(403);
    expect(refused?.message).toContain(`oid=${lab.principalId}`);
    await grant(emu, vaultId, 'Key Vault Secrets User', lab.principalId);
    const secret = await client.getSecret('app-secret');
    expect(secret.value).toBe(VALUE);
    // Secrets User reads values; it cannot write them.
    await expect(client.setSecret('app-secret', 'changed')).rejects.toMatchObject({ statusCode: 403 });
  });
});
