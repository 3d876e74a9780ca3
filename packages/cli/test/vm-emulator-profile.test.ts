// `milab emulator profile show | set | clear` against a running emulator, and the profile
// flags of `milab emulator start` in its help.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmulator, parseConfig, type Emulator } from '@milab/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { milab } from './support.js';

describe('milab emulator profile', () => {
  let home: string;
  let emulator: Emulator;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'milab-cli-profile-'));
    emulator = createEmulator(parseConfig({ stateDir: join(home, 'emulator'), port: 0, log: () => undefined, profile: { latency: 'arm=5' } }));
    await emulator.listen();
    await emulator.ready();
  });
  afterAll(async () => {
    await emulator.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('start --help documents the profile flags', async () => {
    const help = await milab(['emulator', 'start', '--help'], { MILAB_HOME: home });
    for (const flag of ['--latency <spec>', '--throttle <spec>', '--imds-faults <spec>', '--imds-limits <spec>', '--rbac-delay <seconds>']) expect(help.stdout).toContain(flag);
  });

  it('show, set and clear change the running emulator', async () => {
    const shown = await milab(['emulator', 'profile', 'show'], { MILAB_HOME: home });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('latency: arm 5 ms, entra 0 ms, imds 0 ms');
    const set = await milab(['emulator', 'profile', 'set', '--imds-faults', '503,503', '--throttle', 'on', '--rbac-delay', '30'], { MILAB_HOME: home });
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('imds faults: next 503,503');
    expect(emulator.profiles.current()).toMatchObject({ latency: { arm: 5 }, throttle: { reads: { capacity: 250 } }, imdsFaults: { sequence: [503, 503] }, rbacDelaySeconds: 30 });
    const cleared = await milab(['emulator', 'profile', 'clear', '--json'], { MILAB_HOME: home });
    expect(JSON.parse(cleared.stdout)).toEqual({ latency: { arm: 0, entra: 0, imds: 0 }, rbacDelaySeconds: 0 });
  });

  it('a bad value is explained before anything changes', async () => {
    const result = await milab(['emulator', 'profile', 'set', '--imds-faults', '404'], { MILAB_HOME: home });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('milab: invalid --imds-faults status 404: expected one of 429, 500, 503, 410.');
    expect(emulator.profiles.current().imdsFaults).toBeUndefined();
  });
});
