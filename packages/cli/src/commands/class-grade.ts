// `milab class grade [--class DIR] [--lab NN …] [--csv F [--csv-format milab|canvas|moodle]] [--json]
// [--html F] [--junit DIR] [--reports DIR]`: grades every learner of a class from one read of the subscription, with the
// checks `milab grade` uses, and shows the scoreboard and the most common mistakes; exits 0 (every
// learner passed every lab), 1 (something to fix) or 2 (could not grade).
import { InvalidArgumentError, Option, type Command } from 'commander';
import { lazyAction } from '../run.js';

/** The action, loaded when it runs. */
const actions = () => import('./class-grade-actions.js');

/** Options of `milab class grade`. */
export interface ClassGradeOptions {
  class?: string;
  lab?: string[];
  csv?: string;
  /** The CSV's layout: milab (per check, the default), canvas or moodle (per lab, for the LMS import). */
  csvFormat?: 'milab' | 'canvas' | 'moodle';
  json?: boolean;
  html?: string;
  junit?: string;
  reports?: string;
  program?: string[];
  concurrency?: number;
}

function parseConcurrency(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 32) throw new InvalidArgumentError('expected a whole number from 1 to 32.');
  return n;
}

const EXAMPLES = `
Examples:
  ./milab class grade --class myclass
  ./milab class grade --class myclass --lab 01 02 --csv grades.csv --html grades.html
  ./milab class grade --class myclass --json > grades.json
  ./milab class grade --class myclass --lab 03 --csv lab03.csv --csv-format canvas   (Canvas: Grades → Import; one assignment)
  ./milab class grade --class myclass --csv grades.csv --csv-format moodle           (Moodle: Grades → Import → CSV file)
  ./milab class grade --class myclass --reports handed-in/      (Azure: labs 04–09 from the learners)
  ./milab class grade --class myclass --lab 09 --program 09=labs/09-key-vault-secret/solution/vm.ts   (emulator)

The grader reads as a Reader-only principal (the emulator's seeded grader; on Azure whoever signs
in) and refuses to run as one that can write at or above the subscription. Labs 04–09 run each
learner's program on their VM: the class grade does it on the emulator; on Azure each learner runs
\`./milab grade 04 --json > <learner>-04.json\` (and 05–09) on their VM and hands the file in.`;

/** Registers `milab class grade` on the `class` command. */
export function registerClassGrade(classCommand: Command): void {
  classCommand
    .command('grade')
    .description('Grade every learner from one read of the subscription; exit 0 all passed, 1 something to fix, 2 could not grade')
    .option('--class <dir>', 'the class folder (default: $MILAB_CLASS_DIR, or the current directory)')
    .option('--lab <NN...>', 'grade only these labs (default: every lab)')
    .option('--csv <file>', 'also write the gradebook CSV (one row per learner; see --csv-format) to FILE')
    .addOption(
      new Option('--csv-format <format>', "the CSV's layout: milab (a column per check, with totals), canvas or moodle (a column per lab, as their grade imports take it; the roster's lmsId identifies the learner)")
        .choices(['milab', 'canvas', 'moodle'])
        .default('milab'),
    )
    .option('--json', 'print the class result as JSON on stdout (the scoreboard then goes to stderr)')
    .option('--html <file>', 'also write a self-contained HTML report to FILE')
    .option('--junit <dir>', 'also write one JUnit XML report per learner into DIR (<learner>.xml)')
    .option('--reports <dir>', "Azure: the folder of the learners' lab 04–09 reports (`./milab grade 04 --json` run on their VM), <learner>-04.json")
    .option('--program <NN=file...>', "emulator: a VM lab's program to run on every learner's VM (lab 10: in their container groups), 04–10 (labs 06, 07, 09 and 10: their vm.ts; lab 10 also runs lab 05's program; default: the lab's starter)")
    .option('--concurrency <n>', 'learners graded at once (their VM programs run at once), 1–32 (default: up to 4, one per CPU)', parseConcurrency)
    .addHelpText('after', EXAMPLES)
    .action(lazyAction(actions, 'classGrade'));
}
