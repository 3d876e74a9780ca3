// One sitting of a quiz: the questions and each question's options in an order drawn from a seed
// (a small seeded PRNG, so the same seed gives the same order on every machine and a study group
// can share it), numbered 1… and lettered a…; then the learner's answers, parsed and scored.
import { MilabError } from '@milab/core';
import type { Quiz, QuizOption, QuizQuestion } from './schema.js';

/** An option as shown: its letter in this order. */
export interface PaperOption extends QuizOption {
  readonly letter: string;
}

/** A question as shown: its number in this order, its options in theirs. */
export interface PaperQuestion extends Omit<QuizQuestion, 'options'> {
  readonly number: number;
  readonly options: readonly PaperOption[];
}

/** A quiz in the order a seed gives. */
export interface Paper {
  readonly lab: string;
  readonly seed: string;
  readonly questions: readonly PaperQuestion[];
}

const SEED = /^[A-Za-z0-9-]{1,32}$/;
const LETTERS = 'abcdefghij';

/** A seed the user typed, checked: letters, digits and dashes, up to 32. */
export function checkSeed(seed: string): string {
  if (!SEED.test(seed)) {
    throw new MilabError(`The seed "${seed}" is not one milab can use: expected 1 to 32 letters, digits or dashes (e.g. group-7).`, {
      code: 'MILAB_QUIZ_BAD_SEED',
      hint: 'Use the seed printed at the top of a quiz, or any word: `./milab quiz 01 --seed group-7`.',
      exitCode: 1,
    });
  }
  return seed;
}

/** A fresh seed to print, short enough to read out to a group. */
export function newSeed(random: () => number = Math.random): string {
  let seed = '';
  for (let i = 0; i < 6; i += 1) seed += 'abcdefghjkmnpqrstuvwxyz23456789'[Math.floor(random() * 31)];
  return seed;
}

/** mulberry32 seeded with the FNV-1a hash of `seed`: a tiny, well-spread PRNG, identical everywhere. */
export function prng(seed: string): () => number {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i += 1) {
    h ^= seed.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  let state = h >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The quiz in the order `seed` gives: questions shuffled, then each question's options. */
export function paperOf(quiz: Quiz, seed: string): Paper {
  const random = prng(`${quiz.lab}:${seed}`);
  const questions = shuffled(quiz.questions, random).map((question, index): PaperQuestion => ({
    ...question,
    number: index + 1,
    options: shuffled(question.options, random).map((option, at) => ({ ...option, letter: LETTERS[at]! })),
  }));
  return { lab: quiz.lab, seed, questions };
}

/** The letters chosen per question number. */
export type Answers = ReadonlyMap<number, readonly string[]>;

/** `--answers` that cannot be used: names the part, what was expected, and the next step. */
function answersError(input: string, problem: string): MilabError {
  return new MilabError(`Cannot use --answers "${input}": ${problem}.`, {
    code: 'MILAB_QUIZ_BAD_ANSWERS',
    hint: 'Give one answer per question as NUMBER=LETTER, several letters joined by + for a multiple-answer question: --answers 1=b,2=a+c,3=d (the numbers and letters of the order your --seed gives; `./milab quiz NN --seed S --json` lists them).',
    exitCode: 1,
  });
}

/** Parses `1=b,2=a+c,…` against the paper: every question once, letters that exist, one letter for a single-answer question. */
export function parseAnswers(input: string, paper: Paper): Answers {
  const answers = new Map<number, string[]>();
  const parts = input.split(',').map((part) => part.trim()).filter((part) => part !== '');
  if (parts.length === 0) throw answersError(input, 'it is empty');
  for (const part of parts) {
    const match = /^(\d+)\s*=\s*([a-zA-Z](?:\s*\+\s*[a-zA-Z])*)$/.exec(part);
    if (!match) throw answersError(input, `"${part}" is not NUMBER=LETTER or NUMBER=LETTER+LETTER`);
    const number = Number(match[1]);
    const question = paper.questions.find((candidate) => candidate.number === number);
    if (!question) throw answersError(input, `there is no question ${number} (the quiz has ${paper.questions.length})`);
    if (answers.has(number)) throw answersError(input, `question ${number} is answered twice`);
    const letters = [...new Set(match[2]!.toLowerCase().split('+').map((letter) => letter.trim()))].sort();
    const known = question.options.map((option) => option.letter);
    const unknown = letters.filter((letter) => !known.includes(letter));
    if (unknown.length > 0) throw answersError(input, `question ${number} has no option ${unknown.join(', ')} (its options are ${known.join(', ')})`);
    if (question.type === 'single' && letters.length > 1) throw answersError(input, `question ${number} takes one answer, not ${letters.join('+')}`);
    answers.set(number, letters);
  }
  const missing = paper.questions.filter((question) => !answers.has(question.number)).map((question) => question.number);
  if (missing.length > 0) throw answersError(input, `question${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'have' : 'has'} no answer`);
  return answers;
}

/** One question's outcome. */
export interface QuestionResult {
  readonly question: PaperQuestion;
  readonly chosen: readonly string[];
  readonly right: boolean;
}

/** A scored sitting. */
export interface QuizResult {
  readonly paper: Paper;
  readonly results: readonly QuestionResult[];
  readonly correct: number;
  readonly total: number;
  /** Rounded down, so 100 means every answer was right. */
  readonly percent: number;
}

/** Scores the answers: a question is right when exactly its correct options were chosen. */
export function score(paper: Paper, answers: Answers): QuizResult {
  const results = paper.questions.map((question): QuestionResult => {
    const chosen = [...(answers.get(question.number) ?? [])].sort();
    const wanted = question.options.filter((option) => option.correct).map((option) => option.letter);
    return { question, chosen, right: chosen.length === wanted.length && wanted.every((letter) => chosen.includes(letter)) };
  });
  const correct = results.filter((result) => result.right).length;
  return { paper, results, correct, total: results.length, percent: Math.floor((correct * 100) / results.length) };
}
