// The offline half of `milab emulator reset`: the way out of a state directory the emulator
// refuses to start on. The world goes back to the seed; secrets, keys and certificates are
// kept, except one that is unusable (a StateFileError at start), which is moved aside as
// `<file>.corrupt` and made anew. Only the class principals' secrets are deleted: their
// principals went with the world.
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureCertificates } from './certs.js';
import { loadSigningKey } from './entra/keys.js';
import { checkKeyVaultFile } from './keyvault/state.js';
import { describeOwner, StateLock } from './lock.js';
import { ensureSecrets, PRINCIPAL_SECRETS_FILE } from './secrets.js';
import { EmulatorStartError } from './server.js';
import { StateFileError } from './state-error.js';
import { readWorld, writeWorld } from './store.js';
import { seedWorld } from './world.js';

/** Runs `load` until it stops refusing a file, moving each refused file aside. */
function repair(load: () => unknown, moved: string[]): void {
  for (let attempt = 0; attempt < 8; attempt++) {
    try {
      load();
      return;
    } catch (error) {
      if (!(error instanceof StateFileError)) throw error;
      renameSync(error.file, `${error.file}.corrupt`);
      moved.push(error.file);
    }
  }
}

/**
 * Writes the seeded world into `stateDir` and makes anew any secrets, key or certificate file
 * the emulator would refuse. Returns the files it moved aside (as `<file>.corrupt`). Refused
 * (EmulatorStartError `AlreadyRunning`) while an emulator holds the directory's lock.
 */
export function writeSeededWorld(stateDir: string): string[] {
  // Held while resetting, so no emulator starts on (or serves) a directory being rewritten.
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const taken = StateLock.acquire(stateDir);
  if ('owner' in taken) throw new EmulatorStartError('AlreadyRunning', `${describeOwner(stateDir, taken.owner)}: run \`./milab emulator reset\` again once it serves (it resets a running emulator), or stop it first`);
  try {
    return reseed(stateDir);
  } finally {
    taken.lock.release();
  }
}

function reseed(stateDir: string): string[] {
  const moved: string[] = [];
  // Only a world that is not usable (world.mdb, or a world.json not migrated yet) is kept
  // aside: a good one is simply replaced, as always.
  repair(() => readWorld(stateDir), moved);
  writeWorld(stateDir, seedWorld());
  rmSync(join(stateDir, PRINCIPAL_SECRETS_FILE), { force: true });
  repair(() => ensureSecrets(stateDir), moved);
  repair(() => loadSigningKey(stateDir), moved);
  repair(() => ensureCertificates(stateDir), moved);
  // keyvault.json belongs to the old world (a good one is emptied on first use); only one that
  // is not usable is put aside, so the start no longer stops on it.
  repair(() => checkKeyVaultFile(stateDir), moved);
  return moved;
}
