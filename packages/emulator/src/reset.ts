// The offline half of `milab emulator reset`: the way out of a state directory the emulator
// refuses to start on. The world goes back to the seed; secrets, keys and certificates are
// kept, except one that is unusable (a StateFileError at start), which is moved aside as
// `<file>.corrupt` and made anew. Nothing is deleted.
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { ensureCertificates } from './certs.js';
import { loadSigningKey } from './entra/keys.js';
import { ensureSecrets } from './secrets.js';
import { StateFileError } from './state-error.js';
import { readWorld, WORLD_FILE, writeFileAtomic } from './store.js';
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
 * the emulator would refuse. Returns the files it moved aside (as `<file>.corrupt`).
 */
export function writeSeededWorld(stateDir: string): string[] {
  const moved: string[] = [];
  const world = join(stateDir, WORLD_FILE);
  // Only a world that is not usable is kept aside: a good one is simply replaced, as always.
  repair(() => readWorld(stateDir), moved);
  writeFileAtomic(world, JSON.stringify(seedWorld()));
  repair(() => ensureSecrets(stateDir), moved);
  repair(() => loadSigningKey(stateDir), moved);
  repair(() => ensureCertificates(stateDir), moved);
  return moved;
}
