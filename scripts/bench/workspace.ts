// The workspace packages and the HTTP client the suite uses, in one place. The repository root
// depends only on @milab/cli, so the packages are reached through their `source` entry points
// (what `--conditions=source` resolves them to) and undici through @milab/emulator's own copy;
// the suite needs no dependency of its own. Only public entry points: what tests and the CLI use.
export { createEmulator, parseConfig, readConnection, readAudit, startDetached, stopEmulator, type Emulator, type EmulatorConnection } from '../../packages/emulator/src/index.js';
export { GRADERS } from '../../graders/index.js';
export { startLabWorld, type LabWorld } from '../../graders/test/support.js';
export { createGraderContext } from '../../graders/index.js';
export { runChecks, type Check } from '../../packages/grading/src/index.js';
export { Agent, Pool, request } from '../../packages/emulator/node_modules/undici/index.js';
export { measureStore, type StoreNumbers } from '../../packages/emulator/scripts/bench-store.js';
