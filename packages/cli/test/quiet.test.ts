// Issue 10, "quiet": `pnpm milab …` prints only milab's own output (no `$ node …` command line,
// no `ELIFECYCLE Command failed`) and keeps milab's exit codes 0/1/2. Runs pnpm itself, as the
// README's commands do, and the bin it runs (packages/cli/bin/milab.mjs) without pnpm.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, parseConfig, type Emulator } from '@milab/emulator';
import { cleanEnv, repo, type CliResult } from './support.js';

/** The README's pnpm: `npx -y pnpm@12.4.2`. */
const PNPM = ['-y', 'pnpm@12.4.2'];

function exec(file: string, args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: repo, env: cleanEnv(env), timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

function expectQuiet(result: CliResult): void {
  const all = result.stdout + result.stderr;
  expect(all).not.toMatch(/^\$ /m);
  expect(all).not.toContain('node --conditions=source');
  expect(all).not.toContain('ELIFECYCLE');
  expect(all).not.toContain('Command failed');
}

describe('pnpm milab', () => {
  let home: string;
  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'milab-quiet-'));
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('--help: only the help, exit 0', async () => {
    const result = await exec('npx', [...PNPM, 'milab', '--help'], { MILAB_HOME: home });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: milab /);
    expectQuiet(result);
  }, 120_000);

  it('could not grade (the emulator is stopped): only milab\'s message, exit 2', async () => {
    const result = await exec('npx', [...PNPM, 'milab', 'grade', '01'], { MILAB_HOME: home, MILAB_LEARNER: 'ada' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^milab: The emulator is not running/);
    expectQuiet(result);
  }, 120_000);

  describe('with the emulator running', () => {
    let emulator: Emulator;
    let emulatorHome: string;
    beforeAll(async () => {
      emulatorHome = mkdtempSync(join(tmpdir(), 'milab-quiet-emulator-'));
      emulator = createEmulator(parseConfig({ stateDir: join(emulatorHome, 'emulator'), port: 0, log: () => undefined }));
      await emulator.listen();
      await emulator.ready();
    });
    afterAll(async () => {
      await emulator?.close();
      rmSync(emulatorHome, { recursive: true, force: true });
    });

    it('a failing grade: the report and exit 1, no ELIFECYCLE', async () => {
      const result = await exec('npx', [...PNPM, 'milab', 'grade', '01'], { MILAB_HOME: emulatorHome, MILAB_LEARNER: 'ada' });
      expect(result.code).toBe(1);
      expect(result.stdout).toContain('01.identity-exists');
      expectQuiet(result);
    }, 120_000);
  });
});

it('the bin runs (building its bundle if needed) and exits with milab\'s code', async () => {
  const home = mkdtempSync(join(tmpdir(), 'milab-quiet-bin-'));
  try {
    const help = await exec(process.execPath, [join(repo, 'packages/cli/bin/milab.mjs'), 'config', 'show'], { MILAB_HOME: home, MILAB_LEARNER: 'ada' });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('learnerId       ada');
    const refused = await exec(process.execPath, [join(repo, 'packages/cli/bin/milab.mjs'), 'config', 'set', 'location', 'mars'], { MILAB_HOME: home });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("'mars' is not an Azure region");
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}, 60_000);
