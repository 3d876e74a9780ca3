// `milab grade --classroom`: the result GitHub Classroom's grading reporter reads, from a real
// grading run on the emulator (in-process), checked against the reporter's schema
// (fixtures/classroom-result.schema.json, written from the reporter's source) and against the
// score `milab grade --json` gives for the same state.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { createEmulator, parseConfig, type Emulator } from '@milab/emulator';
import { buildReport, type CheckResult, type GradeReport } from '@milab/grading';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classroomResult, decodeClassroomResult, encodeClassroomResult, type ClassroomResult } from '../src/classroom/result.js';
import { run } from './in-process.js';

const schema = JSON.parse(readFileSync(new URL('./fixtures/classroom-result.schema.json', import.meta.url), 'utf8')) as object;
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);

function expectValid(result: unknown): void {
  const ok = validate(result);
  expect(validate.errors ?? [], JSON.stringify(result)).toEqual([]);
  expect(ok).toBe(true);
}

const sum = (result: ClassroomResult) => result.tests.reduce((total, t) => total + t.score, 0);
// A JWT (what a token leak would look like) anywhere in the text.
const JWT = /ey[A-Za-z0-9_-]{8,}\.ey[A-Za-z0-9_-]{8,}\./;

describe('classroomResult', () => {
  const head = { weight: 2, durationMs: 12.4 } as const;
  const results: CheckResult[] = [
    { ...head, id: '01.identity-exists', title: 'The identity exists', lab: '01', status: 'pass' },
    { ...head, id: '01.tags', title: 'It is tagged', lab: '01', status: 'fail', found: 'no tags; token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhYmMifQ.c2lnbmF0dXJl', expected: 'workshop=milab', fix: 'tag it' },
    { ...head, id: '01.reader-only', title: 'No role beyond Reader', lab: '01', status: 'pass', earnsWith: ['01.tags'] },
    { ...head, id: '02.reader', title: 'Reader on the subscription', lab: '02', status: 'skip', reason: 'lab 01 is not done' },
    { ...head, weight: 0, role: 'prerequisite', id: '02.lab-01-done', title: 'Lab 01 is done', lab: '02', status: 'error', kind: 'network', message: 'ECONNREFUSED', hint: 'start the emulator' },
  ];
  const report: GradeReport = buildReport({ startedAt: new Date().toISOString(), durationMs: 60, results, error: { kind: 'network', message: 'ECONNREFUSED', hint: 'start the emulator', lab: '02' } });

  it('gives one test per check, scored with the points milab gives, in the reporter schema', () => {
    const result = classroomResult(report);
    expectValid(result);
    expect(result.tests.map((t) => [t.name, t.status, t.score])).toEqual([
      ['01.identity-exists The identity exists', 'pass', 2],
      ['01.tags It is tagged', 'fail', 0],
      // Passed, but its points wait for 01.tags: as `milab grade` scores it.
      ['01.reader-only No role beyond Reader', 'pass', 0],
      ['02.reader Reader on the subscription', 'fail', 0],
      ['02.lab-01-done Lab 01 is done', 'error', 0],
    ]);
    expect(result.max_score).toBe(report.score.possible);
    expect(sum(result)).toBe(report.score.earned);
    expect(result.status).toBe('error');
    expect(result.tests[1]!.message).toMatch(/^found: no tags; token \[REDACTED\]\nexpected: workshop=milab\nfix: tag it$/);
    expect(result.tests[2]!.message).toMatch(/earns its points only once 01\.tags pass/);
    expect(result.tests[3]!.message).toBe('skipped: lab 01 is not done');
    expect(result.tests[4]!.message).toBe('could not grade: ECONNREFUSED\nnext step: start the emulator');
    expect(result.tests[0]!.test_code).toBe('./milab grade 01');
  });

  it('is encoded as the reporter decodes it (base64 of the JSON, one line), with no token', () => {
    const encoded = encodeClassroomResult(classroomResult(report));
    expect(encoded).toMatch(/^[A-Za-z0-9+/]+=*$/);
    // What the reporter's src/main.js does with `<RUNNER>_RESULTS`.
    const decoded = JSON.parse(Buffer.from(encoded, 'base64').toString('utf-8')) as ClassroomResult;
    expect(decoded).toEqual(classroomResult(report));
    expect(decodeClassroomResult(encoded)).toEqual(decoded);
    expect(JSON.stringify(decoded)).not.toMatch(JWT);
  });
});

describe('milab grade --classroom, against the emulator', () => {
  let home: string;
  let emulator: Emulator;
  const saved = { ...process.env };
  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'milab-cli-classroom-'));
    emulator = createEmulator(parseConfig({ stateDir: join(home, 'emulator'), port: 0, log: () => undefined }));
    await emulator.listen();
    await emulator.ready();
    for (const name of Object.keys(process.env)) if (/^(AZURE_|MILAB_)/.test(name)) delete process.env[name];
    Object.assign(process.env, { MILAB_HOME: home, MILAB_LEARNER: 'grace' });
    expect((await run('solve', '01')).code).toBe(0);
  });
  afterAll(async () => {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
    await emulator?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('prints the reporter result whose points add up to the score `milab grade --json` shows', async () => {
    const json = await run('grade', '01', '02', '03', '--json');
    const classroom = await run('grade', '01', '02', '03', '--classroom');
    // Lab 01 done, 02 and 03 not: something to fix, both ways.
    expect(json.code).toBe(1);
    expect(classroom.code).toBe(1);
    const report = JSON.parse(json.stdout) as GradeReport;
    // stdout is the payload alone, one line (the summary went to stderr).
    expect(classroom.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(classroom.stderr).toMatch(/01/);
    const result = decodeClassroomResult(classroom.stdout);
    expectValid(result);
    expect(result.tests.map((t) => t.name)).toEqual(report.results.map((r) => `${r.id} ${r.title}`));
    expect(result.tests.map((t) => t.score)).toEqual(report.results.map((r) => r.points));
    expect(sum(result)).toBe(report.score.earned);
    expect(result.max_score).toBe(report.score.possible);
    expect(report.score.earned).toBeGreaterThan(0);
    expect(report.score.earned).toBeLessThan(report.score.possible);
    expect(result.status).toBe('fail');
    const failing = result.tests.find((t) => t.status === 'fail');
    expect(failing?.message).toMatch(/found: |skipped: /);
    expect(classroom.stdout + JSON.stringify(result)).not.toMatch(JWT);
  });

  it('prints the same result as JSON with --classroom-json', async () => {
    const plain = await run('grade', '01', '--classroom-json');
    expect(plain.code).toBe(0);
    const result = JSON.parse(plain.stdout) as ClassroomResult;
    expectValid(result);
    expect(result.status).toBe('pass');
    expect(sum(result)).toBe(result.max_score);
  });

  it('refuses --classroom with --json or --watch, naming both', async () => {
    const both = await run('grade', '01', '--classroom', '--json');
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--json and --classroom both print on stdout/);
    const watch = await run('grade', '01', '--classroom', '--watch');
    expect(watch.code).toBe(2);
    expect(watch.stderr).toMatch(/does not go with --watch/);
  });

  it('still prints a result, with the error and next step, when grading cannot start', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'milab-cli-classroom-none-'));
    const before = process.env.MILAB_HOME;
    process.env.MILAB_HOME = elsewhere;
    try {
      const stopped = await run('grade', '01', '--classroom');
      expect(stopped.code).toBe(2);
      const result = decodeClassroomResult(stopped.stdout);
      expectValid(result);
      expect(result.status).toBe('error');
      expect(result.tests).toHaveLength(1);
      expect(result.tests[0]!.status).toBe('error');
      expect(result.tests[0]!.message).toMatch(/^could not grade: .+\nnext step: .+/s);
      expect(result.max_score).toBeGreaterThan(0);
      expect(sum(result)).toBe(0);
    } finally {
      process.env.MILAB_HOME = before;
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
