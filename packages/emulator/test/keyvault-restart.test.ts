// A vault's data plane and secrets outlive a restart of the emulator (same state directory);
// a reset of the world takes vaults, deleted vaults and secrets away.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KEYVAULT_FILE } from '../src/keyvault/state.js';
import { SEED } from '../src/world.js';
import { startTestEmulator, tempStateDir, type TestEmulator } from './helpers.js';
import { createVault, grant, keyVaultClient, secretClient } from './keyvault-helpers.js';

const VALUE = 'restart-test-value-91c4';

describe('Key Vault state across restarts and resets', () => {
  const stateDir = tempStateDir();
  let emu: TestEmulator | undefined;
  afterAll(async () => {
    await emu?.stop();
  });

  it('keeps a vault, its port and its secrets across a restart; a reset empties them', async () => {
    emu = await startTestEmulator({}, stateDir);
    const vault = await createVault(emu, 'milab-kv-keep');
    const uri = vault.properties.vaultUri ?? '';
    await grant(emu, vault.id ?? '', 'Key Vault Secrets Officer', SEED.principals.learner.objectId);
    await secretClient(emu, uri, emu.as('learner').credential).setSecret('kept', VALUE);
    await createVault(emu, 'milab-kv-deleted');
    await keyVaultClient(emu).vaults.delete('DevTest', 'milab-kv-deleted');
    // The value is in keyvault.json (0600), not in the world.
    expect(readFileSync(join(stateDir, KEYVAULT_FILE), 'utf8')).toContain(VALUE);
    await emu.stop();

    emu = await startTestEmulator({}, stateDir);
    const again = await keyVaultClient(emu).vaults.get('DevTest', 'milab-kv-keep');
    // Same port unless another process took it meanwhile (then vaultUri follows the new one).
    const uriNow = again.properties.vaultUri ?? '';
    expect(uriNow).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
    expect((await secretClient(emu, uriNow, emu.as('learner').credential).getSecret('kept')).value).toBe(VALUE);
    expect((await keyVaultClient(emu).vaults.getDeleted('milab-kv-deleted', 'westus')).name).toBe('milab-kv-deleted');

    emu.emulator.reset();
    await expect(keyVaultClient(emu).vaults.get('DevTest', 'milab-kv-keep')).rejects.toMatchObject({ statusCode: 404 });
    const deleted: string[] = [];
    for await (const d of keyVaultClient(emu).vaults.listDeleted()) deleted.push(d.name ?? '');
    expect(deleted).toEqual([]);
    // The name is free again on the new world.
    await createVault(emu, 'milab-kv-deleted');
    expect(existsSync(join(stateDir, KEYVAULT_FILE)) ? readFileSync(join(stateDir, KEYVAULT_FILE), 'utf8') : '').not.toContain(VALUE);
  });
});
