// Lab 11's names, shared by its setup, its programs (starter, solution) and, copied, its grader
// (graders/11-clean-up-state.ts; graders/test/11-clean-up.test.ts checks they agree): the decoy,
// and what the clean-up deletes besides lab 01's identity — lab 09's vault (labs/09's names) and
// lab 10's container groups, found by their type in the lab resource group.
import type { LabNames } from '@milab/labs';

export { VAULT_API_VERSION, vaultName } from '../09-key-vault-secret/names.js';

/**
 * The decoy: an identity in the lab resource group whose name looks like the workshop's
 * (`id-milab-<learner>-reports`) but which carries no milab tags — another team's, made by lab
 * 11's setup with Reader on the group. A clean-up by name deletes it; one by tag leaves it.
 */
export function decoyName(names: Pick<LabNames, 'identity'>): string {
  return `${names.identity}-reports`;
}

/** The decoy's tags: an owner, and none of milab's (`workshop`, `learner`, `lab`). */
export const DECOY_TAGS: Readonly<Record<string, string>> = Object.freeze({ owner: 'reporting-team', purpose: 'monthly cost reports' });

/**
 * The tag lab 11's setup puts on the lab VM (which stays through the clean-up: it is the lab's):
 * that lab 11 has started. After a clean-up nothing else says so when the decoy is gone too, and
 * without it a learner who has not reached lab 11 would be graded on it.
 */
export const SETUP_TAG = 'milab-lab11';
export const SETUP_TAG_VALUE = 'set-up';

/** Lab 10's container groups' type, and the api-version @azure/arm-containerinstance 9.1.0 sends (as labs/10's names.ts). */
export const CONTAINER_GROUP_TYPE = 'Microsoft.ContainerInstance/containerGroups';
export const CONTAINER_API_VERSION = '2023-05-01';

/** Microsoft.KeyVault's deleted vault of `name` (soft-deleted, holding the name), in `location`. */
export function deletedVaultPath(names: Pick<LabNames, 'subscriptionId'>, location: string, name: string): string {
  return `/subscriptions/${names.subscriptionId}/providers/Microsoft.KeyVault/locations/${location}/deletedVaults/${name}`;
}
