// `milab doctor`: is this machine ready for the labs? One line per check, pass or fail with the
// fix: Node version, config, target reachable, signed in, subscription readable.
import { Option, type Command } from 'commander';
import { beforeParsing, lazyAction } from '../run.js';

/** The action, loaded when it runs: `milab --help` and the other commands never pay for it. */
const actions = () => import('./doctor-actions.js');

/** Registers `milab doctor`. */
export function registerDoctor(program: Command): void {
  const as = new Option('--as <principal>', 'emulator target: the seeded principal to sign in as').default('learner');
  program
    .command('doctor')
    .description('Check this machine is ready: Node version, config, target reachable, signed in, subscription readable')
    .option('--json', 'print the checks as JSON')
    .addOption(as)
    .addHelpText('after', '\nExit codes: 0 every check passed, 1 otherwise. Each failed check says how to fix it.')
    .action(lazyAction(actions, 'doctor'));
  // The principals' names come with the actions' module (from @milab/emulator).
  beforeParsing(program, 'doctor', async () => {
    as.choices([...(await actions()).PRINCIPAL_NAMES]);
  });
}
