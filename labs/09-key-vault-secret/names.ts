// Lab 09's names, for its programs (starter, solution: `../names.js`): the vault, the secret, and
// the Key Vault api-version of the control plane. They live in labs/src/lab-names.ts, with labs
// 10's and 11's, where the graders and the CLI read them too (through @milab/labs).
export { SECRET_NAME, VAULT_API_VERSION, VAULT_RESOURCE, VAULT_SCOPE, vaultId, vaultName } from '../src/lab-names.js';
