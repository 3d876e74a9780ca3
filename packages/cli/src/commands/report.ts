// `milab report --exam AZ-500 [--html FILE] [--json]`: readiness per exam objective line — the
// labs, grader checks and quiz questions that cover each line and where the learner stands on
// them (from the saved grades and quiz results), so a study group sees where to spend its next hour.
import type { Command } from 'commander';
import { lazyAction } from '../run.js';

/** The action, loaded when it runs: `milab --help` and the other commands never pay for it. */
const actions = () => import('./report-actions.js');

/** Options of `milab report`. */
export interface ReportOptions {
  exam?: string;
  html?: string;
  json?: boolean;
}

const EXAMPLES = `
Examples:
  ./milab report --exam AZ-500                 where you stand on each AZ-500 objective line
  ./milab report --exam AZ-104 --json          the same as JSON
  ./milab report --exam AZ-204 --html ready.html
                                               a page to open or share with your study group

Standing comes from your saved progress: the last \`./milab grade\` of each lab (on the current
target) and the last \`./milab quiz\` of each lab. Nothing is graded by this command.`;

/** Registers `milab report`. */
export function registerReport(program: Command): void {
  program
    .command('report')
    .description('Show your readiness per exam objective: the labs, checks and questions covering each, and your standing on them')
    .requiredOption('--exam <exam>', 'the exam: AZ-104, AZ-204, AZ-500 or SC-500')
    .option('--html <file>', 'also write the report as one HTML page to FILE')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', EXAMPLES)
    .action(lazyAction(actions, 'report'));
}
