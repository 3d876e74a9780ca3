// `milab start`: the learner's front door. On the emulator target it starts the emulator in the
// background if it is not running; on Azure it checks that you are signed in. Then it grades
// every lab (reading only), saves the result, shows where you stand, prepares the next lab's
// starting state if it has one, and says what to do next.
import type { Command } from 'commander';
import { lazyAction } from '../run.js';

/** The action, loaded when it runs: `milab --help` and the other commands never pay for it. */
const actions = () => import('./start-actions.js');

/** Registers `milab start`. */
export function registerStart(program: Command): void {
  program
    .command('start')
    .description('Start here: start the emulator if needed, see where you stand, and what to do next')
    .action(lazyAction(actions, 'start'));
}
