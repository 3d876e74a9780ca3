// A keyvault.json the emulator cannot use (it holds every secret value) is never begun again
// silently: the start stops with a StateFileError naming it, the file is kept byte for byte, and
// `milab emulator reset` (writeSeededWorld) puts it aside as keyvault.json.corrupt — the rule of
// corrupt-state.test.ts for the other state files.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { KEYVAULT_FILE } from '../src/keyvault/state.js';
import { writeSeededWorld } from '../src/reset.js';
import { createEmulator } from '../src/server.js';
import { StateFileError } from '../src/state-error.js';
import { SEED } from '../src/world.js';
import { startTestEmulator, tempStateDir } from './helpers.js';
import { createVault, grant, keyVaultClient, secretClient } from './keyvault-helpers.js';

const VALUE = 'corrupt-test-value-5e1d';

/** The StateFileError createEmulator throws on `dir` (it must throw). */
function refusal(dir: string): StateFileError {
  try {
    const emulator = createEmulator(parseConfig({ stateDir: dir, port: 0, log: () => undefined }));
    void emulator.close();
  } catch (error) {
    if (error instanceof StateFileError) return error;
    throw error;
  }
  throw new Error(`the emulator started on ${dir}`);
}

describe('a corrupt keyvault.json', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  /** A state directory whose keyvault.json holds a vault with one secret (made by a real start). */
  const withSecret = async (): Promise<string> => {
    const dir = tempStateDir();
    dirs.push(dir);
    const emu = await startTestEmulator({}, dir);
    try {
      const vault = await createVault(emu, `milab-kv-c${dirs.length}`);
      await grant(emu, vault.id ?? '', 'Key Vault Secrets Officer', SEED.principals.learner.objectId);
      await secretClient(emu, vault.properties.vaultUri ?? '', emu.as('learner').credential).setSecret('kept', VALUE);
    } finally {
      await emu.stop();
    }
    expect(readFileSync(join(dir, KEYVAULT_FILE), 'utf8')).toContain(VALUE);
    return dir;
  };

  const cases: { name: string; content: string; problem: string }[] = [
    { name: 'cut off (not JSON)', content: '{"version":1,"worldId":"w","vaults":{', problem: 'it is not valid JSON (' },
    { name: 'null', content: 'null', problem: 'expected object, received null' },
    { name: 'of another version', content: '{"version":2,"worldId":"w","vaults":{},"deleted":{}}', problem: 'version: ' },
    { name: 'a secret without its versions', content: '{"version":1,"worldId":"w","vaults":{"x":{"meta":{"id":"/x","name":"x","location":"westus","resourceGroup":"g","tags":{},"purgeProtection":false,"retentionDays":90},"secrets":{"s":{"name":"s"}}}},"deleted":{}}', problem: 'vaults.x.secrets.s.versions: ' },
  ];

  for (const c of cases) {
    it(`${c.name}: the start is refused by name, the file kept as it was; reset puts it aside and the next start serves`, async () => {
      const dir = await withSecret();
      const file = join(dir, KEYVAULT_FILE);
      writeFileSync(file, c.content, { mode: 0o600 });
      const error = refusal(dir);
      expect(error.file).toBe(file);
      expect(error.problem).toContain(c.problem);
      expect(error.message).toContain(`the state file ${file} is not usable: `);
      expect(error.message).toContain('milab emulator reset');
      expect(error.message).toContain(`move it aside (e.g. \`mv ${file} ${file}.broken\`)`);
      expect(readFileSync(file, 'utf8')).toBe(c.content);
      // The way out: only the bad file moves aside; the emulator then starts (with a new world).
      expect(writeSeededWorld(dir)).toEqual([file]);
      expect(readFileSync(`${file}.corrupt`, 'utf8')).toBe(c.content);
      expect(existsSync(file)).toBe(false);
      const emu = await startTestEmulator({}, dir);
      try {
        const names: string[] = [];
        for await (const v of keyVaultClient(emu).vaults.listByResourceGroup('DevTest')) names.push(v.name ?? '');
        expect(names).toEqual([]);
      } finally {
        await emu.stop();
      }
    });
  }

  it('a good keyvault.json is kept by a start and left alone by a reset (a new world empties it on first use)', async () => {
    const dir = await withSecret();
    const before = readFileSync(join(dir, KEYVAULT_FILE), 'utf8');
    const emu = await startTestEmulator({}, dir);
    await emu.stop();
    expect(readFileSync(join(dir, KEYVAULT_FILE), 'utf8')).toBe(before);
    expect(writeSeededWorld(dir)).toEqual([]);
  });
});
