// `milab challenge list | start NAME | status | hint | submit | abandon`: timed challenges for
// certification prep. Each starts from a world its set-up prepares in your resource group (a
// scenario from a colleague, no steps), runs against a time limit that survives restarts, costs
// points per hint, and is judged — on submit or after the time limit — by read-only checks mapped
// to exam objectives. The end (submit, time up, abandon) removes what it made, by its tag.
import type { Command } from 'commander';
import { lazyAction } from '../run.js';

/** The actions, loaded when one runs: `milab --help` and the other commands never pay for them. */
const actions = () => import('./challenge-actions.js');

/** Options of the subcommands that print JSON. */
export interface JsonOption {
  json?: boolean;
}

const EXAMPLES = `
Examples:
  ./milab challenge list                       the challenges, their time limits, your last results
  ./milab challenge start wire-up-an-app       prepare its world, show the task, start the clock
  ./milab challenge status                     time left, hints used (after the time limit: the grade)
  ./milab challenge hint                       the next hint (each costs points: it says how many)
  ./milab challenge submit                     grade it, per exam objective, and clean up
  ./milab challenge abandon                    stop without a grade and clean up

One challenge runs at a time. Its start time is saved (<milab home>/challenge.json), so closing the
terminal or restarting the emulator does not stop the clock. Everything a challenge makes is tagged
workshop=milab, learner=<you>, challenge=<name> in your resource group; its end removes exactly that
(and the role assignments of those identities), nothing else.

On Azure, the VM challenges' app needs the VM's IMDS, which answers only on the VM: submit (or status
after the time limit) runs it there through Run Command, signed in as you (a write your roles allow,
the grader's Reader does not), and the read-only checks judge what it got. It takes about a minute.`;

const sub = (parent: Command, name: string, description: string, examples: string): Command =>
  parent.command(name).description(description).addHelpText('after', `\nExamples:\n${examples}`);

/** Registers `milab challenge`. */
export function registerChallenge(program: Command): void {
  const challenge = program
    .command('challenge')
    .description('Timed challenges: repair or build a world from a task, against the clock, graded per exam objective')
    .addHelpText('after', EXAMPLES);
  sub(challenge, 'list', 'List the challenges with their time limits, hints and your last result', '  ./milab challenge list\n  ./milab challenge list --json')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'list'));
  sub(challenge, 'start', 'Prepare a challenge\'s starting world in your resource group, show the task, and start the clock', '  ./milab challenge start least-privilege-audit --what-if\n  ./milab challenge start least-privilege-audit\n  ./milab challenge start app-cannot-get-a-token')
    .argument('<name>', 'the challenge (`./milab challenge list` names them)')
    .option('--what-if', 'say what the set-up would make, and make nothing')
    .action(lazyAction(actions, 'start'));
  sub(challenge, 'status', 'Show the running challenge: the task, time left and hints used; after the time limit, grade it', '  ./milab challenge status\n  ./milab challenge status --json')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'status'));
  sub(challenge, 'hint', 'Show the next hint of the running challenge; each costs the points it names', '  ./milab challenge hint')
    .action(lazyAction(actions, 'hint'));
  sub(challenge, 'submit', 'Grade the running challenge per exam objective, save the result, and remove what it made', '  ./milab challenge submit\n  ./milab challenge submit --json')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'submit'));
  sub(challenge, 'abandon', 'Stop the running challenge without a grade and remove what it made', '  ./milab challenge abandon')
    .action(lazyAction(actions, 'abandon'));
}
