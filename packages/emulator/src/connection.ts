// The contract between a running emulator and its clients: connection.json. It is defined in
// @milab/common (connection.ts), so that clients read it without loading the emulator, and
// re-exported here as part of the emulator's API. Its `profile` is the emulator's `Profile`
// (profiles.ts); the shared type leaves it `unknown`, since no client reads it.
export {
  CONNECTION_FILE,
  connectionPath,
  isProcessAlive,
  readConnection,
  PRINCIPAL_NAMES,
  type EmulatorConnection,
  type PrincipalName,
  type PrincipalSecret,
  type VmEndpoint,
} from '@milab/common';
