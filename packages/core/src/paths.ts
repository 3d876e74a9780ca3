// Where milab keeps local state. The home is found from the repository's own location, not the
// current directory, so milab run from any sub-folder (or a lab's starter/) sees the
// same config and the same emulator. The emulator needs the same places, so the rules live in
// @milab/common, which both import (core does not load the emulator to find them); core
// re-exports them.
import { join } from 'node:path';
import { defaultStateDir, milabHome, repoRoot } from '@milab/common';

export { milabHome, repoRoot };

/** Environment variables read to locate local state. */
type PathEnv = Readonly<Record<string, string | undefined>>;

/** The config file `milab config set` writes: `<home>/config.json`. */
export function configFilePath(env: PathEnv = process.env): string {
  return join(milabHome(env), 'config.json');
}

/** The emulator's state directory: `MILAB_EMULATOR_DIR`, or `<home>/emulator`. */
export function emulatorDir(env: PathEnv = process.env): string {
  return defaultStateDir(env);
}
