// Lab 09, on the VM — the app reads its secret from Key Vault as the lab identity
// (id-milab-<learner>), with no credential stored anywhere: ManagedIdentityCredential gets the
// identity's tokens from the VM's IMDS, and SecretClient asks it for Key Vault's audience
// (https://vault.azure.net) after the vault's 401 challenge. The value is the app's to use:
// never printed, never logged. The reference solution (`./milab solve 09` puts it in your starter).
import { ResourceManagementClient } from '@azure/arm-resources';
import { ManagedIdentityCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { runVmLab, type VmLabContext } from '@milab/labs';
import { SECRET_NAME, VAULT_API_VERSION, vaultId, vaultName } from '../names.js';

/** The lab identity, chosen by its client id (the VM has more than one identity). */
export function credentialFor(ctx: VmLabContext): ManagedIdentityCredential {
  return new ManagedIdentityCredential({ clientId: ctx.clientId ?? '' });
}

/**
 * The value of secret `secretName` in the vault at `vaultUrl`, read as the lab identity.
 * `disableChallengeResourceVerification`: the emulator's vaults are on 127.0.0.1, not
 * `*.vault.azure.net`, which the SDK otherwise requires of the vault's host (harmless on Azure).
 */
export async function readSecret(ctx: VmLabContext, vaultUrl: string, secretName: string): Promise<string> {
  const client = new SecretClient(vaultUrl, credentialFor(ctx), { disableChallengeResourceVerification: true });
  const secret = await client.getSecret(secretName);
  if (secret.value === undefined) throw new Error(`the secret ${secretName} has no value`);
  return secret.value;
}

/** The vault's URL (properties.vaultUri), read from ARM with the identity's Reader (lab 02). */
export async function findVaultUrl(ctx: VmLabContext): Promise<string> {
  const arm = new ResourceManagementClient(credentialFor(ctx), ctx.names.subscriptionId, { endpoint: ctx.armEndpoint, credentialScopes: [`${ctx.armResource}.default`] });
  const vault = (await arm.resources.getById(vaultId(ctx.names), VAULT_API_VERSION)) as { properties?: { vaultUri?: string } };
  const url = vault.properties?.vaultUri;
  if (!url) throw new Error(`ARM returned the vault ${vaultName(ctx.names)} without its vaultUri`);
  return url;
}

export async function main(ctx: VmLabContext): Promise<void> {
  const vaultUrl = await findVaultUrl(ctx);
  const value = await readSecret(ctx, vaultUrl, SECRET_NAME);
  // What the app would do with it — here, say that it has it, without showing it.
  console.log(JSON.stringify({ vault: vaultUrl, secret: SECRET_NAME, read: true, length: value.length }, null, 2));
}

await runVmLab(import.meta.url, main);
