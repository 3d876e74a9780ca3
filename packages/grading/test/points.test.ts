// No free points: a prerequisite ("lab 01 is done") earns nothing, a check that holds before any
// work exists ("no role beyond Reader") earns only once the main check passes, so an untouched
// lab scores 0 %; and every report says how its score came about, in points.
import { describe, expect, it } from 'vitest';
import { createTerminalReporter, fail, formatJson, mergeReports, parseJsonReport, pass, runChecks, type Check } from '../src/index.js';
import { check, memoryStream } from './helpers.js';

const notYet = fail({ found: 'no Reader assignment', expected: 'Reader', fix: 'assign it' });

/** Lab 02's shape: a prerequisite, the main check (weight 2), a guard that holds vacuously, a dependent check. */
function lab02(main: 'pass' | 'fail'): Check[] {
  return [
    check('02.identity-ready', pass(), { title: 'Lab 01 is done', role: 'prerequisite' }),
    check('02.reader', main === 'pass' ? pass() : notYet, { title: 'Reader on the subscription', weight: 2, dependsOn: ['02.identity-ready'] }),
    check('02.principal-type', pass(), { title: 'principalType ServicePrincipal', dependsOn: ['02.reader'] }),
    check('02.not-over-privileged', pass(), { title: 'No role beyond Reader', dependsOn: ['02.identity-ready'], earnsWith: ['02.reader'] }),
  ];
}

describe('no free points', () => {
  it('an untouched lab scores 0 %: the prerequisite earns nothing, the guard waits for the main check', async () => {
    const report = await runChecks(lab02('fail'), { ctx: undefined, lab: '02' });
    expect(report.results.map((r) => [r.id, r.status, r.points, r.weight])).toEqual([
      ['02.identity-ready', 'pass', 0, 0],
      ['02.reader', 'fail', 0, 2],
      ['02.principal-type', 'skip', 0, 1],
      ['02.not-over-privileged', 'pass', 0, 1],
    ]);
    expect(report.score).toEqual({ earned: 0, possible: 4, percent: 0 });
    expect(report.status).toBe('failed');
  });

  it('once the main check passes, the guard earns its point', async () => {
    const report = await runChecks(lab02('pass'), { ctx: undefined, lab: '02' });
    expect(report.results.map((r) => r.points)).toEqual([0, 2, 1, 1]);
    expect(report.score).toEqual({ earned: 4, possible: 4, percent: 100 });
    expect(report.status).toBe('passed');
  });

  it('a failed prerequisite earns nothing and keeps the lab from passing', async () => {
    const report = await runChecks(
      [check('03.ready', notYet, { role: 'prerequisite' }), check('03.main', pass(), { dependsOn: [] })],
      { ctx: undefined, lab: '03' },
    );
    expect(report.score).toEqual({ earned: 1, possible: 1, percent: 100 });
    expect(report.status).toBe('failed');
  });

  it('a lab of prerequisites alone scores 0 % (not NaN)', async () => {
    const report = await runChecks([check('x.ready', pass(), { role: 'prerequisite' })], { ctx: undefined });
    expect(report.score).toEqual({ earned: 0, possible: 0, percent: 0 });
  });

  it('earnsWith must name an earlier check; merged reports add up each lab’s points', async () => {
    const two = await runChecks(lab02('fail'), { ctx: undefined, lab: '02' });
    const three = await runChecks([check('03.kept', pass(), { earnsWith: ['03.attached'] }), check('03.attached', pass())], {
      ctx: undefined,
      lab: '03',
    });
    // 03.kept earns with a later check: the grader is invalid, nothing runs.
    expect(three.status).toBe('error');
    expect(three.error?.message).toContain('check 03.kept earns with 03.attached, which runs after it');
    const merged = mergeReports([two, await runChecks(lab02('pass'), { ctx: undefined, lab: '02b' })]);
    expect(merged.score).toEqual({ earned: 4, possible: 8, percent: 50 });
  });

  it.each([
    [{ role: 'prerequisite' as const, weight: 1 }, 'check a is a prerequisite, which earns no points, but has weight 1'],
    [{ earnsWith: ['nope'] }, 'check a earns with nope, which does not exist'],
    [{ earnsWith: ['a'] }, 'check a earns with itself'],
    [{ role: 'bonus' as never }, 'check a has role bonus, expected work or prerequisite'],
  ])('rejects a grader that counts wrongly: %o', async (extra, problem) => {
    const report = await runChecks([check('a', pass(), extra)], { ctx: undefined });
    expect(report.status).toBe('error');
    expect(report.error?.message).toContain(problem);
  });
});

describe('a score explains itself', () => {
  it('the terminal shows each check’s points and the total', async () => {
    const stream = memoryStream(false);
    const reporter = createTerminalReporter({ stream, env: {} });
    const report = await runChecks(lab02('fail'), { ctx: undefined, lab: '02', onEvent: reporter.onEvent });
    reporter.summary(report);
    const output = stream.text();
    expect(output).toContain('✔ Lab 01 is done · prerequisite, no points\n');
    expect(output).toContain('✖ Reader on the subscription · 0/2 points\n');
    expect(output).toContain('○ principalType ServicePrincipal (skipped) · 0/1 point\n');
    expect(output).toContain('✔ No role beyond Reader · 0/1 point until 02.reader passes\n');
    expect(output.trimEnd().split('\n').at(-1)).toBe('2 passed, 1 failed, 1 skipped — score 0% (0/4 points)');
  });

  it('a weighted score says its points: 1 of 3 checks passed is 2/4 points, 50 %', async () => {
    const stream = memoryStream(false);
    const report = await runChecks([check('a', pass(), { weight: 2 }), check('b', notYet), check('c', notYet)], { ctx: undefined });
    createTerminalReporter({ stream, env: {} }).summary(report);
    expect(stream.text().trimEnd().split('\n').at(-1)).toBe('1 passed, 2 failed, 0 skipped — score 50% (2/4 points)');
  });

  it('the JSON report carries each result’s points, role and earnsWith (schema 1: fields added, none removed)', async () => {
    const report = await runChecks(lab02('fail'), { ctx: undefined, lab: '02' });
    const json = JSON.parse(formatJson(report)) as { schemaVersion: number; results: Record<string, unknown>[] };
    expect(json.schemaVersion).toBe(1);
    expect(json.results.map((r) => [r.id, r.weight, r.points, r.role, r.earnsWith])).toEqual([
      ['02.identity-ready', 0, 0, 'prerequisite', undefined],
      ['02.reader', 2, 0, undefined, undefined],
      ['02.principal-type', 1, 0, undefined, undefined],
      ['02.not-over-privileged', 1, 0, undefined, ['02.reader']],
    ]);
    // A report written before points existed still reads.
    const older = JSON.parse(formatJson(report)) as { results: Record<string, unknown>[] };
    for (const result of older.results) delete result.points;
    expect(parseJsonReport(JSON.stringify(older)).results).toHaveLength(4);
  });
});
