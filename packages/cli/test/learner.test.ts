// The learner's commands end to end, through the real `milab` entry point in a child process,
// against a real emulator in-process (port 0, temporary milab home): status, hint, grade (JSON and
// JUnit), solve, reset, start. Plus progress.json handling in-process.
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, parseConfig, type Emulator } from '@milab/emulator';
import { findLab, listLabs } from '@milab/labs';
import type { GradeReport } from '@milab/grading';
import { readProgress, recordGrades, resetHints, takeHint } from '../src/progress.js';
import { cleanEnv, milab, repo } from './support.js';
import { run } from './in-process.js';
import { spawn } from 'node:child_process';
import { createArmClients, createArmContext, loadConfig } from '@milab/core';

describe('the learner commands against the emulator', () => {
  let home: string;
  let emulator: Emulator;
  let env: Record<string, string>;
  const saved = { ...process.env };
  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'milab-cli-learner-'));
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

  it('status, hints, a failing grade with JSON and JUnit, solve, a passing grade, status again', async () => {
    const before = await run('status');
    expect(before.code).toBe(0);
    expect(before.stdout).toContain(`Target emulator, learner ada: 0 of ${listLabs().length} labs done`);
    expect(before.stdout).toMatch(/^→ 01 {2}Create a user-assigned managed identity/m);
    expect(before.stdout).toContain('./milab grade 01');

    const hints = [];
    for (let i = 0; i < 4; i++) hints.push(await run('hint', '01'));
    expect(hints.map((h) => /hint (\d) of 3/.exec(h.stdout)?.[1])).toEqual(['1', '2', '3', '3']);
    expect(hints[0]!.stdout).toContain(findLab('01').hints[0]);
    expect(hints[2]!.stdout).toContain('That is the last hint');

    const junit = join(home, 'reports', 'lab01.xml');
    // The real entry point, once: JSON on stdout, the terminal report on stderr, exit code 1.
    const failing = await milab(['grade', '01', '--json', '--junit', junit], env);
    expect(failing.code).toBe(1);
    const report = JSON.parse(failing.stdout) as GradeReport;
    expect(report).toMatchObject({ lab: '01', status: 'failed', target: 'emulator' });
    expect(report.results[0]).toMatchObject({ id: '01.identity-exists', status: 'fail' });
    expect(failing.stderr).toContain('az identity create -g DevTest -n id-milab-ada');
    expect(readFileSync(junit, 'utf8')).toContain('01.identity-exists');

    const solved = await run('solve', '01');
    expect(solved.stderr).toBe('');
    expect(solved.code).toBe(0);
    expect(solved.stdout).toContain('id-milab-ada: clientId');

    const passing = await run('grade', '01');
    expect(passing.code).toBe(0);
    expect(passing.stdout).toContain('3 passed, 0 failed, 0 skipped — score 100%');

    const after = await run('status');
    expect(after.stdout).toMatch(/^✔ 01 .* passed 100%/m);
    expect(after.stdout).toMatch(/^→ 02 /m);
    expect(readProgress(env).grades.emulator?.['01']).toMatchObject({ status: 'passed', open: [] });
  }, 60_000);

  it('solve of a lab whose earlier lab is not done says which to do first', async () => {
    emulator.reset();
    const solved = await run('solve', '03');
    expect(solved.code).toBe(1);
    expect(solved.stderr).toContain('Lab 03 builds on lab 02, and what it needs is missing');
    expect(solved.stderr).toContain('./milab solve 02');
  });

  it('names the labs when given an unknown one, and grades all labs by default', async () => {
    const unknown = await run('grade', '99');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('There is no lab "99"');
    const all = await run('grade', '--json');
    const report = JSON.parse(all.stdout) as GradeReport;
    expect(report.labs?.map((l) => l.lab)).toEqual(listLabs().map((l) => l.id));
  });

  it('grade --watch grades again when the cloud state changes and when a lab file changes; Ctrl-C stops it', async () => {
    emulator.reset();
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', join(repo, 'packages/cli/src/main.ts'), 'grade', '01', '--watch', '--interval', '2'], {
      cwd: repo,
      env: cleanEnv(env),
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const until = async (text: string, times = 1) => {
      const deadline = Date.now() + 40_000;
      while (output.split(text).length - 1 < times) {
        if (Date.now() > deadline) throw new Error(`no "${text}" (x${times}) in:\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    try {
      await until('Watching labs/01-create-identity/');
      expect(output).toContain('0 passed, 1 failed, 2 skipped');
      const config = loadConfig({ env });
      const learner = await createArmClients(createArmContext(config, { as: 'learner', env }));
      await learner.msi.userAssignedIdentities.createOrUpdate('DevTest', 'id-milab-ada', { location: 'westus', tags: { workshop: 'milab', learner: 'ada', lab: '01' } });
      await until('the state in Azure changed');
      await until('3 passed, 0 failed, 0 skipped');
      const readme = findLab('01').readme;
      utimesSync(readme, new Date(), new Date());
      await until('labs/01-create-identity/README.md changed: grading again');
      await until('3 passed, 0 failed, 0 skipped', 2);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  }, 90_000);

  it('reset restores the starter from git', async () => {
    const starter = findLab('01').starter;
    const original = readFileSync(starter, 'utf8');
    try {
      writeFileSync(starter, `${original}\n// my attempt\n`);
      const reset = await run('reset', '01');
      expect(reset.code).toBe(0);
      expect(reset.stdout).toContain('Restored labs/01-create-identity/starter/index.ts from git');
      expect(readFileSync(starter, 'utf8')).toBe(original);
      const again = await run('reset', '01');
      expect(again.stdout).toContain('nothing to restore');
    } finally {
      writeFileSync(starter, original);
    }
  });
});

it('start starts the emulator when it is not running, and shows lab 01 as next', async () => {
  const home = mkdtempSync(join(tmpdir(), 'milab-cli-start-'));
  const env = { MILAB_HOME: home, MILAB_LEARNER: 'ada', MILAB_EMULATOR_PORT: '0' };
  try {
    const started = await milab(['start'], env);
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
    expect(started.stdout).toContain('Started the emulator at https://127.0.0.1:');
    expect(started.stdout).toContain('Names:  resource group DevTest, location westus, identity id-milab-ada, VM labvm');
    expect(started.stdout).toMatch(/^→ 01 /m);
    expect(started.stdout).toContain('Read labs/01-create-identity/README.md');
    const again = await milab(['start'], env);
    expect(again.stdout).not.toContain('Started the emulator');
  } finally {
    await milab(['emulator', 'stop'], env);
    rmSync(home, { recursive: true, force: true });
  }
}, 60_000);

describe('progress.json', () => {
  let home: string;
  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'milab-progress-'));
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  const report = (lab: string, status: GradeReport['status']): GradeReport => ({
    lab,
    startedAt: '2026-11-29T12:00:00.000Z',
    durationMs: 1000,
    status,
    score: { earned: status === 'passed' ? 1 : 0, possible: 1, percent: status === 'passed' ? 100 : 0 },
    counts: { passed: 0, failed: 0, skipped: 0, errored: 0 },
    results: [],
  });

  it('keeps grades per target, and a could-not-grade run does not overwrite a real grade', () => {
    const env = { MILAB_HOME: home };
    recordGrades([report('01', 'passed')], 'emulator', env);
    recordGrades([report('01', 'error'), report('02', 'error')], 'emulator', env);
    recordGrades([report('01', 'failed')], 'azure', env);
    const progress = readProgress(env);
    expect(progress.grades.emulator?.['01']).toMatchObject({ status: 'passed', gradedAt: '2026-11-29T12:00:01.000Z' });
    expect(progress.grades.emulator?.['02']?.status).toBe('error');
    expect(progress.grades.azure?.['01']?.status).toBe('failed');
    expect(existsSync(join(home, `progress.json.${process.pid}.tmp`))).toBe(false);
  });

  it('hands out hints in order, stays on the last, and starts over after a reset', () => {
    const env = { MILAB_HOME: home };
    expect([1, 2, 3, 4].map(() => takeHint('02', 3, env).index)).toEqual([0, 1, 2, 2]);
    resetHints('02', env);
    expect(takeHint('02', 3, env)).toEqual({ index: 0, last: false });
  });

  it('explains an unreadable progress file', () => {
    const env = { MILAB_HOME: mkdtempSync(join(tmpdir(), 'milab-progress-bad-')) };
    writeFileSync(join(env.MILAB_HOME, 'progress.json'), '{ not json');
    expect(() => readProgress(env)).toThrow(/Cannot use your progress file .*progress\.json: it is not valid JSON/);
  });
});

describe('the lab READMEs', () => {
  it('name only commands and files that exist', async () => {
    // The program milab runs: every command it registers, so a README may name any of them.
    const { buildProgram } = await import('../src/program.js');
    const program = buildProgram();
    const { listLabs } = await import('@milab/labs');
    const { repoRoot } = await import('@milab/core');
    let named = 0;
    for (const lab of listLabs()) {
      const text = readFileSync(lab.readme, 'utf8');
      for (const match of text.matchAll(/(?:\.\/milab|pnpm (?:--silent )?milab) ([a-z-]+)(?: ([a-z-]+))?/g)) {
        const command = program.commands.find((c) => c.name() === match[1]);
        expect(command, `${lab.folder}/README.md names \`${match[0]}\``).toBeDefined();
        if (command && command.commands.length > 0) expect(command.commands.map((c) => c.name()), `${lab.folder}/README.md: ${match[0]}`).toContain(match[2]);
        named++;
      }
      for (const match of text.matchAll(/\blabs\/[\w-]+\/[\w./-]*[\w]/g)) {
        expect(existsSync(join(repoRoot(), match[0])), `${lab.folder}/README.md names ${match[0]}`).toBe(true);
      }
    }
    expect(named).toBeGreaterThan(10);
  });
});
