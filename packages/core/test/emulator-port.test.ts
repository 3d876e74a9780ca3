// core checks MILAB_EMULATOR_PORT itself (config.ts) so that no command loads the emulator to read
// its configuration; this holds that check to the emulator's own rule (its defaultPort).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPort } from '@milab/emulator';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/index.js';

const home = mkdtempSync(join(tmpdir(), 'milab-port-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('MILAB_EMULATOR_PORT', () => {
  it('core accepts exactly the values the emulator accepts', () => {
    for (const value of ['', '  ', '0', '8443', ' 9443 ', '65535', '65536', '99999', '-1', 'abc', '84a3', '8443.0', '8443.5', '1e3', '0x10']) {
      const env = { MILAB_HOME: home, MILAB_LEARNER: 'ada', MILAB_EMULATOR_PORT: value };
      let emulatorAccepts = true;
      try {
        defaultPort(env);
      } catch {
        emulatorAccepts = false;
      }
      let coreError: unknown;
      try {
        loadConfig({ env, connection: null });
      } catch (error) {
        coreError = error;
      }
      expect(coreError === undefined, `"${value}"`).toBe(emulatorAccepts);
      if (coreError !== undefined) expect(coreError, `"${value}"`).toBeInstanceOf(ConfigError);
    }
  });
});
