// The gradebook CSVs of `milab class grade --csv F --csv-format milab|canvas|moodle`: each layout's
// header and rows, the roster's lmsId as the LMS identity column, one column per lab (one with
// --lab), formula-injection escaping; the roster's lmsId column; and the command on the emulator.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArmClients, createArmContext, labTags, loadConfig } from '@milab/core';
import { createEmulator, parseConfig, type Emulator } from '@milab/emulator';
import { buildReport, type CheckResult, type GradeReport } from '@milab/grading';
import { labNames } from '@milab/labs';
import { classTags, learnerEnv, loadClass, parseRoster, writeClassFolder, type ClassFolderError } from '../src/class/folder.js';
import { CANVAS_IDENTITY_COLUMNS, CANVAS_POINTS_POSSIBLE, checkColumns, CSV_IDENTITY_COLUMNS, CSV_TOTAL_COLUMNS, formatCsv, labColumn, learnersWithoutLmsId, MOODLE_IDENTITY_COLUMNS } from '../src/class/report-csv.js';
import { buildClassResult, type LabColumn, type LearnerInput } from '../src/class/scoreboard.js';
import { registerClassGrade } from '../src/commands/class-grade.js';
import { runProgram } from './in-process.js';

const LABS: LabColumn[] = [
  { id: '01', title: 'Create an identity', checks: [{ id: '01.exists', title: 'Exists', weight: 2 }, { id: '01.tags', title: 'Tagged', weight: 1 }] },
  { id: '02', title: 'Grant Reader', checks: [{ id: '02.lab-01-done', title: 'Lab 01 is done', weight: 0, role: 'prerequisite' }, { id: '02.reader', title: 'Reader', weight: 2 }] },
];

function labReport(lab: LabColumn, passes: boolean[]): GradeReport {
  const results = lab.checks.map((check, i): CheckResult =>
    passes[i] ? { ...check, lab: lab.id, durationMs: 1, status: 'pass' } : { ...check, lab: lab.id, durationMs: 1, status: 'fail', found: 'no', expected: 'yes', fix: 'do it' },
  );
  return buildReport({ lab: lab.id, title: lab.title, target: 'emulator', startedAt: '2026-12-01T12:00:00.000Z', durationMs: 2, results });
}

function learner(id: string, passes: boolean[][], extra: Partial<LearnerInput> = {}): LearnerInput {
  return { learner: id, displayName: id.toUpperCase(), labs: passes.map((p, i) => ({ report: labReport(LABS[i]!, p), source: 'graded' as const })), ...extra };
}

function classResult(learners: LearnerInput[], labs: LabColumn[] = LABS) {
  return buildClassResult({ classId: 'c1', target: 'emulator', mode: 'shared', gradedAt: '2026-12-01T12:00:00.000Z', durationMs: 10, labs, learners });
}

const rowsOf = (csv: string) => parse(csv) as string[][];

describe('the gradebook CSV layouts', () => {
  const ada = learner('ada', [[true, true], [true, true]], { upn: 'ada@example.org' });
  const bob = learner('bob', [[true, false], [true, false]]);
  // dee's lab 02 is flagged (a self-run report with someone else's claims): no grade, not a 0.
  const deeInput = learner('dee', [[true, true], [true, true]], { displayName: '=HYPERLINK("http://evil","x")', upn: 'dee@example.org' });
  const dee = { ...deeInput, labs: deeInput.labs.map((l, i) => (i === 1 ? { ...l, flags: ["claims are not dee's"] } : l)) };
  const result = classResult([ada, bob, dee]);
  const lmsIds = new Map([
    ['ada', 'S-1001'],
    ['dee', '+4477'],
  ]);

  it('milab (the default) is the per-check layout it always was', () => {
    const rows = rowsOf(formatCsv(result, { lmsIds }));
    expect(rows[0]).toEqual([...CSV_IDENTITY_COLUMNS, ...checkColumns(result), ...CSV_TOTAL_COLUMNS]);
    expect(formatCsv(result, { format: 'milab', lmsIds })).toBe(formatCsv(result));
  });

  it('canvas: the identity columns Canvas reads, a Points Possible row, one assignment per lab, the lmsId as SIS User ID', () => {
    const csv = formatCsv(result, { format: 'canvas', lmsIds });
    expect(csv).toContain('\r\n');
    const rows = rowsOf(csv);
    expect(rows[0]).toEqual([...CANVAS_IDENTITY_COLUMNS, 'milab 01 Create an identity', 'milab 02 Grant Reader']);
    // As canvas-lms lib/gradebook_importer.rb checks its header: Student, ID, …, ending with Section.
    expect(rows[0]![0]).toContain('Student');
    expect(rows[0]![1]).toContain('ID');
    expect(rows[0]!.slice(2, 5)).toEqual(['SIS User ID', 'SIS Login ID', 'Section']);
    expect(rows[1]).toEqual([CANVAS_POINTS_POSSIBLE, '', '', '', '', '3', '2']);
    expect(rows.slice(2)).toEqual([
      ['ADA', '', 'S-1001', 'ada@example.org', 'c1', '3', '2'],
      ['BOB', '', '', '', 'c1', '2', '0'],
      // Formula-like text is kept as text; the flagged lab is empty.
      [`'=HYPERLINK("http://evil","x")`, '', "'+4477", 'dee@example.org', 'c1', '3', ''],
    ]);
  });

  it('moodle: ID number (the lmsId), Email address, Full name, one grade item per lab', () => {
    const rows = rowsOf(formatCsv(result, { format: 'moodle', lmsIds }));
    expect(rows[0]).toEqual([...MOODLE_IDENTITY_COLUMNS, 'milab 01 Create an identity', 'milab 02 Grant Reader']);
    expect(rows.slice(1)).toEqual([
      ['S-1001', 'ada@example.org', 'ADA', '3', '2'],
      ['', '', 'BOB', '2', '0'],
      ["'+4477", 'dee@example.org', `'=HYPERLINK("http://evil","x")`, '3', ''],
    ]);
  });

  it('gives one lab, one assignment column, when the class was graded with --lab', () => {
    const one = classResult([ada, bob].map((l) => ({ ...l, labs: l.labs.slice(1) })), LABS.slice(1));
    expect(rowsOf(formatCsv(one, { format: 'canvas', lmsIds }))[0]).toEqual([...CANVAS_IDENTITY_COLUMNS, labColumn(LABS[1]!)]);
    expect(rowsOf(formatCsv(one, { format: 'moodle', lmsIds }))[0]).toEqual([...MOODLE_IDENTITY_COLUMNS, labColumn(LABS[1]!)]);
  });

  it('names the learners without an LMS id', () => {
    expect(learnersWithoutLmsId(result, lmsIds)).toEqual(['bob']);
    expect(learnersWithoutLmsId(result, undefined)).toEqual(['ada', 'bob', 'dee']);
  });
});

describe("the roster's lmsId column", () => {
  const emulator = { target: 'emulator', mode: 'shared' } as const;
  const refusals = (text: string) => {
    try {
      parseRoster(text, emulator);
      return [];
    } catch (error) {
      return (error as ClassFolderError).problems.map((p) => `${p.line}: ${p.message}`);
    }
  };

  it('is optional, in any case and any place, and kept as written', () => {
    const roster = parseRoster('LMSID,learner,displayName\nS-1001,ada,Ada\n,bob,Bob\n', emulator);
    expect(roster.map((l) => [l.learner, l.lmsId])).toEqual([
      ['ada', 'S-1001'],
      ['bob', undefined],
    ]);
    expect(parseRoster('learner\nada\n', emulator)[0]!.lmsId).toBeUndefined();
  });

  it('refuses two learners with one LMS id, a control character and an overlong id, with the line', () => {
    expect(refusals('learner,lmsId\nada,S-1\nbob,S-1\n')).toEqual(['3: lmsId "S-1" is already on line 2: each learner needs their own LMS id']);
    expect(refusals(`learner,lmsId\nada,${'9'.repeat(101)}\n`)).toEqual([expect.stringMatching(/^2: lmsId is 101 characters long: expected at most 100/)]);
    expect(refusals('learner,lmsId\nada,"S\t1"\n')).toEqual([expect.stringMatching(/^2: lmsId has a control character/)]);
  });

  it('keeps the unknown-column rule, naming lmsId in the hint', () => {
    try {
      parseRoster('learner,lms_id\nada,1\n', emulator);
      expect.unreachable();
    } catch (error) {
      expect((error as ClassFolderError).problems.map((p) => p.message)).toEqual(['unknown column "lms_id": expected the header learner,displayName,entraObjectId,upn,subscriptionId']);
      expect((error as ClassFolderError).hint).toMatch(/optionally lmsId/);
    }
  });

  it('is written by class init when a learner has one, and loads back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'milab-gradebook-roster-'));
    try {
      writeClassFolder(dir, { classId: 'c1', target: 'emulator', mode: 'shared', learners: [{ learner: 'ada', lmsId: 'S-1001' }, { learner: 'bob' }] });
      expect(readFileSync(join(dir, 'roster.csv'), 'utf8').split('\n')[0]).toBe('learner,displayName,lmsId');
      expect(loadClass(dir).roster.map((l) => l.lmsId)).toEqual(['S-1001', undefined]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('milab class grade --csv-format, on the emulator', () => {
  let home: string;
  let server: Emulator;
  const saved = { ...process.env };
  const program = () => {
    const p = new Command('milab');
    registerClassGrade(p.command('class'));
    return p;
  };

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'milab-gradebook-'));
    server = createEmulator(parseConfig({ stateDir: join(home, 'emulator'), port: 0, log: () => undefined }));
    await server.listen();
    await server.ready();
    for (const name of Object.keys(process.env)) if (/^(AZURE_|MILAB_)/.test(name)) delete process.env[name];
    Object.assign(process.env, { MILAB_HOME: home, AZURE_POD_IDENTITY_AUTHORITY_HOST: 'http://127.0.0.1:9' });
    const dir = join(home, 'class');
    writeClassFolder(dir, { classId: 'c1', target: 'emulator', mode: 'shared', learners: [{ learner: 'ada', displayName: 'Ada', lmsId: 'S-1001', upn: 'ada@example.org' }, { learner: 'bob', displayName: 'Bob' }] });
    const folder = loadClass(dir);
    const env = { ...process.env };
    const instructor = await createArmClients(createArmContext(loadConfig({ env }), { as: 'instructor', env }));
    for (const l of ['ada', 'bob']) {
      const names = labNames(loadConfig({ env: { ...env, ...learnerEnv(folder, l) } }), { ...env, ...learnerEnv(folder, l) });
      await instructor.resources.resourceGroups.createOrUpdate(names.resourceGroup, { location: 'westus', tags: classTags('c1', l) });
      // ada has done lab 01; bob has not.
      if (l === 'ada') await instructor.msi.userAssignedIdentities.createOrUpdate(names.resourceGroup, names.identity, { location: names.location, tags: labTags(l, '01') });
    }
  });
  afterAll(async () => {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
    await server?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('writes the Canvas layout for one lab: one assignment, the lmsId as SIS User ID, a note for who has none', async () => {
    const file = join(home, 'lab01-canvas.csv');
    const run = await runProgram(program(), ['class', 'grade', '--class', join(home, 'class'), '--lab', '01', '--csv', file, '--csv-format', 'canvas']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/Wrote the gradebook CSV \(canvas layout\) to /);
    expect(run.stderr).toMatch(/no lmsId in the roster for bob: Canvas matches them by SIS Login ID/);
    const rows = rowsOf(readFileSync(file, 'utf8'));
    expect(rows[0]).toEqual([...CANVAS_IDENTITY_COLUMNS, 'milab 01 Create a user-assigned managed identity']);
    expect(rows[1]![0]).toBe(CANVAS_POINTS_POSSIBLE);
    const possible = Number(rows[1]![5]);
    expect(possible).toBeGreaterThan(0);
    expect(rows[2]).toEqual(['Ada', '', 'S-1001', 'ada@example.org', 'c1', String(possible)]);
    expect(rows[3]!.slice(0, 5)).toEqual(['Bob', '', '', '', 'c1']);
    expect(Number(rows[3]![5])).toBeLessThan(possible);
  });

  it('writes the Moodle layout', async () => {
    const file = join(home, 'moodle.csv');
    const run = await runProgram(program(), ['class', 'grade', '--class', join(home, 'class'), '--lab', '01', '02', '--csv', file, '--csv-format', 'moodle']);
    expect(run.code).toBe(1);
    const rows = rowsOf(readFileSync(file, 'utf8'));
    expect(rows[0]).toEqual([...MOODLE_IDENTITY_COLUMNS, 'milab 01 Create a user-assigned managed identity', 'milab 02 Grant the identity Reader on the subscription']);
    expect(rows[1]!.slice(0, 3)).toEqual(['S-1001', 'ada@example.org', 'Ada']);
  });

  it('refuses --csv-format without --csv, and an unknown layout', async () => {
    const none = await runProgram(program(), ['class', 'grade', '--class', join(home, 'class'), '--csv-format', 'canvas']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--csv-format canvas shapes the CSV file, and no --csv FILE was given\.\n {2}next step: Add the file/);
    const bad = await runProgram(program(), ['class', 'grade', '--class', join(home, 'class'), '--csv', join(home, 'x.csv'), '--csv-format', 'blackboard']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/Allowed choices are milab, canvas, moodle/);
  });
});
