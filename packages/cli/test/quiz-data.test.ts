// The certification-prep data self-check, where the graders are in reach: every check of every
// grader names at least one known exam objective (labs/exam/checks.json), every lab does too, and
// every lab's quiz is sound — 4 to 6 questions, single and multiple answer, each with its correct
// answers (single: exactly one), an explanation for every option, known objectives, a Learn link.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GRADERS } from '@milab/graders';
import { examData, examDataProblems, listLabs, withExamObjectives } from '@milab/labs';
import { QuizDataError, quizFile, quizProblems, readQuiz } from '../src/quiz/schema.js';

const labs = listLabs();

describe('exam objectives of the graders', () => {
  it('every check of every grader, and every lab, names known objectives; nothing maps a check no grader has', () => {
    const checkIds = GRADERS.flatMap((grader) => grader.checks.map((check) => check.id));
    expect(checkIds.length).toBeGreaterThan(10);
    expect(examDataProblems(examData(), labs, checkIds)).toEqual([]);
  });

  it("withExamObjectives gives every grader check its objectives, keeping what it does (the graders' defineGrader hook)", () => {
    for (const grader of GRADERS) {
      const mapped = withExamObjectives(grader.checks);
      expect(mapped.map((check) => check.id)).toEqual(grader.checks.map((check) => check.id));
      mapped.forEach((check, at) => {
        expect(check.objectives, check.id).toEqual(examData().checks.get(check.id));
        expect(check.run).toBe(grader.checks[at]!.run);
      });
    }
  });

  it('every objective the labs name is exercised by a check or a question of that lab', () => {
    const data = examData();
    for (const lab of labs) {
      const quiz = readQuiz(lab);
      for (const id of lab.examObjectives) {
        const byCheck = [...data.checks].some(([checkId, ids]) => checkId.startsWith(`${lab.id}.`) && ids.includes(id));
        const byQuestion = quiz.questions.some((question) => question.objectives.includes(id));
        expect(byCheck || byQuestion, `lab ${lab.id}: ${id}`).toBe(true);
      }
    }
  });
});

describe.each(labs.map((lab) => [lab.id, lab] as const))('the quiz of lab %s', (_id, lab) => {
  it('exists and is sound', () => {
    expect(existsSync(quizFile(lab))).toBe(true);
    const quiz = readQuiz(lab);
    expect(quizProblems(quiz)).toEqual([]);
    expect(quiz.questions.length).toBeGreaterThanOrEqual(4);
    expect(quiz.questions.length).toBeLessThanOrEqual(6);
    expect(new Set(quiz.questions.map((question) => question.type))).toEqual(new Set(['single', 'multiple']));
    for (const question of quiz.questions) {
      expect(question.learn).toMatch(/^https:\/\/learn\.microsoft\.com\//);
      for (const option of question.options) expect(option.explanation).toMatch(option.correct ? /^Right\b/ : /^Wrong\b/);
    }
  });
});

describe('quizProblems', () => {
  it('names a single-answer question with two correct options, one without any, and an unknown objective', () => {
    const quiz = readQuiz(labs[0]!);
    const [first, second, ...rest] = quiz.questions;
    const broken = {
      ...quiz,
      questions: [
        { ...first!, type: 'single' as const, options: first!.options.map((option) => ({ ...option, correct: true })) },
        { ...second!, type: 'multiple' as const, options: second!.options.map((option) => ({ ...option, correct: false })), objectives: ['AZ-500/no/such/line'] },
        ...rest,
      ],
    };
    expect(quizProblems(broken)).toEqual([
      `question ${first!.id} is single-answer but has ${first!.options.length} correct options`,
      `question ${second!.id} has no correct option`,
      `question ${second!.id} names the unknown objective AZ-500/no/such/line`,
    ]);
  });
});

describe('readQuiz', () => {
  it('says which labs have a quiz when one has none, and names the file and field of a broken one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'milab-quiz-lab-'));
    try {
      const lab = { ...labs[0]!, id: '09', title: 'Example', dir };
      expect(() => readQuiz(lab, labs)).toThrow(/Lab 09 \(Example\) has no quiz yet\./);
      writeFileSync(join(dir, 'quiz.json'), JSON.stringify({ schemaVersion: 1, lab: '09', questions: [{ id: '09.x', type: 'single', stem: 's', options: [], learn: 'https://example.com/', source: 's', objectives: ['o'] }] }));
      expect(() => readQuiz(lab, labs)).toThrow(QuizDataError);
      expect(() => readQuiz(lab, labs)).toThrow(/quiz\.json: questions\.0\.options: .*; questions\.0\.learn: /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
