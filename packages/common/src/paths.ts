// Where milab's local state lives, for both sides: the client (core, the CLI, graders) and the
// emulator, which must find the same places on its own. Found from this package's location, not
// the current directory, so milab run from any sub-folder (or a lab's starter/) sees the same home.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Environment variables read to locate local state. */
type PathEnv = Readonly<Record<string, string | undefined>>;

/** The repository root (the folder holding pnpm-workspace.yaml), found from this file. */
export function repoRoot(start: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

/** The milab home, where all local state lives: `$MILAB_HOME`, else `<repo>/.milab` (gitignored). */
export function milabHome(env: PathEnv = process.env): string {
  const fromEnv = env.MILAB_HOME?.trim();
  return fromEnv ? resolve(fromEnv) : join(repoRoot(), '.milab');
}

/** The emulator's default state directory: `$MILAB_EMULATOR_DIR`, else `<milab home>/emulator`. */
export function defaultStateDir(env: PathEnv = process.env): string {
  const fromEnv = env.MILAB_EMULATOR_DIR?.trim();
  return fromEnv ? resolve(fromEnv) : join(milabHome(env), 'emulator');
}
