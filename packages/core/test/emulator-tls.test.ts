// The emulator's TLS agents trust its CA (added to Node's public roots), and only that emulator:
// an emulator with another CA (another state directory) is refused.
import { mkdtempSync, rmSync } from 'node:fs';
import { get, type Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmulator, parseConfig, type Emulator } from '@milab/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorTls } from '../src/index.js';

function status(url: string, agent: Agent): Promise<number | string> {
  return new Promise((resolve) => {
    get(`${url}/metadata/endpoints?api-version=2022-09-01`, { agent }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe('emulatorTls', () => {
  const homes: string[] = [];
  const emulators: Emulator[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 2; i++) {
      const home = mkdtempSync(join(tmpdir(), 'milab-core-tls-'));
      homes.push(home);
      const emulator = createEmulator(parseConfig({ stateDir: join(home, 'emulator'), port: 0, log: () => undefined }));
      await emulator.listen();
      emulators.push(emulator);
    }
  });
  afterAll(async () => {
    for (const emulator of emulators) await emulator.close();
    for (const home of homes) rmSync(home, { recursive: true, force: true });
  });

  it('trusts its emulator, refuses one with another CA, and keeps the public roots in `ca`', async () => {
    const [mine, other] = emulators.map((e) => e.connection());
    const tls = emulatorTls(mine!);
    expect(await status(mine!.url, tls.httpsAgent)).toBe(200);
    expect(await status(other!.url, tls.httpsAgent)).toMatch(/CERT|SIGNATURE|SELF_SIGNED|UNABLE_TO_VERIFY/);
    expect(tls.ca.length).toBeGreaterThan(100);
    expect(emulatorTls(mine!)).toBe(tls);
  });
});
