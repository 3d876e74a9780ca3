// Asks a quiz's questions in the terminal with @inquirer/prompts: `select` for a single-answer
// question, `checkbox` (at least one) for a multiple-answer one. Ctrl-C stops the quiz without
// saving anything.
import { checkbox, select } from '@inquirer/prompts';
import { MilabError } from '@milab/core';
import type { Answers, Paper } from './paper.js';

/** Where the prompts read and write; the process's terminal by default (tests drive a real pty). */
export interface PromptIo {
  readonly input?: NodeJS.ReadableStream;
  readonly output?: NodeJS.WritableStream;
}

/** Asks every question of the paper in order and returns the letters chosen. */
export async function askPaper(paper: Paper, heading: string, io: PromptIo = {}): Promise<Answers> {
  const out = io.output ?? process.stdout;
  const context = { ...(io.input ? { input: io.input } : {}), ...(io.output ? { output: io.output } : {}) };
  out.write(`${heading}\n`);
  const answers = new Map<number, string[]>();
  try {
    for (const question of paper.questions) {
      out.write(`\nQuestion ${question.number} of ${paper.questions.length}${question.type === 'single' ? '' : ' (choose all that apply)'}\n${question.stem}\n`);
      const choices = question.options.map((option) => ({ name: `${option.letter}) ${option.text}`, value: option.letter }));
      const message = question.type === 'single' ? 'Your answer' : 'Your answers (space to mark, enter when done)';
      const chosen =
        question.type === 'single'
          ? [await select({ message, choices }, context)]
          : await checkbox({ message, choices, required: true }, context);
      answers.set(question.number, chosen);
    }
  } catch (error) {
    if ((error as Error).name === 'ExitPromptError' || (error as Error).name === 'AbortPromptError') {
      throw new MilabError('The quiz was stopped before the last question: nothing was saved.', {
        code: 'MILAB_QUIZ_STOPPED',
        hint: `Start it again with ./milab quiz ${paper.lab} (or --seed ${paper.seed} for the same order).`,
        exitCode: 130,
      });
    }
    throw error;
  }
  return answers;
}
