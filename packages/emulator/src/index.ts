// @milab/emulator: a local Azure (Entra token service, ARM with real RBAC) for the workshop.
export * from './connection.js';
export { parseConfig, defaultStateDir, defaultPort, repoRoot, milabHome, ConfigError, DEFAULT_PORT, HOST, type EmulatorConfig, type EmulatorOptions } from './config.js';
export { createEmulator, EmulatorStartError, ADMIN_RESET_PATH, ADMIN_KEY_HEADER, ADMIN_PROFILE_PATH, type Emulator } from './server.js';
export {
  applyProfileFlags,
  describeProfile,
  emptyProfile,
  AZURE_THROTTLE,
  IMDS_LIMITS,
  type Profile,
  type ProfileFlags,
} from './profiles.js';
export { IMDS_PORTS_FILE, IMDS_RESOURCE_TYPES, type ImdsManager, type ImdsResourceKind } from './imds/manager.js';
export { CONTAINER_GROUP_TYPE } from './handlers/containerGroups.js';
export { errors, ArmError, EntraError } from './errors.js';
export { SEED, seedWorld } from './world.js';
export { readWorld, type Store } from './store.js';
export { writeSeededWorld } from './reset.js';
export { StateFileError } from './state-error.js';
export { readAudit, clearAudit, AUDIT_FILE, AUDIT_OLD_FILE, type AuditEntry, type AuditQuery } from './audit.js';
export { BUILTIN_ROLES, BUILTIN_ROLE_IDS, type RoleDefinition } from './roles.js';
export { TokenIssuer, MANAGED_IDENTITY_TOKEN_LIFETIME_SECONDS, APP_TOKEN_LIFETIME_SECONDS, type MintRequest, type MintedToken } from './entra/tokens.js';
export { managedIdentityResourceId } from './identity.js';
export type { VmChange, EmulatorEvents } from './events.js';
export type { WorldState, Principal, ResourceRecord, ResourceIdentity, RoleAssignmentRecord } from './model.js';
export { startDetached, stopEmulator, binPath, LaunchError, PROCESS_LOG_FILE, type DetachOptions } from './launcher.js';
export { VM_UNSET_ENV, vmEnv, vmAzEnv, vmProcessEnv, vmEndpoint, containerGroupEndpoint, isContainerGroupEndpoint, azConfigDir, prepareAzConfigDir, caBundlePath, caEnv, writeCaBundle, CA_BUNDLE_FILE } from './vm-env.js';
export { EMULATOR_CLOUD_NAME } from './handlers/metadata.js';
export { callProfileAdmin, type AdminProfileAnswer } from './admin-client.js';
export { callPrincipalsAdmin, PrincipalsAdminError, ADMIN_PRINCIPALS_PATH, type ClassPrincipal, type AdminPrincipalsRequest } from './admin-client.js';
