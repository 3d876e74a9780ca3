// The emulator's admin endpoints, guarded by the key in connection.json: part of the contract
// between a running emulator and its clients (the CLI, graders), like connection.json itself, so
// a client calls them without loading the emulator.

/** Back to the seeded world: `POST`. */
export const ADMIN_RESET_PATH = '/_milab/reset';
/** The header that carries connection.json's `adminKey`. */
export const ADMIN_KEY_HEADER = 'x-milab-admin-key';
/** The profile: `GET` shows it, `POST {set?, clear?, scope?}` changes it. */
export const ADMIN_PROFILE_PATH = '/_milab/profile';
/** Class principals: `GET` lists them, `POST {create?|delete?}` changes them. */
export const ADMIN_PRINCIPALS_PATH = '/_milab/principals';
