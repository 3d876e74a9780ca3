// `milab doctor` against the real emulator: every check passes and the exit code is 0.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmulator, parseConfig, type Emulator } from '@milab/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { milab } from './support.js';

describe('milab doctor on a running emulator', () => {
  let home: string;
  let emulator: Emulator;
  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'milab-cli-emu-'));
    emulator = createEmulator(parseConfig({ stateDir: join(home, 'emulator'), port: 0, log: () => undefined }));
    await emulator.listen();
  });
  afterAll(async () => {
    await emulator?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('passes every check, signed in as the chosen principal', async () => {
    const result = await milab(['doctor', '--json', '--as', 'grader'], { MILAB_HOME: home });
    const report = JSON.parse(result.stdout) as { ok: boolean; checks: { id: string; status: string; detail: string }[] };
    expect(report.checks.filter((c) => c.status !== 'pass')).toEqual([]);
    expect(report.ok).toBe(true);
    expect(result.code).toBe(0);
    expect(report.checks.find((c) => c.id === 'signed-in')?.detail).toMatch(/^as milab-grader \(object id /);
    expect(report.checks.find((c) => c.id === 'subscription')?.detail).toContain('98f51385-2edc-4b79-bed9-7718de4cb861');
    expect(result.stdout + result.stderr).not.toMatch(/eyJ[\w-]+\.eyJ/); // no token anywhere
  });
});
