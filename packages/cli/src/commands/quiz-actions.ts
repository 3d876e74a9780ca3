// What `milab quiz` does (registered, with its options, in quiz.ts), loaded only when it runs.
import { MilabError } from '@milab/core';
import { findLab, listLabs } from '@milab/labs';
import { recordQuiz } from '../progress.js';
import { askPaper } from '../quiz/interactive.js';
import { checkSeed, newSeed, paperOf, parseAnswers, score, type QuizResult } from '../quiz/paper.js';
import { resultJson, resultText, sheetJson } from '../quiz/render.js';
import { readQuiz } from '../quiz/schema.js';
import type { QuizOptions } from './quiz.js';

/** `milab quiz`. */
export async function quiz(input: string, options: QuizOptions): Promise<void> {
  const lab = findLab(input);
  const questions = readQuiz(lab, listLabs());
  if (options.answers !== undefined && options.seed === undefined) {
    throw new MilabError('--answers needs --seed: the numbers and letters of the answers depend on the order the seed gives.', {
      code: 'MILAB_QUIZ_ANSWERS_WITHOUT_SEED',
      hint: `Add the seed the questions were shown with, e.g. ./milab quiz ${lab.id} --seed group-7 --answers ${options.answers} (\`./milab quiz ${lab.id} --seed group-7 --json\` lists that order).`,
      exitCode: 1,
    });
  }
  const seed = options.seed === undefined ? newSeed() : checkSeed(options.seed);
  const paper = paperOf(questions, seed);

  let result: QuizResult;
  if (options.answers !== undefined) {
    result = score(paper, parseAnswers(options.answers, paper));
  } else if (options.json) {
    process.stdout.write(sheetJson(lab, paper));
    return;
  } else {
    if (!process.stdin.isTTY || !process.stdout.isTTY) {
      throw new MilabError(`\`milab quiz\` asks its questions in a terminal, and this is not one (stdin or stdout is a pipe or file).`, {
        code: 'MILAB_QUIZ_NO_TERMINAL',
        hint: `Run it in a terminal, or answer without prompts: ./milab quiz ${lab.id} --seed ${seed} --json lists the questions, then ./milab quiz ${lab.id} --seed ${seed} --answers 1=b,2=a+c,… gives the result.`,
        exitCode: 1,
      });
    }
    const heading = `Lab ${lab.id} quiz — ${lab.title}: ${paper.questions.length} questions, seed ${seed} (./milab quiz ${lab.id} --seed ${seed} shows this order again). Ctrl-C stops.`;
    result = score(paper, await askPaper(paper, heading));
    process.stdout.write('\n');
  }

  recordQuiz(lab.id, {
    seed,
    correct: result.correct,
    total: result.total,
    percent: result.percent,
    takenAt: new Date().toISOString(),
    answers: Object.fromEntries(result.results.map((r) => [r.question.id, r.right])),
  });
  process.stdout.write(options.json ? resultJson(lab, result) : resultText(lab, result));
  if (!options.json) process.stdout.write('Saved with your progress.\n');
}
