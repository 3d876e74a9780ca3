// `milab hint NN`: the lab's next hint each time it is asked (they are progressive and live in
// lab.json); after the last one, the last one again and the way out. `--reset` starts over.
import type { Command } from 'commander';
import { lazyAction } from '../run.js';

/** The action, loaded when it runs: `milab --help` and the other commands never pay for it. */
const actions = () => import('./hint-actions.js');

/** Registers `milab hint`. */
export function registerHint(program: Command): void {
  program
    .command('hint')
    .description("Show the lab's next hint (one more each time you ask)")
    .argument('<lab>', 'the lab: 01, 02, …')
    .option('--reset', 'start again from the first hint')
    .action(lazyAction(actions, 'hint'));
}
