// `milab solve NN`: the instructor's skip. Prepares the lab's starting state if it has one, then
// runs the reference solution (labs/NN-slug/solution/) as the learner against the configured
// target, exactly as a learner's finished starter would run. For a lab graded on its program
// (04, 05, which run on the VM), the solution goes into the starter and runs on the VM.
import type { Command } from 'commander';
import { lazyAction } from '../run.js';

/** The action, loaded when it runs: `milab --help` and the other commands never pay for it. */
const actions = () => import('./solve-actions.js');

/** Registers `milab solve`. */
export function registerSolve(program: Command): void {
  program
    .command('solve')
    .description("Run a lab's reference solution as you, on the configured target (the instructor's skip)")
    .argument('<lab>', 'the lab: 01, 02, …')
    .action(lazyAction(actions, 'solve'));
}
