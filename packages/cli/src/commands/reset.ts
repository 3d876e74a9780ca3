// `milab reset NN`: restores the lab's starter (labs/NN-slug/starter/, which the learner edits in
// place) from git. Saved grades and hints are kept; nothing in Azure is changed.
import type { Command } from 'commander';
import { lazyAction } from '../run.js';

/** The action, loaded when it runs: `milab --help` and the other commands never pay for it. */
const actions = () => import('./reset-actions.js');

/** Registers `milab reset`. */
export function registerReset(program: Command): void {
  program
    .command('reset')
    .description("Restore a lab's starter code from git (your progress and your Azure resources are kept)")
    .argument('<lab>', 'the lab: 01, 02, …')
    .action(lazyAction(actions, 'reset'));
}
