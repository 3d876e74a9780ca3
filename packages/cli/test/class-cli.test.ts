// `./milab class …` as an instructor types it, from the repository root with a temporary milab
// home: --help, bad input refused with what is wrong and the next step (no stack trace), init,
// provision --what-if then for real (--json), env's exports, and teardown (refused without --yes
// when there is no terminal, then done with --yes).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, parseConfig, type Emulator } from '@milab/emulator';
import { cleanEnv, repo, type CliResult } from './support.js';

let home: string;
let emulator: Emulator;
let env: Record<string, string>;
const classDir = () => join(home, 'spring');

/** `./milab ARGS` from the repository root, stdin closed (no terminal). */
function milab(args: string[], extra: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(join(repo, 'milab'), args, { cwd: repo, env: cleanEnv({ ...env, ...extra }), timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
    child.stdin?.end();
  });
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'milab-class-cli-'));
  env = { MILAB_HOME: home };
  emulator = createEmulator(parseConfig({ stateDir: join(home, 'emulator'), port: 0, log: () => undefined }));
  await emulator.listen();
});
afterAll(async () => {
  await emulator?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('./milab class', () => {
  it('--help lists the subcommands, and each has its own', async () => {
    const help = await milab(['class', '--help']);
    expect(help.code).toBe(0);
    for (const sub of ['init', 'provision', 'env', 'teardown']) expect(help.stdout).toMatch(new RegExp(`^  ${sub}\\b`, 'm'));
    const provision = await milab(['class', 'provision', '--help']);
    expect(provision.stdout).toMatch(/--what-if/);
    expect(provision.stdout).toMatch(/--concurrency <n>/);
    const teardown = await milab(['class', 'teardown', '--help']);
    expect(teardown.stdout).toMatch(/-y, --yes/);
  });

  it('class init --roster keeps each learner\'s lmsId (the gradebook identity)', async () => {
    const roster = join(home, 'with-lms.csv');
    writeFileSync(roster, 'learner,displayName,lmsId\nann,Ann,2026-0042\nbob,Bob,\n');
    const made = await milab(['class', 'init', join(home, 'lms'), '--roster', roster]);
    expect(made.code).toBe(0);
    const written = readFileSync(join(home, 'lms', 'roster.csv'), 'utf8');
    expect(written).toMatch(/^learner,displayName,lmsId\r?\n/);
    expect(written).toMatch(/\nann,Ann,2026-0042\r?\n/);
  });

  it('refuses bad input with what is wrong and the next step, never a stack trace', async () => {
    const badId = await milab(['class', 'init', join(home, 'x'), '--class-id', 'Spring 2026']);
    expect(badId.code).toBe(1);
    expect(badId.stderr).toMatch(/^milab: invalid class id 'Spring 2026': expected lower-case letters/m);
    expect(badId.stderr).toMatch(/next step: Pass one: `--class-id spring-26`/);
    expect(badId.stderr).not.toMatch(/\n\s+at /);

    const roster = join(home, 'students.csv');
    writeFileSync(roster, 'learner,displayName\nann,Ann\nAnn B,Ann B\nann,Again\n');
    const badRoster = await milab(['class', 'init', join(home, 'y'), '--roster', roster]);
    expect(badRoster.code).toBe(1);
    expect(badRoster.stderr).toContain(`${roster}:3: learner "Ann B" is not a valid learner id`);
    expect(badRoster.stderr).toContain(`${roster}:4: learner "ann" is already on line 2`);

    const mode = await milab(['class', 'init', join(home, 'z'), '--mode', 'solo']);
    expect(mode.code).not.toBe(0);
    expect(mode.stderr).toMatch(/Allowed choices are shared, own/);

    const notAClass = await milab(['class', 'provision', '--class', home]);
    expect(notAClass.code).toBe(1);
    expect(notAClass.stderr).toMatch(/class\.json: no such file: this is not a class folder/);
    expect(notAClass.stderr).toMatch(/next step: .*class init/);

    const concurrency = await milab(['class', 'provision', '--class', home, '--concurrency', '0']);
    expect(concurrency.stderr).toMatch(/invalid --concurrency '0'/);
  });

  it('init, provision --what-if, provision, env, teardown', async () => {
    const init = await milab(['class', 'init', classDir(), '--learners', '3']);
    expect(init.code).toBe(0);
    expect(init.stdout).toMatch(/Created the class 'spring' \(shared mode, on the emulator\) with 3 learners/);
    expect(readFileSync(join(classDir(), 'roster.csv'), 'utf8')).toBe('learner,displayName\nlearner-01,Learner 1\nlearner-02,Learner 2\nlearner-03,Learner 3\n');
    const again = await milab(['class', 'init', classDir()]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exist: a class folder is never overwritten/);

    const whatIf = await milab(['class', 'provision', '--class', classDir(), '--what-if']);
    expect(whatIf.code).toBe(0);
    expect(whatIf.stdout).toMatch(/\+ create {2}resource group rg-milab-spring-learner-02/);
    expect(whatIf.stdout).toMatch(/What-if: 30 to create, 1 already there\. Nothing was changed\./);

    const done = await milab(['class', 'provision', '--class', classDir(), '--json']);
    expect(done.code).toBe(0);
    // --json: nothing but the summary.
    expect(JSON.parse(done.stdout)).toMatchObject({ classId: 'spring', created: 30, existing: 1, failed: [] });
    const second = await milab(['class', 'provision', '--class', classDir()]);
    expect(second.stdout).toMatch(/Provisioned: 0 created, 31 already there\./);

    const exports = await milab(['class', 'env', 'learner-02'], { MILAB_CLASS_DIR: classDir() });
    expect(exports.code).toBe(0);
    expect(exports.stdout).toMatch(/^export MILAB_RESOURCE_GROUP='rg-milab-spring-learner-02'$/m);
    expect(exports.stdout).toMatch(/^export MILAB_MODE='shared'$/m);
    expect(exports.stdout).toMatch(/^export AZURE_CLIENT_SECRET='.+'$/m);
    const unknown = await milab(['class', 'env', 'zed', '--class', classDir()]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no learner "zed" in the roster \(it has 3: learner-01, learner-02, learner-03\)/);

    const refused = await milab(['class', 'teardown', '--class', classDir()]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/would delete 30 and keep 0/);
    expect(refused.stderr).toMatch(/no terminal to ask on/);
    expect(refused.stderr).toMatch(/next step: .*pass --yes/);

    const teardown = await milab(['class', 'teardown', '--class', classDir(), '--yes', '--json']);
    expect(teardown.code).toBe(0);
    expect(JSON.parse(teardown.stdout)).toMatchObject({ classId: 'spring', deleted: 30, kept: 0, failed: [] });
  });
});
