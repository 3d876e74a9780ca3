// `milab report --exam`: every objective line of the exam is listed, with the labs, checks and
// questions covering it and the learner's standing from their saved grades and quiz results.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { examData, findExam, listLabs } from '@milab/labs';
import type { Progress } from '../src/progress.js';
import { challengeCheckInfos } from '../src/challenge/readiness.js';
import { examReadiness } from '../src/quiz/readiness.js';
import { readinessHtml, readinessText } from '../src/quiz/readiness-render.js';
import { milab } from './support.js';

const MI = 'AZ-500/identity-access/app-access/managed-identities';
const TAGS = 'AZ-104/identities-governance/subscriptions-governance/tags';
const OVER = 'SC-500/identity-access-governance/governance/over-privileged-access';

const grade = (status: 'passed' | 'failed', earned: number, open: string[]) => ({
  status,
  score: { earned, possible: 3, percent: Math.floor((earned * 100) / 3) },
  gradedAt: '2026-12-01T10:00:00.000Z',
  open,
});

/** Labs 01 and 11 passed, lab 02 half done (not over-privileged fails), lab 01's quiz with one wrong answer, lab 11's tags question right. */
const progress: Progress = {
  version: 1,
  hints: {},
  grades: { emulator: { '01': grade('passed', 3, []), '02': grade('failed', 1, ['02.not-over-privileged', '02.no-orphaned-assignment']), '11': grade('passed', 3, []) } },
  quiz: {
    '11': { seed: 'demo', correct: 1, total: 5, percent: 20, takenAt: '2026-12-01T10:00:00.000Z', answers: { '11.find-by-tag': true } },
    '01': {
      seed: 'demo',
      correct: 4,
      total: 5,
      percent: 80,
      takenAt: '2026-12-01T10:00:00.000Z',
      answers: { '01.shared-identity': true, '01.client-vs-principal': false, '01.tags': true, '01.wrong-region': true, '01.recreated-identity': true },
    },
  },
};

describe('examReadiness', () => {
  it('lists every objective of the exam, in the data order', () => {
    for (const exam of examData().exams) {
      expect(examReadiness(exam, progress, 'emulator').objectives.map((row) => row.objective.id)).toEqual(exam.objectives.map((o) => o.id));
    }
  });

  it('done when every covering check passed and question was right; failed on a failed check or a wrong answer', () => {
    const az104 = examReadiness(findExam('AZ-104'), progress, 'emulator');
    const tags = az104.objectives.find((row) => row.objective.id === TAGS)!;
    // Lab 01 (the identity's tags) and lab 11 (the clean-up found by tags) both cover it.
    expect(tags).toMatchObject({ standing: 'done', labs: [{ id: '01', done: true }, { id: '11', done: true }] });
    expect(tags.checks).toEqual([
      { id: '01.identity-tags', lab: '01', standing: 'passed' },
      { id: '11.set-up', lab: '11', standing: 'passed' },
      { id: '11.nothing-tagged-left', lab: '11', standing: 'passed' },
      { id: '11.decoy-kept', lab: '11', standing: 'passed' },
    ]);
    expect(tags.questions).toEqual([
      { id: '01.tags', lab: '01', standing: 'right' },
      { id: '11.find-by-tag', lab: '11', standing: 'right' },
    ]);

    const sc500 = examReadiness(findExam('SC-500'), progress, 'emulator');
    const over = sc500.objectives.find((row) => row.objective.id === OVER)!;
    expect(over.standing).toBe('failed');
    expect(over.checks.find((c) => c.id === '02.not-over-privileged')!.standing).toBe('failed');
    expect(over.next).toBe('./milab grade 02');

    const mi = examReadiness(findExam('AZ-500'), progress, 'emulator').objectives.find((row) => row.objective.id === MI)!;
    expect(mi.questions.find((q) => q.id === '01.client-vs-principal')!.standing).toBe('wrong');
    expect(mi.checks.find((c) => c.id === '03.identity-attached')!.standing).toBe('not tried');
    expect(mi.standing).toBe('failed');
    expect(mi.next).toBe('./milab quiz 01');
  });

  it('not tried with no progress, counts every standing, and a grade from another emulated world does not count', () => {
    const empty: Progress = { version: 1, hints: {}, grades: {} };
    const readiness = examReadiness(findExam('AZ-500'), empty, 'emulator');
    expect(readiness.objectives.map((row) => row.standing)).toEqual(readiness.objectives.map((row) => (row.labs.length === 0 && row.questions.length === 0 ? 'not covered' : 'not tried')));
    expect(Object.values(readiness.counts).reduce((a, b) => a + b, 0)).toBe(readiness.objectives.length);
    const oldWorld: Progress = { ...progress, grades: { emulator: { '01': { ...grade('passed', 3, []), worldId: 'before-reset' } } } };
    const tags = examReadiness(findExam('AZ-104'), oldWorld, 'emulator', 'now').objectives.find((row) => row.objective.id === TAGS)!;
    expect(tags.checks[0]!.standing).toBe('not tried');
    // Grades on the other target say nothing about this one.
    expect(examReadiness(findExam('AZ-104'), progress, 'azure').objectives.find((row) => row.objective.id === TAGS)!.checks[0]!.standing).toBe('not tried');
  });

  it("counts the timed challenges' checks: a failed one fails its objective and is the next step once the labs are done", () => {
    const checks = challengeCheckInfos();
    const over = (statuses: Map<string, 'pass' | 'fail' | 'skip' | 'error'>) =>
      examReadiness(findExam('SC-500'), progress, 'emulator', undefined, examData(), listLabs(), { checks, statuses }).objectives.find((row) => row.objective.id === OVER)!;
    const covering = checks.filter((c) => c.objectives.includes(OVER));
    expect(covering.length).toBeGreaterThan(0);
    const untried = over(new Map());
    expect(untried.checks.filter((c) => c.challenge).map((c) => [c.id, c.standing])).toEqual(covering.map((c) => [c.id, 'not tried']));
    // A lab check failed: it comes first.
    expect(untried.next).toBe('./milab grade 02');
    const failedChallenge = over(new Map(covering.map((c, i) => [c.id, i === 0 ? 'fail' : 'pass'] as const)));
    expect(failedChallenge.checks.find((c) => c.id === covering[0]!.id)).toMatchObject({ challenge: covering[0]!.challenge, standing: 'failed' });
    // Labs all passed: the failed challenge is what to do next.
    const labsDone: Progress = { ...progress, grades: { emulator: { '01': grade('passed', 3, []), '02': grade('passed', 3, []) } } };
    const next = examReadiness(findExam('SC-500'), labsDone, 'emulator', undefined, examData(), listLabs(), { checks, statuses: new Map([[covering[0]!.id, 'fail']]) }).objectives.find((row) => row.objective.id === OVER)!;
    expect(next.standing).toBe('failed');
    expect(next.next).toBe(`./milab challenge start ${covering[0]!.challenge}`);
  });

  it('the HTML page escapes what it shows and lists every objective', () => {
    const readiness = examReadiness(findExam('AZ-500'), progress, 'emulator');
    const html = readinessHtml(readiness, '2026-12-01T10:00:00.000Z');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    for (const row of readiness.objectives) expect(html).toContain(`<code>${row.objective.id}</code>`);
    expect(html).not.toMatch(/<script/i);
  });
});

describe('milab report --exam (the real command)', { timeout: 180_000 }, () => {
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'milab-report-'));
    writeFileSync(join(home, 'progress.json'), JSON.stringify(progress));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('prints JSON with every objective of the data file, and writes the HTML page', async () => {
    const html = join(home, 'out', 'ready.html');
    const run = await milab(['report', '--exam', 'az-500', '--json', '--html', html], { MILAB_HOME: home });
    expect(run.code).toBe(0);
    const parsed = JSON.parse(run.stdout) as { schemaVersion: number; exam: { id: string }; target: string; objectives: { id: string; standing: string }[] };
    expect(parsed).toMatchObject({ schemaVersion: 1, exam: { id: 'AZ-500' }, target: 'emulator' });
    expect(parsed.objectives.map((o) => o.id)).toEqual(findExam('AZ-500').objectives.map((o) => o.id));
    expect(parsed.objectives.find((o) => o.id === MI)!.standing).toBe('failed');
    expect(run.stderr).toContain(`Wrote ${html}`);
    expect(readFileSync(html, 'utf8')).toContain('<title>milab readiness: AZ-500</title>');
  });

  it('text: a line per objective with its standing; an unknown exam names the exams there are', async () => {
    const [text, unknown, missing] = await Promise.all([
      milab(['report', '--exam', 'SC-500'], { MILAB_HOME: home }),
      milab(['report', '--exam', 'AZ-900'], { MILAB_HOME: home }),
      milab(['report'], { MILAB_HOME: home }),
    ]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/✖ failed +Implement governance for security and regulatory compliance: "Evaluate and remediate over-privileged access using Azure RBAC"/);
    expect(text.stdout).toContain('next: ./milab grade 02');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('There is no exam "AZ-900" in the course\'s objectives. The exams are: AZ-104, AZ-204, AZ-500, SC-500.');
    expect(unknown.stderr).toContain('next step: Name one of them');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("required option '--exam <exam>' not specified");
  });

  it("says an exam retired when its date is past the data's checkedOn, as the lab READMEs do", () => {
    const data = examData();
    const retired = data.exams.find((e) => e.retirement && data.checkedOn && e.retirement.date <= data.checkedOn);
    if (!retired?.retirement) throw new Error('the data names no retired exam: this test needs one');
    const line = readinessText(examReadiness(retired, { version: 1, hints: {}, grades: {} }, 'emulator', undefined, data)).split('\n')[0] ?? '';
    expect(line).toContain(`retired ${retired.retirement.date}`);
    expect(line).not.toContain('retires');
    expect(line).not.toContain('](');
  });
});
