// The labs self-check (the rustlings habit): every lab is complete (lab.json with hints, every
// README section, solution/ mirroring starter/), every starter run as the learner leaves its
// grader failing, every solution makes it pass, and the solutions run in order pass 01-03
// together. On a real emulator in-process, with the real SDK clients.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkObjectives, listLabs, README_SECTIONS, readmeHeadings, runLabProgram, TodoError, type LabContext } from '@milab/labs';
import { GRADERS } from '../index.js';
import { failed, type LabWorld, useLabWorld, withStatus } from './support.js';

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

describe('every lab is complete', () => {
  const labs = listLabs();

  it('has labs 01-03, each with a grader', () => {
    expect(labs.map((lab) => lab.folder)).toEqual(expect.arrayContaining(['01-create-identity', '02-grant-reader', '03-attach-to-vm']));
    for (const lab of labs) expect(GRADERS.map((g) => g.lab.id)).toContain(lab.id);
  });

  it('no grader run by its shebang holds a dynamic import (tsx reads the shebang\'s `--import tsx` as an import statement there)', () => {
    const dir = join(import.meta.dirname, '..');
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
      const text = readFileSync(join(dir, name), 'utf8');
      if (text.startsWith('#!')) expect(/\bimport\(/.test(text), `${name}: load it from a module without a shebang (see 09-key-vault-secret-vault.ts)`).toBe(false);
    }
  });

  it('every check carries its exam objectives (labs/exam/checks.json) into its results', () => {
    for (const grader of GRADERS) {
      for (const check of grader.checks) {
        expect(check.objectives, check.id).toEqual(checkObjectives(check.id));
        expect(check.objectives?.length, `${check.id} has no exam objective`).toBeGreaterThan(0);
      }
    }
  });

  it.each(labs.map((lab) => [lab.folder, lab] as const))('%s: hints, README sections, solution mirrors starter', (_name, lab) => {
    expect(lab.hints.length).toBeGreaterThanOrEqual(2);
    for (const hint of lab.hints) expect(hint.trim().length).toBeGreaterThan(20);
    expect(lab.objectives.length).toBeGreaterThan(0);
    const headings = readmeHeadings(readFileSync(lab.readme, 'utf8'));
    expect(headings.filter((h) => (README_SECTIONS as readonly string[]).includes(h))).toEqual([...README_SECTIONS]);
    expect(files(join(lab.dir, 'solution'))).toEqual(files(join(lab.dir, 'starter')));
  });
});

describe('starters fail and solutions pass, on the emulator', () => {
  let world: LabWorld;
  useLabWorld((started) => {
    world = started;
  });

  // Labs whose programs run on the VM (04, 05) are graded on their programs: test/vm-labs.test.ts;
  // lab 06, local with a part on the VM, in test/lab06.test.ts.
  const LOCAL = GRADERS.filter((g) => g.lab.runsOn === 'local' && !g.lab.vmProgram);
  it.each(LOCAL.map((g) => [g.lab.id] as const))('lab %s: the starter leaves the grader failing, the solution makes it pass', async (id) => {
    const earlier = LOCAL.map((g) => g.lab.id).filter((other) => other < id);
    await world.solve(...earlier);
    const grader = GRADERS.find((g) => g.lab.id === id)!;
    const ctx = await world.labContext(id);
    if (grader.lab.setup) await world.prepare(id);
    const { main: starter } = (await import(pathToFileURL(grader.lab.starter).href)) as { main: (ctx: LabContext) => Promise<void> };
    await expect(starter(ctx)).rejects.toBeInstanceOf(TodoError);
    const before = await world.grade(id);
    expect(before.status).toBe('failed');
    expect(withStatus(before, 'fail')).toContain(grader.keyCheck.id);

    await world.solve(id);
    const after = await world.grade(id);
    expect(failed(after)).toEqual([]);
    expect(after.status).toBe('passed');
  });

  it('the solutions run in order pass 01-03 graded together; running them again changes nothing', async () => {
    await world.solve('01', '02', '03');
    await world.solve('01', '02', '03');
    // Labs 01-03 (lab 11, local too, undoes them: its own test runs it after them).
    const first = LOCAL.filter((g) => g.lab.id <= '03');
    const report = await world.grade(...first.map((g) => g.lab.id));
    expect(report.status).toBe('passed');
    expect(report.labs?.map((lab) => [lab.lab, lab.status])).toEqual(first.map((g) => [g.lab.id, 'passed']));
  });

  it('a starter and a solution run as programs, the way a learner runs them', async () => {
    const lab = GRADERS[0]!.lab;
    const env: NodeJS.ProcessEnv = { ...process.env, ...world.env, AZURE_POD_IDENTITY_AUTHORITY_HOST: 'http://127.0.0.1:9' };
    for (const name of Object.keys(env)) if (/^AZURE_(CLIENT|TENANT)_/.test(name)) delete env[name];
    const starter = await runLabProgram(lab, 'starter', { env, timeoutMs: 30_000 });
    expect(starter.exitCode).toBe(1);
    expect(starter.stderr).toContain('TODO: create the user-assigned identity');
    expect(starter.stderr).toContain('./milab hint 01');
    const solution = await runLabProgram(lab, 'solution', { env, timeoutMs: 30_000 });
    expect(solution.stderr).toBe('');
    expect(solution.exitCode).toBe(0);
    expect(solution.stdout).toContain(`id-milab-ada: clientId`);
    expect((await world.grade('01')).status).toBe('passed');
  }, 90_000); // two child processes (each lab program starts tsx, 30 s allowed each): slow on a loaded machine
});
