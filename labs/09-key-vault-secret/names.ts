// Lab 09's names, shared by its programs (starter, solution) and its grader: the vault, the
// secret, and the Key Vault api-version of the control plane. Vault names are global in Azure
// (3-24 letters, digits and hyphens, starting with a letter, no `--`), so the learner id is
// shortened and the subscription's first 8 hex digits make it unique per subscription.
import type { LabNames } from '@milab/labs';

/** The secret the lab stores and the app reads. */
export const SECRET_NAME = 'app-greeting';
/** Key Vault's control plane (Microsoft.KeyVault/vaults); the data plane's is the SDK's own. */
export const VAULT_API_VERSION = '2025-05-01';
/** Key Vault's data plane: the resource (audience) of its tokens, and the scope to ask for. */
export const VAULT_RESOURCE = 'https://vault.azure.net';
export const VAULT_SCOPE = `${VAULT_RESOURCE}/.default`;

/** `kv-<learner, letters and digits, up to 11>-<subscription, first 8 hex digits>`. */
export function vaultName(names: Pick<LabNames, 'learnerId' | 'subscriptionId'>): string {
  const learner = names.learnerId.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 11) || 'learner';
  return `kv-${learner}-${names.subscriptionId.replace(/-/g, '').slice(0, 8).toLowerCase()}`;
}

/** The vault's ARM id, in the lab resource group. */
export function vaultId(names: Pick<LabNames, 'learnerId' | 'subscriptionId' | 'resourceGroupScope'>): string {
  return `${names.resourceGroupScope}/providers/Microsoft.KeyVault/vaults/${vaultName(names)}`;
}
