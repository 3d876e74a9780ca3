import { describe, expect, it } from 'vitest';
import {
  CannotGradeError,
  exitCodeFor,
  fail,
  mergeReports,
  pass,
  runChecks,
  scoreOf,
  skip,
  type CheckResult,
} from '../src/index.js';
import { check, throwing } from './helpers.js';

const result = (status: 'pass' | 'fail' | 'skip', weight: number): CheckResult =>
  status === 'pass'
    ? { id: 'x', title: 'x', weight, durationMs: 0, status }
    : status === 'fail'
      ? { id: 'x', title: 'x', weight, durationMs: 0, status, found: 'f', expected: 'e', fix: 'x' }
      : { id: 'x', title: 'x', weight, durationMs: 0, status, reason: 'r' };

describe('score', () => {
  it('weights passed checks; failed and skipped ones count towards what was possible', () => {
    expect(scoreOf([result('pass', 1), result('pass', 1), result('pass', 1), result('fail', 1), result('skip', 1)])).toEqual({
      earned: 3,
      possible: 5,
      percent: 60,
    });
    expect(scoreOf([result('pass', 3), result('fail', 1)])).toEqual({ earned: 3, possible: 4, percent: 75 });
  });

  it('rounds the percentage down, so 100% always means everything passed', () => {
    expect(scoreOf([result('pass', 199), result('fail', 1)]).percent).toBe(99);
    expect(scoreOf([result('pass', 2), result('fail', 1)]).percent).toBe(66);
  });

  it('keeps fractional weights free of floating-point noise', () => {
    expect(scoreOf([result('pass', 0.1), result('pass', 0.2)])).toEqual({ earned: 0.3, possible: 0.3, percent: 100 });
  });

  it('is zero of zero for no results', () => {
    expect(scoreOf([])).toEqual({ earned: 0, possible: 0, percent: 0 });
  });

  it('is computed by the runner from check weights', async () => {
    const report = await runChecks(
      [check('a', pass(), { weight: 2 }), check('b', fail({ found: 'f', expected: 'e', fix: 'x' }), { weight: 0.5 })],
      { ctx: undefined },
    );
    expect(report.score).toEqual({ earned: 2, possible: 2.5, percent: 80 });
    expect(report.counts).toEqual({ passed: 1, failed: 1, skipped: 0, errored: 0 });
  });
});

describe('mergeReports', () => {
  it('concatenates results tagged by lab, adds up score, and summarises each lab', async () => {
    const one = await runChecks([check('01.a', pass()), check('01.b', pass())], { ctx: undefined, lab: '01', title: 'One', target: 'emulator' });
    const two = await runChecks([check('02.a', pass()), check('02.b', skip({ reason: 'later' }))], {
      ctx: undefined,
      lab: '02',
      title: 'Two',
      target: 'emulator',
    });
    const merged = mergeReports([one, two], { title: 'All labs' });
    expect(merged.results.map((r) => `${r.lab}/${r.id}`)).toEqual(['01/01.a', '01/01.b', '02/02.a', '02/02.b']);
    expect(merged).toMatchObject({ title: 'All labs', target: 'emulator', status: 'failed' });
    expect(merged.lab).toBeUndefined();
    expect(merged.score).toEqual({ earned: 3, possible: 4, percent: 75 });
    expect(merged.durationMs).toBe(one.durationMs + two.durationMs);
    expect(merged.labs?.map((lab) => [lab.lab, lab.title, lab.status, lab.score.percent])).toEqual([
      ['01', 'One', 'passed', 100],
      ['02', 'Two', 'failed', 50],
    ]);
    expect(exitCodeFor(merged)).toBe(1);
  });

  it('passes only when every lab passed', async () => {
    const one = await runChecks([check('01.a', pass())], { ctx: undefined, lab: '01' });
    const two = await runChecks([check('02.a', pass())], { ctx: undefined, lab: '02' });
    expect(exitCodeFor(mergeReports([one, two]))).toBe(0);
    expect(exitCodeFor(mergeReports([]))).toBe(1);
  });

  it('is could-not-grade, naming the lab, when any lab could not be graded', async () => {
    const one = await runChecks([check('01.a', fail({ found: 'f', expected: 'e', fix: 'x' }))], { ctx: undefined, lab: '01' });
    const two = await runChecks([throwing('02.a', new CannotGradeError('network', 'ARM unreachable', 'Check the network.'))], {
      ctx: undefined,
      lab: '02',
    });
    const merged = mergeReports([one, two]);
    expect(merged.status).toBe('error');
    expect(exitCodeFor(merged)).toBe(2);
    expect(merged.error).toMatchObject({ kind: 'network', lab: '02', checkId: '02.a' });
    expect(merged.labs?.[1]?.error?.kind).toBe('network');
  });

  it('keeps a mixed target unset', async () => {
    const one = await runChecks([check('01.a', pass())], { ctx: undefined, lab: '01', target: 'emulator' });
    const two = await runChecks([check('02.a', pass())], { ctx: undefined, lab: '02', target: 'azure' });
    expect(mergeReports([one, two]).target).toBeUndefined();
  });
});
