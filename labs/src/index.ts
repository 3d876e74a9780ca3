// @milab/labs: the labs (labs/NN-slug/) and the code that lists them, hands their programs a
// context, runs them, and prepares their starting state.
export * from './manifest.js';
export * from './names.js';
// Labs 09-11's names (vault, container groups, decoy, tags, api-versions): their programs, graders and the CLI share them.
export * from './lab-names.js';
export * from './context.js';
export * from './run.js';
export { prepareLab } from './setups.js';
export * from './reset.js';
export * from './vm.js';
export * from './exam.js';
