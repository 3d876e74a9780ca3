// `milab grade [NN…|all] [--json] [--junit FILE] [--watch] [--classroom | --classroom-json]`: runs the graders in-process (reading
// as the grader principal; several labs in one process), shows progress then the summary, saves
// each lab's result, and exits 0 (all passed), 1 (something to fix) or 2 (could not grade).
// `--watch` grades again whenever a file under the graded labs' folders changes, and polls the
// cloud state every 15 s (printing only when the result changes); Ctrl-C stops it.
// `--classroom` prints the result as GitHub Classroom's grading reporter reads it (base64 JSON,
// one test per check: classroom/result.ts); `--classroom-json` the same JSON, readable.
import { InvalidArgumentError, type Command } from 'commander';
import { lazyAction } from '../run.js';

/** The action, loaded when it runs: `milab --help` and the other commands never pay for it. */
const actions = () => import('./grade-actions.js');

/** Options of `milab grade`. */
export interface GradeOptions {
  json?: boolean;
  junit?: string;
  watch?: boolean;
  /** Seconds between polls of the cloud state in watch mode. */
  interval?: number;
  /** Print the GitHub Classroom reporter's result, base64-encoded as the reporter reads it. */
  classroom?: boolean;
  /** Print the same result as plain JSON (for people and scripts). */
  classroomJson?: boolean;
}

/** The default poll interval in watch mode: modest, to stay far below ARM's read limits. */
export const WATCH_POLL_SECONDS = 15;

function parseSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 2) throw new InvalidArgumentError('expected a number of seconds, 2 or more.');
  return n;
}


/** Registers `milab grade`. */
export function registerGrade(program: Command): void {
  program
    .command('grade')
    .description('Check your work on a lab (several, or all of them) and save the result; exit 0 passed, 1 something to fix, 2 could not grade')
    .argument('[labs...]', 'the labs: 01, 02, … (several in one run: 01 02 03) or all (the default)')
    .option('--json', 'print the report as JSON on stdout (the progress goes to stderr)')
    .option('--junit <file>', 'also write a JUnit XML report to FILE')
    .option('-w, --watch', `grade again when a lab file changes, and poll the cloud every ${WATCH_POLL_SECONDS} s; Ctrl-C stops`)
    .option('--interval <seconds>', `poll interval in watch mode (default ${WATCH_POLL_SECONDS})`, parseSeconds)
    .option('--classroom', "print the result for GitHub Classroom's grading reporter on stdout (base64 JSON, one test per check; the summary goes to stderr)")
    .option('--classroom-json', 'print that same result as plain JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  ./milab grade 01\n  ./milab grade 01 02 03\n  ./milab grade all --junit reports/milab.xml\n  ./milab grade 02 --watch\n  echo "result=$(./milab grade all --classroom)" >> "$GITHUB_OUTPUT"   (a GitHub Classroom workflow: `./milab classroom init`)',
    )
    .action(lazyAction(actions, 'grade'));
}
