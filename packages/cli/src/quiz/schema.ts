// A lab's knowledge check: labs/NN-slug/quiz.json, exam-style questions as data, validated with
// zod when read. `quizProblems` is the self-check the tests run over every quiz: each question
// has its correct answers (single: exactly one), an explanation for every option, known exam
// objectives and a Microsoft Learn link.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { MilabError } from '@milab/core';
import { examData, type ExamData, type Lab } from '@milab/labs';

const OptionSchema = z.object({
  text: z.string().trim().min(1),
  correct: z.boolean(),
  /** Why this option is right, or why it is wrong: shown for every option after the quiz. */
  explanation: z.string().trim().min(1),
});

const QuestionSchema = z.object({
  /** Stable across edits (progress keys on it): `01.client-vs-principal`. */
  id: z.string().regex(/^\d{2}\.[a-z0-9]+(?:-[a-z0-9]+)*$/, 'expected NN.words-with-dashes'),
  /** `single`: exactly one correct option; `multiple`: one or more, all of them to be chosen. */
  type: z.enum(['single', 'multiple']),
  /** The scenario and the question, as an exam words it. */
  stem: z.string().trim().min(1),
  options: z.array(OptionSchema).min(3).max(6),
  /** The Microsoft Learn page that explains it. */
  learn: z.url({ protocol: /^https$/, hostname: /^learn\.microsoft\.com$/ }),
  /** Where the facts were checked: Learn pages, /work/shared/azure-facts.md lines, the lab's README. */
  source: z.string().trim().min(1),
  /** Exam objective ids (labs/exam/objectives.json). */
  objectives: z.array(z.string()).min(1),
});

const QuizSchema = z.object({
  schemaVersion: z.literal(1),
  lab: z.string().regex(/^\d{2}$/),
  questions: z.array(QuestionSchema).min(1),
});

export type QuizOption = z.infer<typeof OptionSchema>;
export type QuizQuestion = z.infer<typeof QuestionSchema>;
export type Quiz = z.infer<typeof QuizSchema>;

/** The quiz file of a lab. */
export function quizFile(lab: Lab): string {
  return join(lab.dir, 'quiz.json');
}

/** quiz.json is not what milab reads: a bug in the repository, not the learner's. */
export class QuizDataError extends MilabError {
  override name = 'QuizDataError';
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`, {
      code: 'MILAB_QUIZ_INVALID',
      hint: 'Restore the file from git (`git checkout -- labs`), or report it if it is unchanged.',
      exitCode: 1,
    });
  }
}

/** Reads and validates a lab's quiz.json (shape only; `quizProblems` checks the content). */
export function readQuiz(lab: Lab, labs: readonly Lab[] = []): Quiz {
  const file = quizFile(lab);
  if (!existsSync(file)) {
    const withQuiz = labs.filter((other) => existsSync(quizFile(other))).map((other) => other.id);
    throw new MilabError(`Lab ${lab.id} (${lab.title}) has no quiz yet.`, {
      code: 'MILAB_NO_QUIZ',
      hint: withQuiz.length > 0 ? `Labs with a quiz: ${withQuiz.join(', ')}, e.g. \`./milab quiz ${withQuiz[0]}\`.` : 'No lab has a quiz yet.',
      exitCode: 1,
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new QuizDataError(file, `cannot read it: ${(error as Error).message}`);
  }
  const result = QuizSchema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.slice(0, 3).map((issue) => `${issue.path.join('.') || 'the file'}: ${issue.message}`);
    throw new QuizDataError(file, issues.join('; '));
  }
  if (result.data.lab !== lab.id) throw new QuizDataError(file, `"lab" is ${result.data.lab}, but the file is in lab ${lab.id}'s folder.`);
  return result.data;
}

/** What is wrong with a quiz's content, as sentences (empty when nothing is). */
export function quizProblems(quiz: Quiz, data: ExamData = examData()): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const question of quiz.questions) {
    const q = `question ${question.id}`;
    if (ids.has(question.id)) problems.push(`${q} is listed twice`);
    ids.add(question.id);
    if (!question.id.startsWith(`${quiz.lab}.`)) problems.push(`${q} does not start with the lab id ${quiz.lab}.`);
    const correct = question.options.filter((option) => option.correct).length;
    if (question.type === 'single' && correct !== 1) problems.push(`${q} is single-answer but has ${correct} correct options`);
    if (question.type === 'multiple' && correct < 1) problems.push(`${q} has no correct option`);
    const texts = new Set(question.options.map((option) => option.text));
    if (texts.size !== question.options.length) problems.push(`${q} has two options with the same text`);
    for (const id of question.objectives) if (!data.objectives.has(id)) problems.push(`${q} names the unknown objective ${id}`);
  }
  return problems;
}
