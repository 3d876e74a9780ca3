// Lab 11's names, for its setup and its programs (starter, solution: `../names.js`): the decoy, the
// lab VM's mark that lab 11 began, and what the clean-up deletes besides lab 01's identity — lab
// 09's vault (soft-deleted, then purged) and lab 10's container groups, found by their type in the
// lab resource group. They live in labs/src/lab-names.ts, where the grader reads them too.
export {
  CONTAINER_API_VERSION,
  CONTAINER_GROUP_TYPE,
  DECOY_TAGS,
  decoyName,
  deletedVaultPath,
  SETUP_TAG,
  SETUP_TAG_VALUE,
  VAULT_API_VERSION,
  vaultName,
} from '../src/lab-names.js';
