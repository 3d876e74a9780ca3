// RBAC holds belong to one emulator (its ProfileState, through the ArmContext), not to the
// process: two emulators in one process seed the same principal ids, and a hold opened on one
// must not refuse the other's requests. A hold also reaches every ARM decision of the request,
// the role assignment handler's own (which tests conditions) included.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY_HEADER, ADMIN_PROFILE_PATH } from '../src/server.js';
import { BUILTIN_ROLE_IDS } from '../src/roles.js';
import { SEED } from '../src/world.js';
import { startTestEmulator, type TestEmulator } from './helpers.js';
import { RG_ID, SUB } from './imds-helpers.js';
import { createVault, grant, secretClient } from './keyvault-helpers.js';

let one: TestEmulator;
let other: TestEmulator;
const admin = (emu: TestEmulator, body: unknown) => emu.http('POST', ADMIN_PROFILE_PATH, { headers: { [ADMIN_KEY_HEADER]: emu.connection.adminKey ?? '' }, body });
const hold = async (emu: TestEmulator, principalId: string) => {
  const opened = await admin(emu, { scope: { rbacHold: { principalId, seconds: 30 } } });
  expect(opened.status).toBe(200);
  return (opened.body.scope as { id: string }).id;
};
const close = async (emu: TestEmulator, id: string) => expect((await admin(emu, { scope: { close: id } })).body.scope).toEqual({ closed: true });

beforeAll(async () => {
  [one, other] = await Promise.all([startTestEmulator(), startTestEmulator()]);
});
afterAll(async () => {
  await Promise.all([one?.stop(), other?.stop()]);
});

describe('RBAC holds, per emulator', () => {
  it('a hold on one emulator leaves the same principal alone on another in the same process', async () => {
    const id = await hold(one, SEED.principals.grader.objectId);
    await expect(one.as('grader').resources.resourceGroups.get('DevTest')).rejects.toMatchObject({ statusCode: 403, code: 'AuthorizationFailed' });
    expect((await other.as('grader').resources.resourceGroups.get('DevTest')).name).toBe('DevTest');
    await close(one, id);
    expect((await one.as('grader').resources.resourceGroups.get('DevTest')).name).toBe('DevTest');
  });

  it("holds back the role assignment handler's decision too: a held learner may not assign, then may", async () => {
    const assignment = () =>
      one.as('learner').authorization.roleAssignments.create(RG_ID, randomUUID(), {
        roleDefinitionId: `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${BUILTIN_ROLE_IDS.Reader}`,
        principalId: SEED.principals.grader.objectId,
        principalType: 'ServicePrincipal',
      });
    const id = await hold(one, SEED.principals.learner.objectId);
    await expect(assignment()).rejects.toMatchObject({ statusCode: 403, code: 'AuthorizationFailed' });
    await close(one, id);
    expect((await assignment()).principalId).toBe(SEED.principals.grader.objectId);
  });

  it("holds back Key Vault data-plane roles too: a held reader's getSecret is ForbiddenByRbac until the hold closes", async () => {
    const vault = await createVault(one, 'milab-kv-hold', { enableRbacAuthorization: true });
    const vaultUri = vault.properties.vaultUri ?? '';
    await grant(one, vault.id ?? '', 'Key Vault Secrets Officer', SEED.principals.learner.objectId);
    await secretClient(one, vaultUri, one.as('learner').credential).setSecret('held', 'not-a-real-secret');
    await grant(one, vault.id ?? '', 'Key Vault Secrets User', SEED.principals.grader.objectId);
    const reader = secretClient(one, vaultUri, one.as('grader').credential);
    expect((await reader.getSecret('held')).name).toBe('held');
    const id = await hold(one, SEED.principals.grader.objectId);
    await expect(reader.getSecret('held')).rejects.toMatchObject({ statusCode: 403, code: 'Forbidden' });
    await close(one, id);
    expect((await reader.getSecret('held')).name).toBe('held');
  });
});
