// Where milab keeps local state. The home is found from this file's own location, not the
// current directory, so `pnpm milab …` run from any sub-folder (or a lab's starter/) sees the
// same config and the same emulator.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Environment variables read to locate local state. */
type PathEnv = Readonly<Record<string, string | undefined>>;

/**
 * The repository root: the nearest folder above this package holding `pnpm-workspace.yaml`
 * (this file sits at `packages/core/src` or, built, `packages/core/dist`).
 */
export function repoRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    if (dirname(dir) === dir) return resolve(here, '..', '..', '..');
  }
}

/** The milab home: `MILAB_HOME`, or `<repo root>/.milab` (gitignored). */
export function milabHome(env: PathEnv = process.env): string {
  const fromEnv = env.MILAB_HOME?.trim();
  return fromEnv ? resolve(fromEnv) : join(repoRoot(), '.milab');
}

/** The config file `milab config set` writes: `<home>/config.json`. */
export function configFilePath(env: PathEnv = process.env): string {
  return join(milabHome(env), 'config.json');
}

/** The emulator's state directory: `MILAB_EMULATOR_DIR`, or `<home>/emulator`. */
export function emulatorDir(env: PathEnv = process.env): string {
  const fromEnv = env.MILAB_EMULATOR_DIR?.trim();
  return fromEnv ? resolve(fromEnv) : join(milabHome(env), 'emulator');
}
