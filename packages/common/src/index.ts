// @milab/common: what core (the client side) and the emulator both need and neither owns.
export { AZURE_REGIONS, findRegion, normalizeRegion, suggestRegions, editDistance, type AzureRegion } from './regions.js';
export { repoRoot, milabHome, defaultStateDir } from './paths.js';
export { CONNECTION_FILE, connectionPath, isProcessAlive, readConnection, PRINCIPAL_NAMES, type EmulatorConnection, type PrincipalName, type PrincipalSecret, type VmEndpoint } from './connection.js';
export { ADMIN_RESET_PATH, ADMIN_KEY_HEADER, ADMIN_PROFILE_PATH, ADMIN_PRINCIPALS_PATH } from './admin.js';
