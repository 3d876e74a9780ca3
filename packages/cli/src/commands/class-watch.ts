// `milab class watch [--class DIR] [--interval S] [--serve [PORT]] [--lab NN …] [--once]`: the
// class grade again and again, live in the terminal and (with --serve) on a page on 127.0.0.1,
// within a stated share of ARM's read budget.
import { InvalidArgumentError, type Command } from 'commander';
import { lazyAction } from '../run.js';

/** The action, loaded when it runs. */
const actions = () => import('./class-watch-actions.js');

/** Options of `milab class watch`. */
export interface ClassWatchOptions {
  class?: string;
  interval?: number;
  serve?: number | true;
  lab?: string[];
  once?: boolean;
  program?: string[];
  reports?: string;
  concurrency?: number;
}

/** `--interval S`: whole seconds, 5 or more (the budget is checked once the class is known). */
export function parseInterval(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < 5 || n > 86_400) throw new InvalidArgumentError('expected whole seconds from 5 to 86400 (e.g. --interval 30), or leave it out: the watch picks it from its read budget.');
  return n;
}

/** `--serve PORT`: 0 (any free port) to 65535. */
export function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n > 65_535) throw new InvalidArgumentError('expected a port from 0 to 65535 (0: any free port), e.g. --serve 4280.');
  return n;
}

function parseConcurrency(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 32) throw new InvalidArgumentError('expected a whole number from 1 to 32.');
  return n;
}

const HELP = `
Each round is one \`milab class grade\`: one snapshot of the subscription as the grading principal
(a handful of paged ARM reads for the whole class), every learner graded from it. Rounds never
overlap: the next starts INTERVAL seconds after the previous one ended. A round that cannot grade
(the emulator stopped, the sign-in refused) is shown, and the watch keeps going.

Read budget: ARM limits reads per principal and subscription (a token bucket, 250 refilled 25/s;
older docs: 12,000 reads an hour). The watch keeps to the stricter 12,000 reads/h and uses at most
a quarter of it (3,000 reads/h), leaving the rest to \`class grade\` and your own tools. By default
the interval is the smallest that stays within that share for the reads a round takes in one
subscription (at least 5 s; 8 s for a shared class's 6 reads); an --interval that would exceed
it is refused, naming the smallest allowed. The terminal's footer and the page's say the numbers.

The page (--serve) binds 127.0.0.1 only, loads nothing from elsewhere, and shows no token or secret.
Ctrl-C (or SIGTERM) stops: the page's server closes, exit 0.

Examples:
  ./milab class watch --class myclass --serve          (the page on http://127.0.0.1:4280/)
  ./milab class watch --class myclass --serve 0 --interval 30 --lab 01 02
  ./milab class watch --class myclass --once           (one round, exit code as class grade)`;

/** Registers `milab class watch` on the `class` command. */
export function registerClassWatch(classCommand: Command): void {
  classCommand
    .command('watch')
    .description("Follow the class live: re-grade every few seconds (within a quarter of ARM's read budget), a live table here, a page with --serve")
    .option('--class <dir>', 'the class folder (default: $MILAB_CLASS_DIR, or the current directory)')
    .option('--interval <s>', 'seconds between rounds, 5 or more (default: the smallest within the read budget)', parseInterval)
    .option('--serve [port]', 'serve the live page on http://127.0.0.1:PORT/ (default 4280; 0: any free port)', parsePort)
    .option('--lab <NN...>', 'grade only these labs (default: every lab)')
    .option('--once', 'one round, then exit (0 all passed, 1 something to fix, 2 could not grade)')
    .option('--program <NN=file...>', "emulator: the lab 04 / 05 program (or lab 06's vm.ts) to run on every learner's VM (default: the lab's starter)")
    .option('--reports <dir>', "Azure: the folder of the learners' lab 04–09 reports (`./milab grade 04 --json` run on their VM), read again each round")
    .option('--concurrency <n>', 'learners graded at once (their VM programs run at once), 1–32 (default: up to 4, one per CPU)', parseConcurrency)
    .addHelpText('after', HELP)
    .action(lazyAction(actions, 'classWatch'));
}
