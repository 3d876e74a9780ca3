// `milab quiz NN [--seed S] [--answers 1=b,2=a+c,…] [--json]`: the lab's knowledge check —
// exam-style questions (labs/NN-slug/quiz.json), in an order drawn from a seed that is printed so
// a study group can share it, asked with prompts in a terminal or answered with --answers; then
// the score and why every option is right or wrong, saved with the learner's progress.
import type { Command } from 'commander';
import { lazyAction } from '../run.js';

/** The action, loaded when it runs: `milab --help` and the other commands never pay for it. */
const actions = () => import('./quiz-actions.js');

/** Options of `milab quiz`. */
export interface QuizOptions {
  seed?: string;
  answers?: string;
  json?: boolean;
}

const EXAMPLES = `
Examples:
  ./milab quiz 01                          ask lab 01's questions in the terminal (a new order each time)
  ./milab quiz 02 --seed group-7           the order everyone with the seed group-7 sees
  ./milab quiz 02 --seed group-7 --json    that order as JSON, without the answers
  ./milab quiz 02 --seed group-7 --answers 1=b,2=a+c,3=d,4=a,5=c
                                           answer without prompts (scripts, CI); add --json for JSON

--answers names questions by their number and options by their letter in the order the seed gives;
a multiple-answer question takes every right letter, joined by +. The result (score, and why each
option is right or wrong) is saved with your progress; \`./milab report --exam AZ-500\` shows it per
exam objective.`;

/** Registers `milab quiz`. */
export function registerQuiz(program: Command): void {
  program
    .command('quiz')
    .description("Test yourself on a lab with exam-style questions; the score and every option's explanation at the end, saved with your progress")
    .argument('<lab>', 'the lab: 01, 02, …')
    .option('--seed <seed>', 'the order of questions and options (letters, digits, dashes); printed at the top, so a group can share it')
    .option('--answers <answers>', 'answer without prompts: 1=b,2=a+c,… (needs --seed)')
    .option('--json', 'print JSON: the result with --answers, else the questions without their answers')
    .addHelpText('after', EXAMPLES)
    .action(lazyAction(actions, 'quiz'));
}
