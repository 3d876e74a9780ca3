// `@milab/emulator/vm`: the little a program on an emulated VM or container group needs (its
// environment, its endpoint, the seeded world's names and the built-in role ids), without the
// emulator itself: every module a VM program loads passes through tsx's loader hooks, and the
// whole emulator is about 225 of the 650 modules of a lab 09 run (about 1 s of CPU each run).
export { VM_UNSET_ENV, vmEnv, vmAzEnv, vmProcessEnv, vmEndpoint, containerGroupEndpoint, isContainerGroupEndpoint } from './vm-env.js';
export { SEED } from './world.js';
export { BUILTIN_ROLE_IDS } from './roles.js';
