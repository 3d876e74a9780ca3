// Issue 10, "the CLI tells the truth": each case a learner met, through the real commands, against
// a real emulator in-process (port 0, temporary milab home) where one is needed.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { listLabs } from '@milab/labs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ImdsClient, isGenericLearnerId, sanitizeLearnerId } from '@milab/core';
import { createEmulator, parseConfig, readConnection, type Emulator } from '@milab/emulator';
import { run } from './in-process.js';
import { milab } from './support.js';

const saved = { ...process.env };
/** Replaces this worker's milab and Azure variables with `env` (the in-process commands read process.env). */
function useEnv(env: Record<string, string>): void {
  for (const name of Object.keys(process.env)) if (/^(AZURE_|MILAB_)/.test(name)) delete process.env[name];
  Object.assign(process.env, env);
}
function restoreEnv(): void {
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
  Object.assign(process.env, saved);
}

describe('with the emulator stopped', () => {
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'milab-truth-stopped-'));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('grade, status --refresh and solve say the emulator is not running, how to start it, and exit 2', async () => {
    // Before: "No subscriptionId is configured: the labs need one.", exit 1.
    for (const args of [['grade', '01'], ['status', '--refresh'], ['solve', '01']]) {
      const result = await milab(args, { MILAB_HOME: home, MILAB_LEARNER: 'ada' });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toContain('The emulator is not running');
      expect(result.stderr).toContain('./milab emulator start --detach');
      expect(result.stderr).not.toContain('subscriptionId');
    }
  }, 60_000);
});

describe('config values are validated where they are set and where they are read', () => {
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'milab-truth-config-'));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('`config set location mars` is refused with the region list, and nothing is saved', async () => {
    // Before: "location = mars (saved in …)", exit 0; the grader then said "create it in mars".
    const result = await milab(['config', 'set', 'location', 'mars'], { MILAB_HOME: home });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`milab: Invalid location "mars": 'mars' is not an Azure region.`);
    expect(result.stderr).toContain('az account list-locations');
    const near = await milab(['config', 'set', 'location', 'westeuropa'], { MILAB_HOME: home });
    expect(near.stderr).toContain('did you mean westeurope?');
    expect(() => readFileSync(join(home, 'config.json'))).toThrow();
  }, 60_000);

  it('doctor fails the config line for a bad value from the environment, naming the variable, with the fix', async () => {
    // Before: MILAB_EMULATOR_PORT=abc passed doctor's config check (silently ignored).
    for (const [name, value] of [['MILAB_EMULATOR_PORT', 'abc'], ['MILAB_EMULATOR_PORT', '99999'], ['MILAB_LOCATION', 'mars']] as const) {
      const result = await milab(['doctor'], { MILAB_HOME: home, MILAB_LEARNER: 'ada', [name]: value });
      expect(result.code, `${name}=${value}`).toBe(1);
      expect(result.stdout).toMatch(new RegExp(`^✖ Config +Invalid ${name === 'MILAB_LOCATION' ? 'location' : name} "${value}" \\(from environment variable ${name}\\).* — fix: .*${name}`, 'm'));
      expect(result.stdout).not.toContain('--port');
    }
  }, 60_000);

  it('the emulator names MILAB_EMULATOR_PORT, never --port, for a bad value from the environment', async () => {
    // Before: "unexpected error: invalid --port value '99999'".
    for (const args of [['emulator', 'start', '--detach'], ['start']]) {
      const result = await milab(args, { MILAB_HOME: home, MILAB_LEARNER: 'ada', MILAB_EMULATOR_PORT: '99999' });
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr).toContain('MILAB_EMULATOR_PORT');
      expect(result.stderr).toContain('unset MILAB_EMULATOR_PORT');
      expect(result.stderr).not.toContain('--port');
      expect(result.stderr).not.toContain('unexpected error');
    }
  }, 60_000);
});

describe('milab token on the host, emulator target', () => {
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'milab-truth-token-'));
    useEnv({ MILAB_HOME: home, MILAB_LEARNER: 'ada' });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    restoreEnv();
    rmSync(home, { recursive: true, force: true });
  });

  it('sends nothing to 169.254.169.254 and says how to run it on the VM', async () => {
    // No AZURE_POD_IDENTITY_AUTHORITY_HOST: the old code asked 169.254.169.254. The spy stands in
    // for the request so this test never sends one, whatever the code under test does.
    const asked = vi.spyOn(ImdsClient.prototype, 'getToken').mockRejectedValue(new Error('IMDS was asked'));
    const result = await run('token');
    expect(asked).not.toHaveBeenCalled();
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('this is not an emulated VM');
    expect(result.stderr).toContain('Nothing was sent to http://169.254.169.254');
    expect(result.stderr).toContain('./milab vm exec labvm -- milab token');
    expect(result.stderr).not.toContain('check the resource');
  });

  it('still asks the IMDS it is pointed at (on an emulated VM, or on the azure target)', async () => {
    const asked = vi.spyOn(ImdsClient.prototype, 'getToken').mockRejectedValue(new Error('IMDS was asked'));
    process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = 'http://127.0.0.1:9';
    await run('token');
    expect(asked).toHaveBeenCalledTimes(1);
  });
});

describe('progress.json of the wrong shape', () => {
  let home: string;
  let emulator: Emulator;
  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'milab-truth-progress-'));
    emulator = createEmulator(parseConfig({ stateDir: join(home, 'emulator'), port: 0, log: () => undefined }));
    await emulator.listen();
    await emulator.ready();
    useEnv({ MILAB_HOME: home, MILAB_LEARNER: 'ada' });
  });
  afterAll(async () => {
    restoreEnv();
    await emulator?.close();
    rmSync(home, { recursive: true, force: true });
  });

  const file = () => join(home, 'progress.json');
  const cases: [string, unknown, RegExp][] = [
    // Before: grade wrote {"0":"o","1":"o",…} over it.
    ['"grades":"oops"', { version: 1, grades: 'oops', hints: { '01': 2 } }, /grades: /],
    // Before: status printed "unexpected error: Cannot read properties of undefined".
    [
      'a grade without score',
      { version: 1, grades: { emulator: { '01': { status: 'passed', gradedAt: '2026-11-29T12:00:00.000Z', open: [] } } }, hints: {} },
      /grades\.emulator\.01\.score: /,
    ],
  ];
  for (const [name, content, where] of cases) {
    it(`${name}: reported by name (exit 2, the two ways out), never overwritten`, async () => {
      const text = `${JSON.stringify(content, null, 2)}\n`;
      writeFileSync(file(), text);
      for (const args of [['grade', '01'], ['status'], ['hint', '01']]) {
        const result = await run(...args);
        expect(result.code, args.join(' ')).toBe(2);
        expect(result.stderr).toContain(`Cannot use your progress file ${file()}: it is not what milab writes (`);
        expect(result.stderr).toMatch(where);
        expect(result.stderr).toContain('It was left as it is.');
        expect(result.stderr).toContain('Fix it by hand, or move it aside and grade again');
        expect(result.stderr).toContain(`mv ${file()} ${file()}.bak && ./milab status --refresh`);
        expect(result.stderr).not.toContain('unexpected error');
        expect(readFileSync(file(), 'utf8'), args.join(' ')).toBe(text);
      }
    });
  }
});

describe('results and the emulated world', () => {
  let home: string;
  let emulator: Emulator;
  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'milab-truth-world-'));
    emulator = createEmulator(parseConfig({ stateDir: join(home, 'emulator'), port: 0, log: () => undefined }));
    await emulator.listen();
    await emulator.ready();
    useEnv({ MILAB_HOME: home, MILAB_LEARNER: 'ada' });
  });
  afterAll(async () => {
    restoreEnv();
    await emulator?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('status shows the identity after lab 01, and after `emulator reset` says the results are from before it', async () => {
    expect((await run('solve', '01')).code).toBe(0);
    const graded = await run('grade', '01');
    expect(graded.code).toBe(0);
    expect(graded.stdout).toMatch(/^Your identity \(lab 01\): id-milab-ada, client id [0-9a-f-]{36}, principal id [0-9a-f-]{36}$/m);
    const worldId = readConnection(join(home, 'emulator'))?.worldId;
    expect(worldId).toMatch(/^[0-9a-f-]{36}$/);
    const progress = JSON.parse(readFileSync(join(home, 'progress.json'), 'utf8')) as { grades: { emulator: Record<string, { worldId?: string }> } };
    expect(progress.grades.emulator['01']?.worldId).toBe(worldId);

    const identity = emulator.store.state.resources[
      `/subscriptions/${readConnection(join(home, 'emulator'))!.subscriptionId}/resourcegroups/devtest/providers/microsoft.managedidentity/userassignedidentities/id-milab-ada`
    ]?.properties as { clientId: string; principalId: string };
    const done = await run('status');
    expect(done.stdout).toContain(`1 of ${listLabs().length} labs done`);
    // Docs true: "`milab status` shows the identity's client id and principal id" (before: only grade --json did).
    expect(done.stdout).toContain(`Your identity (lab 01): id-milab-ada, client id ${identity.clientId}, principal id ${identity.principalId}`);

    // The same reset `milab emulator reset` asks for: a new world.
    emulator.reset();
    expect(readConnection(join(home, 'emulator'))?.worldId).not.toBe(worldId);
    const after = await run('status');
    // Before: "1 of N labs done", as if the identity were still there.
    expect(after.stdout).toContain(`0 of ${listLabs().length} labs done`);
    expect(after.stdout).toMatch(/^→ 01 .* to do \(passed 100% before the emulator was reset\)$/m);
    expect(after.stdout).toContain('The results of lab 01 are from before the emulator was reset');
    expect(after.stdout).not.toContain('Your identity (lab 01)');
    const json = JSON.parse((await run('status', '--json')).stdout) as { labs: { id: string; done: boolean; beforeReset?: boolean }[]; identity: unknown };
    expect(json.labs[0]).toMatchObject({ id: '01', done: false, beforeReset: true });
    expect(json.identity).toBeNull();
  }, 60_000);

  it('a learner id taken from a generic OS user is warned about, with the command that sets it', async () => {
    delete process.env.MILAB_LEARNER;
    try {
      const generic = isGenericLearnerId(sanitizeLearnerId(userInfo().username));
      for (const args of [['status'], ['grade', '01']]) {
        const result = await run(...args);
        if (generic) {
          expect(result.stderr, args.join(' ')).toContain(`milab: warning: your learner id "${sanitizeLearnerId(userInfo().username)}" comes from the OS user`);
          expect(result.stderr).toContain('`./milab config set learnerId <your-name>`');
        } else {
          expect(result.stderr).not.toContain('warning: your learner id');
        }
      }
      process.env.MILAB_LEARNER = 'root';
      expect((await run('status')).stderr).not.toContain('warning: your learner id');
    } finally {
      process.env.MILAB_LEARNER = 'ada';
    }
  }, 60_000);
});
