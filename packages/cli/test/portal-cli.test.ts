// `milab portal` through the real entry point: with an emulator running it prints the portal's
// address with this run's key (which the portal accepts), --json for scripts; without one it says
// how to start it. The emulator runs in-process on 127.0.0.1, port 0, in a temporary state folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmulator, parseConfig, type Emulator } from '@milab/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { milab } from './support.js';

let home: string;
let emulator: Emulator;
beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'milab-portal-cli-'));
  emulator = createEmulator(parseConfig({ stateDir: join(home, 'emulator'), port: 0, log: () => undefined }));
  await emulator.listen();
}, 60_000);
afterAll(async () => {
  await emulator?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('milab portal', () => {
  it("prints the running emulator's portal address with this run's key", async () => {
    const result = await milab(['portal'], { MILAB_HOME: home });
    expect(result.code).toBe(0);
    const url = emulator.connection().portalUrl ?? '';
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/portal\/#key=[A-Za-z0-9_-]{32}$/);
    expect(result.stdout).toContain(`  ${url}\n`);

    const json = await milab(['portal', '--json', '--state-dir', join(home, 'emulator')], { MILAB_HOME: home });
    expect(JSON.parse(json.stdout)).toEqual({ url, portal: url.replace(/#.*$/, '') });
  }, 60_000);

  it('says how to start the emulator when none is running', async () => {
    const result = await milab(['portal', '--state-dir', join(home, 'nothing-here')], { MILAB_HOME: home });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('The emulator is not running');
    expect(result.stderr).toContain('./milab emulator start --detach');
  }, 60_000);
});
