// "Graded before the clean-up" (src/cleanup-record.ts): once lab 11 has started, a lab 01–10 whose
// live grade fails is shown with the result saved then, labelled in the terminal, the JSON report
// and JUnit; a live pass is shown as it is; nothing saved, or saved in another world (before an
// emulator reset), shows the live failure; a live run that could not grade stays as it is; and
// `milab start` saves the record only when every lab before 11 passed. Against an in-process
// emulator with the real lab 01 grader and solution, through `milab grade` in-process.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createArmClients, createArmContext, loadConfig } from '@milab/core';
import { createEmulator, parseConfig, type Emulator } from '@milab/emulator';
import { GRADERS } from '@milab/graders';
import type { GradeReport } from '@milab/grading';
import { createLabContext, findLab, type LabContext } from '@milab/labs';
import { CLEANUP_LAB, gradeAndSaveWithRecord, recordBeforeCleanup, recordFor, withCleanupRecord } from '../src/cleanup-record.js';
import { currentWorldId } from '../src/labs.js';
import { progressFile, readProgress, recordCleanup, type Progress } from '../src/progress.js';
import { run } from './in-process.js';

describe('graded before the clean-up', () => {
  let home: string;
  let emulator: Emulator;
  let env: Record<string, string>;
  const saved = { ...process.env };
  const grader01 = GRADERS.find((g) => g.lab.id === '01')!;
  const config = () => loadConfig({ env });
  const learner = () => createArmClients(createArmContext(config(), { as: 'learner', env }));

  async function solve01(): Promise<void> {
    const lab = findLab('01');
    const { main } = (await import(pathToFileURL(lab.solution).href)) as { main: (ctx: LabContext) => Promise<void> };
    await main(await createLabContext(lab, { config: config(), env, log: () => undefined }));
  }
  /** Lab 01 graded live (and saved in progress), then saved as the record of this world. */
  async function saveRecordOf01(): Promise<GradeReport> {
    const { reports } = await gradeAndSaveWithRecord([grader01], { config: config(), env });
    expect(reports[0]!.status).toBe('passed');
    const c = config();
    recordCleanup('emulator', { gradedAt: '2026-12-01T20:00:00.000Z', subscriptionId: c.subscriptionId!, learnerId: c.learnerId, worldId: (await currentWorldId(c))!, reports }, env);
    return reports[0]!;
  }
  const deleteIdentity = async () => (await learner()).msi.userAssignedIdentities.delete(config().resourceGroup!, 'id-milab-ada');

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'milab-cli-cleanup-'));
    emulator = createEmulator(parseConfig({ stateDir: join(home, 'emulator'), port: 0, log: () => undefined }));
    await emulator.listen();
    await emulator.ready();
    env = { MILAB_HOME: home, MILAB_LEARNER: 'ada' };
    // The in-process commands read process.env: only this worker's copy changes.
    for (const name of Object.keys(process.env)) if (/^(AZURE_|MILAB_)/.test(name)) delete process.env[name];
    Object.assign(process.env, env);
  });
  afterAll(async () => {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
    await emulator?.close();
    rmSync(home, { recursive: true, force: true });
  });
  beforeEach(async () => {
    emulator.reset();
    rmSync(progressFile(env), { force: true });
    await solve01();
  });

  it('nothing saved: the live failure is shown, and no note', async () => {
    await deleteIdentity();
    const graded = await run('grade', '01', '--json');
    expect(graded.code).toBe(1);
    const report = JSON.parse(graded.stdout) as GradeReport;
    expect(report.status).toBe('failed');
    expect(graded.stdout + graded.stderr).not.toContain('before the clean-up');
  });

  it('saved in this world: a failing lab is shown with its saved result, labelled in the terminal, JSON and JUnit; status agrees', async () => {
    await saveRecordOf01();
    await deleteIdentity();
    const junit = join(home, 'junit.xml');
    const graded = await run('grade', '01', '--json', '--junit', junit);
    expect(graded.code).toBe(0);
    const report = JSON.parse(graded.stdout) as GradeReport;
    expect(report.status).toBe('passed');
    const label = `graded before the clean-up (lab ${CLEANUP_LAB}), at 2026-12-01T20:00:00.000Z`;
    expect(report.title).toContain(label);
    for (const result of report.results) expect(result.status === 'pass' && result.details).toContain(label);
    expect(readFileSync(junit, 'utf8')).toContain(label);
    expect(graded.stderr).toContain('lab 01 finds nothing now: lab 11 cleaned up its work');
    expect(graded.stderr).toContain(label);
    expect(readProgress(env).grades.emulator?.['01']?.status).toBe('passed');
    // The terminal summary (no --json) names it too.
    const terminal = await run('grade', '01');
    expect(terminal.code).toBe(0);
    expect(terminal.stdout).toContain(label);
    // Its check lines are the saved ones, each saying so; the live failures (the identity is
    // gone) are held back, not printed first.
    expect(terminal.stdout).not.toMatch(/✖/);
    const checkLines = terminal.stdout.split('\n').filter((line) => line.startsWith('✔'));
    expect(checkLines).toHaveLength(grader01.checks.length);
    for (const line of checkLines) expect(line).toContain('(before the clean-up)');
  });

  it('milab status (and start) labels a grade that is the record, in the table and --json, until a live grade replaces it; --refresh grades as milab grade does', async () => {
    await saveRecordOf01();
    await deleteIdentity();
    const label = `graded before the clean-up (lab ${CLEANUP_LAB}), at 2026-12-01T20:00:00.000Z`;
    const line01 = (stdout: string) => stdout.split('\n').find((line) => / 01 {2}/.test(line));
    const json01 = async () => (JSON.parse((await run('status', '--json')).stdout) as { labs: { id: string; done: boolean; beforeCleanup?: unknown }[] }).labs.find((l) => l.id === '01');
    // --refresh: lab 01 finds nothing live, and is shown (and saved) with its record, labelled.
    const refreshed = await run('status', '--refresh');
    expect(refreshed.code).toBe(0);
    expect(line01(refreshed.stdout)).toMatch(/^✔ 01 .* passed 100% .* — graded before the clean-up/);
    expect(line01(refreshed.stdout)).toContain(label);
    expect(refreshed.stderr).toContain('lab 01 finds nothing now');
    // Without --refresh, from the saved progress: the same, in the table and in --json.
    expect(line01((await run('status')).stdout)).toContain(label);
    expect(await json01()).toMatchObject({ done: true, beforeCleanup: { gradedAt: '2026-12-01T20:00:00.000Z', label } });
    // milab start's table says it too.
    const started = await run('start');
    expect(started.code, started.stderr).toBe(0);
    expect(line01(started.stdout)).toContain(label);
    // Another lab's row has no such field.
    expect((JSON.parse((await run('status', '--json')).stdout) as { labs: { id: string; beforeCleanup?: unknown }[] }).labs.filter((l) => l.beforeCleanup).map((l) => l.id)).toEqual(['01']);
    // The work made again and graded live: a live pass, no label.
    await solve01();
    expect((await run('grade', '01')).code).toBe(0);
    expect(line01((await run('status')).stdout)).not.toContain('before the clean-up');
    expect(await json01()).not.toHaveProperty('beforeCleanup');
  });

  it('a live pass is shown as it is, even with a record saved', async () => {
    await saveRecordOf01();
    const graded = await run('grade', '01', '--json');
    const report = JSON.parse(graded.stdout) as GradeReport;
    expect(report.status).toBe('passed');
    expect(graded.stdout + graded.stderr).not.toContain('before the clean-up');
  });

  it('saved in another world (before an emulator reset): not used, the live failure is shown', async () => {
    await saveRecordOf01();
    emulator.reset();
    const c = config();
    const world = { target: c.target, subscriptionId: c.subscriptionId!, learnerId: c.learnerId, worldId: await currentWorldId(c) };
    expect(recordFor(readProgress(env), world)).toBeUndefined();
    const graded = await run('grade', '01', '--json');
    expect(graded.code).toBe(1);
    expect((JSON.parse(graded.stdout) as GradeReport).status).toBe('failed');
    expect(graded.stderr).not.toContain('before the clean-up');
  });

  it('another learner in the same world: not used', async () => {
    await saveRecordOf01();
    await deleteIdentity();
    const progress = readProgress(env);
    const record = progress.cleanup!.emulator!;
    recordCleanup('emulator', { ...record, learnerId: 'bob' }, env);
    const graded = await run('grade', '01', '--json');
    expect(graded.code).toBe(1);
  });

  it('a live run that could not grade stays as it is', async () => {
    const live = await saveRecordOf01();
    const error: GradeReport = { ...live, status: 'error', error: { kind: 'other', message: 'the emulator stopped', hint: 'start it' } };
    const result = { reports: [error], report: error, progress: readProgress(env) };
    const shown = await withCleanupRecord(result, config(), { env, note: () => undefined });
    expect(shown.report.status).toBe('error');
  });

  it('milab start saves the record only when every lab before 11 passed live (and lab 11 did not)', async () => {
    const live = await saveRecordOf01();
    rmSync(progressFile(env), { force: true });
    const as = (lab: string, status: GradeReport['status']): GradeReport => ({ ...live, lab, status });
    const before = GRADERS.filter((g) => g.lab.id < CLEANUP_LAB).map((g) => g.lab.id);
    const start = (reports: GradeReport[]) => withCleanupRecord({ reports, report: reports[0]!, progress: readProgress(env) as Progress }, config(), { env, recordWhenNext: true, note: () => undefined });
    await start([...before.map((id) => as(id, id === '02' ? 'failed' : 'passed')), as(CLEANUP_LAB, 'failed')]);
    expect(readProgress(env).cleanup).toBeUndefined();
    await start([...before.map((id) => as(id, 'passed')), as(CLEANUP_LAB, 'passed')]);
    expect(readProgress(env).cleanup).toBeUndefined();
    await start([...before.map((id) => as(id, 'passed')), as(CLEANUP_LAB, 'failed')]);
    expect(readProgress(env).cleanup?.emulator?.reports.map((r) => r.lab)).toEqual(before);
  });

  it('milab solve 11 with labs before it not done: says which, saves nothing and keeps the record saved before; another lab: nothing', async () => {
    await saveRecordOf01();
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void lines.push(parts.join(' ')));
    try {
      await recordBeforeCleanup(findLab('01'), config(), env);
      expect(lines).toEqual([]);
      await recordBeforeCleanup(findLab(CLEANUP_LAB), config(), env);
    } finally {
      log.mockRestore();
    }
    const text = lines.join('\n');
    expect(text).toContain('grading labs 01, 02, 03');
    expect(text).toMatch(/labs 02, 03, .* do not pass now: nothing saved\. The record saved at 2026-12-01T20:00:00\.000Z is kept/);
    expect(readProgress(env).cleanup?.emulator?.gradedAt).toBe('2026-12-01T20:00:00.000Z');
  });

  it('a progress file whose record is not what milab writes is named, and left as it is', () => {
    writeFileSync(progressFile(env), JSON.stringify({ version: 1, grades: {}, hints: {}, cleanup: { emulator: { gradedAt: 1 } } }));
    expect(() => readProgress(env)).toThrow(/progress\.json: it is not what milab writes \(cleanup\.emulator\./);
  });
});
