// The names labs 09-11 give what they make, in one place: their programs (through each lab's
// names.ts, which re-exports these, so that a program imports `../names.js`), their setups,
// `milab solve`, and the graders (through @milab/labs) all read these. Kept free of runtime
// imports: a lab 09 program on the VM loads this file, and nothing else of @milab/labs with it.
import type { LabNames } from './names.js';

// Lab 09: the vault, the secret, and the Key Vault api-version of the control plane. Vault names
// are global in Azure (3-24 letters, digits and hyphens, starting with a letter, no `--`), so the
// learner id is shortened and the subscription's first 8 hex digits make it unique per subscription.

/** The secret lab 09 stores and the app reads. */
export const SECRET_NAME = 'app-greeting';
/** Key Vault's control plane (Microsoft.KeyVault/vaults): @azure/arm-keyvault 4.0.0's; the data plane's is the SDK's own. */
export const VAULT_API_VERSION = '2025-05-01';
/** Key Vault's data plane: the resource (audience) of its tokens, and the scope to ask for. */
export const VAULT_RESOURCE = 'https://vault.azure.net';
export const VAULT_SCOPE = `${VAULT_RESOURCE}/.default`;

/** Lab 09's vault: `kv-<learner, letters and digits, up to 11>-<subscription, first 8 hex digits>`. */
export function vaultName(names: Pick<LabNames, 'learnerId' | 'subscriptionId'>): string {
  const learner = names.learnerId.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 11) || 'learner';
  return `kv-${learner}-${names.subscriptionId.replace(/-/g, '').slice(0, 8).toLowerCase()}`;
}

/** Lab 09's vault's ARM id, in the lab resource group. */
export function vaultId(names: Pick<LabNames, 'learnerId' | 'subscriptionId' | 'resourceGroupScope'>): string {
  return `${names.resourceGroupScope}/providers/Microsoft.KeyVault/vaults/${vaultName(names)}`;
}

// Lab 10: the two container groups, in the lab resource group, and the api-version of
// Microsoft.ContainerInstance/containerGroups. Container group names are 1-63 lowercase letters,
// digits and hyphens, unique in their group.

/** Lab 10's container groups' resource type (lab 11 finds them by it in the lab resource group). */
export const CONTAINER_GROUP_TYPE = 'Microsoft.ContainerInstance/containerGroups';
/** Microsoft.ContainerInstance's control plane (what @azure/arm-containerinstance 9.1.0 sends). */
export const CONTAINER_API_VERSION = '2023-05-01';
/**
 * The container's image. Learn's "How to use managed identities with Azure Container Instances"
 * uses mcr.microsoft.com/azure-cli kept alive with `tail -f /dev/null`; this image also has
 * Node.js 20 and git, so on Azure the lab 05 program can run in it (clone this repository there).
 * The emulator pulls nothing: its containers are processes on this machine.
 */
export const CONTAINER_IMAGE = 'mcr.microsoft.com/devcontainers/javascript-node:20';
/** What the container runs: nothing, kept alive, so that you can exec into it. */
export const CONTAINER_COMMAND = ['tail', '-f', '/dev/null'] as const;

/** The group that runs with the lab identity (user-assigned): `ci-milab-<learner>`. */
export function containerGroupName(names: Pick<LabNames, 'learnerId'>): string {
  return `ci-milab-${names.learnerId}`.toLowerCase();
}

/** The group with a system-assigned identity of its own: `ci-milab-<learner>-sys`. */
export function systemContainerGroupName(names: Pick<LabNames, 'learnerId'>): string {
  return `${containerGroupName(names)}-sys`;
}

/** A container group's ARM id in the lab resource group. */
export function containerGroupId(names: Pick<LabNames, 'resourceGroupScope'>, name: string): string {
  return `${names.resourceGroupScope}/providers/Microsoft.ContainerInstance/containerGroups/${name}`;
}

// Lab 11: the decoy, the lab VM's mark that lab 11 began, and where a deleted vault waits. What the
// clean-up deletes besides lab 01's identity is lab 09's vault and lab 10's groups (above).

/**
 * The decoy: an identity in the lab resource group whose name looks like the workshop's
 * (`id-milab-<learner>-reports`) but which carries no milab tags — another team's, made by lab
 * 11's setup with Reader on the group. A clean-up by name deletes it; one by tag leaves it.
 */
export function decoyName(names: Pick<LabNames, 'identity'>): string {
  return `${names.identity}-reports`;
}

/** The decoy's tags: an owner, and none of milab's (`workshop`, `learner`, `lab`). */
export const DECOY_TAGS: Readonly<{ owner: string; purpose: string }> = Object.freeze({ owner: 'reporting-team', purpose: 'monthly cost reports' });

/**
 * The tag lab 11's setup puts on the lab VM (which stays through the clean-up: it is the lab's):
 * that lab 11 has started. After a clean-up nothing else says so when the decoy is gone too, and
 * without it a learner who has not reached lab 11 would be graded on it.
 */
export const SETUP_TAG = 'milab-lab11';
export const SETUP_TAG_VALUE = 'set-up';

/** Microsoft.KeyVault's deleted vault of `name` (soft-deleted, holding the name), in `location`. */
export function deletedVaultPath(names: Pick<LabNames, 'subscriptionId'>, location: string, name: string): string {
  return `/subscriptions/${names.subscriptionId}/providers/Microsoft.KeyVault/locations/${location}/deletedVaults/${name}`;
}
