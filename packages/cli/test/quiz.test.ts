// `milab quiz`: the seeded order (same seed, same order), --answers parsing and its errors, the
// score, --json, the saved progress, the clear error without a terminal, and the interactive
// prompts driven in a real terminal (tmux), Ctrl-C included.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findLab } from '@milab/labs';
import { newSeed, paperOf, parseAnswers, prng, score, type Paper } from '../src/quiz/paper.js';
import { readQuiz } from '../src/quiz/schema.js';
import { cleanEnv, milab, repo } from './support.js';

const quiz01 = readQuiz(findLab('01'));

/** The --answers that answer every question of the paper rightly (or, with `wrongAt`, that one wrongly). */
function rightAnswers(paper: Paper, wrongAt?: number): string {
  return paper.questions
    .map((question) => {
      const right = question.options.filter((option) => option.correct).map((option) => option.letter);
      const wrong = question.options.find((option) => !option.correct)!.letter;
      return `${question.number}=${question.number === wrongAt ? wrong : right.join('+')}`;
    })
    .join(',');
}

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'milab-quiz-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe('the order a seed gives', () => {
  it('is the same for the same seed, and differs between seeds', () => {
    const order = (seed: string) => paperOf(quiz01, seed).questions.map((q) => `${q.id}:${q.options.map((o) => o.text.slice(0, 12)).join('|')}`);
    expect(order('group-7')).toEqual(order('group-7'));
    expect(order('group-7')).not.toEqual(order('group-8'));
    expect(prng('x')()).toBe(prng('x')());
    expect(newSeed()).toMatch(/^[a-z2-9]{6}$/);
  });

  it('numbers the questions 1… and letters the options a…, keeping every question and option', () => {
    const paper = paperOf(quiz01, 'demo');
    expect(paper.questions.map((q) => q.number)).toEqual([1, 2, 3, 4, 5]);
    expect(new Set(paper.questions.map((q) => q.id))).toEqual(new Set(quiz01.questions.map((q) => q.id)));
    for (const question of paper.questions) expect(question.options.map((o) => o.letter)).toEqual(['a', 'b', 'c', 'd'].slice(0, question.options.length));
  });
});

describe('--answers', () => {
  const paper = paperOf(quiz01, 'demo');
  const multiple = paper.questions.find((q) => q.type === 'multiple')!;
  const single = paper.questions.find((q) => q.type === 'single')!;

  it('scores exactly the correct set as right, and anything else as wrong', () => {
    expect(score(paper, parseAnswers(rightAnswers(paper), paper))).toMatchObject({ correct: 5, total: 5, percent: 100 });
    const result = score(paper, parseAnswers(rightAnswers(paper, multiple.number), paper));
    expect(result).toMatchObject({ correct: 4, percent: 80 });
    expect(result.results.find((r) => r.question.number === multiple.number)!.right).toBe(false);
    // Only some of a multiple-answer question's right letters is wrong too.
    const some = rightAnswers(paper).replace(new RegExp(`(^|,)${multiple.number}=([a-d])(\\+[a-d])+`), `$1${multiple.number}=$2`);
    expect(score(paper, parseAnswers(some, paper)).correct).toBe(4);
  });

  it.each([
    ['', /it is empty/],
    ['1=b,2', /"2" is not NUMBER=LETTER/],
    ['9=a', /there is no question 9 \(the quiz has 5\)/],
    ['1=a,1=b', /question 1 is answered twice/],
  ])('refuses %j, naming the problem', (input, problem) => {
    expect(() => parseAnswers(input, paper)).toThrow(problem);
  });

  it('refuses a missing answer, an unknown letter and two letters for a single-answer question', () => {
    expect(() => parseAnswers('1=a', paper)).toThrow(/questions 2, 3, 4, 5 have no answer/);
    expect(() => parseAnswers(rightAnswers(paper).replace(`${single.number}=`, `${single.number}=z+`), paper)).toThrow(
      new RegExp(`question ${single.number} has no option z \\(its options are a, b, c, d\\)`),
    );
    expect(() => parseAnswers(rightAnswers(paper).replace(new RegExp(`(^|,)${single.number}=[a-d]`), `$1${single.number}=a+b`), paper)).toThrow(
      new RegExp(`question ${single.number} takes one answer, not a\\+b`),
    );
  });
});

// Each run starts the real CLI (rebuilding its bundle first when a source changed): minutes on a busy machine.
describe('milab quiz (the real command)', { timeout: 180_000 }, () => {
  it('answers with --answers --json: the score, every explanation, saved with the progress', async () => {
    const paper = paperOf(quiz01, 'group-7');
    const run = await milab(['quiz', '01', '--seed', 'group-7', '--answers', rightAnswers(paper, 2), '--json'], { MILAB_HOME: home });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as {
      schemaVersion: number;
      seed: string;
      score: { correct: number; total: number; percent: number };
      questions: { number: number; right: boolean; options: { explanation: string }[]; learn: string; objectives: string[] }[];
    };
    expect(result).toMatchObject({ schemaVersion: 1, seed: 'group-7', score: { correct: 4, total: 5, percent: 80 } });
    expect(result.questions.map((q) => q.right)).toEqual([true, false, true, true, true]);
    for (const question of result.questions) {
      for (const option of question.options) expect(option.explanation).not.toBe('');
      expect(question.objectives.length).toBeGreaterThan(0);
    }
    const progress = JSON.parse(readFileSync(join(home, 'progress.json'), 'utf8')) as { quiz: Record<string, { seed: string; correct: number; answers: Record<string, boolean> }> };
    expect(progress.quiz['01']).toMatchObject({ seed: 'group-7', correct: 4 });
    expect(progress.quiz['01']!.answers[paper.questions[1]!.id]).toBe(false);
  });

  it('prints the score and why each option is right or wrong as text', async () => {
    const paper = paperOf(quiz01, 'demo');
    const run = await milab(['quiz', '1', '--seed', 'demo', '--answers', rightAnswers(paper)], { MILAB_HOME: home });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Lab 01 quiz — Create a user-assigned managed identity (seed demo)');
    expect(run.stdout).toContain('Score: 5 of 5 right (100 %)');
    for (const option of quiz01.questions.flatMap((q) => q.options)) expect(run.stdout).toContain(option.explanation);
    expect(run.stdout).toContain('Saved with your progress.');
  });

  it('--json without --answers lists the questions in the seed order, without their answers; nothing is saved', async () => {
    const run = await milab(['quiz', '01', '--seed', 'demo', '--json'], { MILAB_HOME: home });
    expect(run.code).toBe(0);
    const sheet = JSON.parse(run.stdout) as { questions: { id: string; options: Record<string, unknown>[] }[]; answerWith: string };
    expect(sheet.questions.map((q) => q.id)).toEqual(paperOf(quiz01, 'demo').questions.map((q) => q.id));
    expect(sheet.questions.flatMap((q) => q.options.map((o) => Object.keys(o)))).toEqual(expect.arrayContaining([['letter', 'text']]));
    expect(run.stdout).not.toContain('"correct"');
    expect(run.stdout).not.toContain('explanation');
    expect(sheet.answerWith).toMatch(/^\.\/milab quiz 01 --seed demo --answers 1=/);
    expect(existsSync(join(home, 'progress.json'))).toBe(false);
  });

  it('says what to do without a terminal and without --answers, and on bad input', async () => {
    const [noTty, badLab, noSeed, badSeed, badAnswers] = await Promise.all([
      milab(['quiz', '01'], { MILAB_HOME: home }),
      milab(['quiz', '42'], { MILAB_HOME: home }),
      milab(['quiz', '01', '--answers', '1=a'], { MILAB_HOME: home }),
      milab(['quiz', '01', '--seed', 'no spaces'], { MILAB_HOME: home }),
      milab(['quiz', '01', '--seed', 'demo', '--answers', '1:a'], { MILAB_HOME: home }),
    ]);
    expect(noTty.code).toBe(1);
    expect(noTty.stderr).toMatch(/asks its questions in a terminal, and this is not one/);
    expect(noTty.stderr).toMatch(/next step: .*--answers 1=b,2=a\+c/);
    expect(badLab.stderr).toMatch(/There is no lab "42"\. The labs are: 01 \(create-identity\)/);
    expect(noSeed.stderr).toMatch(/--answers needs --seed/);
    expect(badSeed.stderr).toMatch(/The seed "no spaces" is not one milab can use: expected 1 to 32 letters, digits or dashes/);
    expect(badAnswers.stderr).toMatch(/Cannot use --answers "1:a": "1:a" is not NUMBER=LETTER/);
    for (const run of [noTty, badLab, noSeed, badSeed, badAnswers]) {
      expect(run.code).toBe(1);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
    expect(existsSync(join(home, 'progress.json'))).toBe(false);
  });

  it('--help shows examples', async () => {
    const run = await milab(['quiz', '--help'], { MILAB_HOME: home });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: milab quiz [options] <lab>');
    expect(run.stdout).toContain('./milab quiz 02 --seed group-7 --answers 1=b,2=a+c,3=d,4=a,5=c');
  });
});

const hasTmux = spawnSync('tmux', ['-V']).status === 0;

/** A real terminal: a detached tmux session on its own server socket, running the command. */
class Terminal {
  readonly #socket = `milab-quiz-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  constructor(command: string, env: Record<string, string>) {
    const exports = Object.entries(cleanEnv(env))
      .filter(([name]) => /^(PATH|HOME|MILAB_HOME|AZURE_POD_IDENTITY_AUTHORITY_HOST|LANG)$/.test(name))
      .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
      .join(' ');
    this.#tmux('new-session', '-d', '-s', 'quiz', '-x', '160', '-y', '50', `cd ${JSON.stringify(repo)} && env ${exports} TERM=xterm ${command}; echo "EXIT=$?"; sleep 120`);
  }
  #tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.#socket, ...args], { encoding: 'utf8' });
  }
  keys(...keys: string[]): void {
    this.#tmux('send-keys', '-t', 'quiz', ...keys);
  }
  screen(): string {
    return this.#tmux('capture-pane', '-p', '-J', '-t', 'quiz', '-S', '-1000');
  }
  /** Waits until the screen shows `text` (the command runs at its own pace; the deadline only stops a hung test). */
  async waitFor(text: string | RegExp): Promise<string> {
    for (let i = 0; i < 1200; i += 1) {
      const screen = this.screen();
      if (typeof text === 'string' ? screen.includes(text) : text.test(screen)) return screen;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`the terminal never showed ${String(text)}; it shows:\n${this.screen()}`);
  }
  close(): void {
    spawnSync('tmux', ['-L', this.#socket, 'kill-server']);
  }
}

describe.skipIf(!hasTmux)('milab quiz in a terminal (tmux)', { timeout: 180_000 }, () => {
  it('asks each question with a prompt, scores the answers and saves them', async () => {
    const paper = paperOf(quiz01, 'demo');
    const terminal = new Terminal(`node packages/cli/bin/milab.mjs quiz 01 --seed demo`, { MILAB_HOME: home });
    try {
      await terminal.waitFor('seed demo (./milab quiz 01 --seed demo shows this order again)');
      for (const question of paper.questions) {
        await terminal.waitFor(`Question ${question.number} of 5`);
        await terminal.waitFor(question.type === 'single' ? '? Your answer' : '? Your answers');
        const keys: string[] = [];
        if (question.type === 'single') {
          const at = question.options.findIndex((option) => option.correct);
          for (let i = 0; i < at; i += 1) keys.push('Down');
        } else {
          for (const option of question.options) keys.push(...(option.correct ? ['Space'] : []), 'Down');
        }
        terminal.keys(...keys, 'Enter');
      }
      const screen = await terminal.waitFor('EXIT=');
      expect(screen).toContain('Score: 5 of 5 right (100 %)');
      expect(screen).toContain('Saved with your progress.');
      expect(screen).toContain('EXIT=0');
      const progress = JSON.parse(readFileSync(join(home, 'progress.json'), 'utf8')) as { quiz: Record<string, { percent: number; seed: string }> };
      expect(progress.quiz['01']).toMatchObject({ percent: 100, seed: 'demo' });
    } finally {
      terminal.close();
    }
  });

  it('Ctrl-C stops the quiz, says nothing was saved, and saves nothing', async () => {
    const terminal = new Terminal(`node packages/cli/bin/milab.mjs quiz 02`, { MILAB_HOME: home });
    try {
      await terminal.waitFor('Question 1 of 5');
      await terminal.waitFor('? Your answer');
      terminal.keys('C-c');
      const screen = await terminal.waitFor('EXIT=');
      expect(screen).toContain('The quiz was stopped before the last question: nothing was saved.');
      expect(screen).toContain('EXIT=130');
      expect(existsSync(join(home, 'progress.json'))).toBe(false);
    } finally {
      terminal.close();
    }
  });
});
