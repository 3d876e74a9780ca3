// Class mode and Key Vault (lab 09) against a real emulator, with the real KeyVaultManagementClient,
// SecretClient and AuthorizationManagementClient signed in as two class principals: each holds what
// `milab class provision` gives at their own resource group — Role Based Access Control
// Administrator under the class condition (Reader and Key Vault Secrets User for service
// principals, Key Vault Secrets Officer for themself) and Key Vault Contributor. Learner a creates
// a vault, grants herself Secrets Officer, stores a secret, grants a service principal Secrets
// User, who reads it; she cannot touch learner b's vault on either plane, and may grant nothing
// more on her own. The secret values here are test values, never printed.
import { randomBytes, randomUUID } from 'node:crypto';
import { Agent } from 'node:https';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { KeyVaultManagementClient } from '@azure/arm-keyvault';
import { ClientSecretCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callPrincipalsAdmin, type ClassPrincipal } from '../src/admin-client.js';
import { BUILTIN_ROLE_IDS } from '../src/roles.js';
import { SEED } from '../src/world.js';
import { ARM_SCOPE, startTestEmulator, type TestEmulator } from './helpers.js';
import { classLearnerConditionCopy } from './class-condition.js';
import { secretClient } from './keyvault-helpers.js';

/** One class learner: their principal, credential, SDK clients and names. */
interface Learner {
  p: ClassPrincipal;
  credential: ClientSecretCredential;
  vaults: KeyVaultManagementClient;
  authorization: AuthorizationManagementClient;
  group: string;
  groupId: string;
  vault: string;
  vaultId: string;
  vaultUri: string;
}

function restError(error: unknown): { statusCode?: number; code?: string; message: string } {
  expect(error, 'the call should have failed').toBeInstanceOf(Error);
  return error as { statusCode?: number; code?: string; message: string };
}
const refused = (call: Promise<unknown>) => call.then(() => undefined, (e: unknown) => restError(e));

describe('class mode: lab 09 in shared mode, two learners', () => {
  let t: TestEmulator;
  let a: Learner;
  let b: Learner;
  /** A service principal standing in for a's lab identity on her vault. */
  let app: ClassPrincipal;
  const sub = `/subscriptions/${SEED.subscriptionId}`;
  const roleId = (name: keyof typeof BUILTIN_ROLE_IDS) => `${sub}/providers/Microsoft.Authorization/roleDefinitions/${BUILTIN_ROLE_IDS[name]}`;

  async function learner(p: ClassPrincipal, id: string): Promise<Learner> {
    const agent = new Agent({ ca: t.caPem, keepAlive: true });
    const credential = new ClientSecretCredential(t.connection.tenantId, p.clientId, p.clientSecret, { authorityHost: t.connection.url, disableInstanceDiscovery: true, agent: new Agent({ ca: t.caPem }) });
    const group = `rg-milab-cls-${id}`;
    const groupId = `${sub}/resourceGroups/${group}`;
    const instructor = t.as('instructor');
    await instructor.resources.resourceGroups.createOrUpdate(group, { location: 'westus', tags: { workshop: 'milab', class: 'cls', learner: id } });
    // As `milab class provision` does (packages/cli/src/class/roles.ts).
    await instructor.authorization.roleAssignments.create(groupId, randomUUID(), {
      roleDefinitionId: roleId('Role Based Access Control Administrator'),
      principalId: p.objectId,
      principalType: 'ServicePrincipal',
      condition: classLearnerConditionCopy(p.objectId),
      conditionVersion: '2.0',
    });
    await instructor.authorization.roleAssignments.create(groupId, randomUUID(), { roleDefinitionId: roleId('Key Vault Contributor'), principalId: p.objectId, principalType: 'ServicePrincipal' });
    const vault = `kv-${id}-cls`;
    return {
      p,
      credential,
      vaults: new KeyVaultManagementClient(credential, SEED.subscriptionId, { endpoint: t.url, credentialScopes: [ARM_SCOPE], agent }),
      authorization: new AuthorizationManagementClient(credential, SEED.subscriptionId, { endpoint: t.url, credentialScopes: [ARM_SCOPE], agent } as never),
      group,
      groupId,
      vault,
      vaultId: `${groupId}/providers/Microsoft.KeyVault/vaults/${vault}`,
      vaultUri: '',
    };
  }

  /** Creates the learner's vault as the learner (RBAC model), as lab 09 does. */
  async function createOwnVault(l: Learner): Promise<void> {
    const made = await l.vaults.vaults.beginCreateOrUpdateAndWait(l.group, l.vault, {
      location: 'westus',
      properties: { tenantId: SEED.tenantId, sku: { family: 'A', name: 'standard' }, enableRbacAuthorization: true },
    });
    l.vaultUri = made.properties.vaultUri ?? '';
  }

  const assign = (by: Learner, scope: string, role: keyof typeof BUILTIN_ROLE_IDS, principalId: string, principalType?: 'ServicePrincipal' | 'User') =>
    by.authorization.roleAssignments.create(scope, randomUUID(), { roleDefinitionId: roleId(role), principalId, ...(principalType ? { principalType } : {}) });

  beforeAll(async () => {
    t = await startTestEmulator();
    const { principals } = await callPrincipalsAdmin(t.connection, {
      ensure: [
        { name: 'cls-a', displayName: 'learner a', tags: { class: 'cls', learner: 'a' } },
        { name: 'cls-b', displayName: 'learner b', tags: { class: 'cls', learner: 'b' } },
        // A service principal standing in for a's identity on the vault (lab 09: id-milab-a).
        { name: 'cls-a-app', displayName: 'a app', tags: { class: 'cls', learner: 'a-app' } },
      ],
    });
    a = await learner(principals[0]!, 'a');
    b = await learner(principals[1]!, 'b');
    app = principals[2]!;
    await createOwnVault(a);
    await createOwnVault(b);
  });
  afterAll(async () => {
    await t.stop();
  });

  it('a does lab 09 on her vault: Secrets Officer for herself, the secret stored, Secrets User for a service principal, which reads it', async () => {
    expect(a.vaultUri).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/?$/);
    await assign(a, a.vaultId, 'Key Vault Secrets Officer', a.p.objectId);
    const value = randomBytes(24).toString('base64url');
    await secretClient(t, a.vaultUri, a.credential).setSecret('app-greeting', value);
    await assign(a, a.vaultId, 'Key Vault Secrets User', app.objectId, 'ServicePrincipal');
    const appCredential = new ClientSecretCredential(t.connection.tenantId, app.clientId, app.clientSecret, { authorityHost: t.connection.url, disableInstanceDiscovery: true, agent: new Agent({ ca: t.caPem }) });
    const read = await secretClient(t, a.vaultUri, appCredential).getSecret('app-greeting');
    expect(read.value === value).toBe(true);
    // Secrets User reads; it cannot write.
    const write = await refused(secretClient(t, a.vaultUri, appCredential).setSecret('app-greeting', 'x'));
    expect(write?.statusCode).toBe(403);
  });

  it("a cannot create a vault in b's group, change or delete b's vault, nor grant anything on it", async () => {
    const create = await refused(
      a.vaults.vaults.beginCreateOrUpdateAndWait(b.group, 'kv-a-in-b', { location: 'westus', properties: { tenantId: SEED.tenantId, sku: { family: 'A', name: 'standard' }, enableRbacAuthorization: true } }),
    );
    expect(create).toMatchObject({ statusCode: 403, code: 'AuthorizationFailed' });
    const update = await refused(a.vaults.vaults.update(b.group, b.vault, { properties: { enableRbacAuthorization: false } }));
    expect(update).toMatchObject({ statusCode: 403, code: 'AuthorizationFailed' });
    const remove = await refused(a.vaults.vaults.delete(b.group, b.vault));
    expect(remove).toMatchObject({ statusCode: 403, code: 'AuthorizationFailed' });
    for (const [what, call] of [
      ['Secrets Officer for herself on b\'s vault', assign(a, b.vaultId, 'Key Vault Secrets Officer', a.p.objectId)],
      ['Secrets User for her app on b\'s vault', assign(a, b.vaultId, 'Key Vault Secrets User', app.objectId, 'ServicePrincipal')],
      ["Secrets User at b's group", assign(a, b.groupId, 'Key Vault Secrets User', app.objectId, 'ServicePrincipal')],
    ] as const) {
      expect(await refused(call), what).toMatchObject({ statusCode: 403, code: 'AuthorizationFailed' });
    }
    // b's vault is b's: still there, still RBAC.
    expect((await t.as('instructor').resources.resources.getById(b.vaultId, '2025-05-01')).properties).toMatchObject({ enableRbacAuthorization: true });
  });

  it("a's token is valid for b's vault, which refuses her on the data plane (ForbiddenByRbac)", async () => {
    await assign(b, b.vaultId, 'Key Vault Secrets Officer', b.p.objectId);
    await secretClient(t, b.vaultUri, b.credential).setSecret('app-greeting', randomBytes(24).toString('base64url'));
    for (const call of [secretClient(t, b.vaultUri, a.credential).getSecret('app-greeting'), secretClient(t, b.vaultUri, a.credential).setSecret('app-greeting', 'x')]) {
      const error = await refused(call);
      expect(error?.statusCode).toBe(403);
      expect(error?.code).toBe('Forbidden');
      expect(error?.message).toMatch(/ForbiddenByRbac|not authorized/i);
    }
  });

  it('on her own vault a may grant nothing more: no Administrator, no Secrets Officer for another principal, no Secrets User for a user', async () => {
    for (const [what, call] of [
      ['Key Vault Administrator for herself', assign(a, a.vaultId, 'Key Vault Administrator', a.p.objectId)],
      ['Secrets Officer for a service principal', assign(a, a.vaultId, 'Key Vault Secrets Officer', app.objectId, 'ServicePrincipal')],
      ['Secrets Officer for b', assign(a, a.vaultId, 'Key Vault Secrets Officer', b.p.objectId)],
      ['Secrets User for a user', assign(a, a.vaultId, 'Key Vault Secrets User', b.p.objectId, 'User')],
      ['Key Vault Contributor for her app', assign(a, a.vaultId, 'Key Vault Contributor', app.objectId, 'ServicePrincipal')],
    ] as const) {
      expect(await refused(call), what).toMatchObject({ statusCode: 403, code: 'AuthorizationFailed' });
    }
  });

  it('a deletes her vault, and may not purge it: the purge is a subscription-level action she does not hold', async () => {
    await a.vaults.vaults.delete(a.group, a.vault);
    const purge = await refused(a.vaults.vaults.beginPurgeDeletedAndWait(a.vault, 'westus'));
    expect(purge).toMatchObject({ statusCode: 403, code: 'AuthorizationFailed' });
    expect(purge?.message).toContain('Microsoft.KeyVault/locations/deletedVaults/purge/action');
    // The instructor can (`milab class teardown` does).
    const instructorVaults = new KeyVaultManagementClient(t.as('instructor').credential, SEED.subscriptionId, { endpoint: t.url, credentialScopes: [ARM_SCOPE], agent: new Agent({ ca: t.caPem }) });
    await instructorVaults.vaults.beginPurgeDeletedAndWait(a.vault, 'westus');
    expect(await refused(instructorVaults.vaults.getDeleted(a.vault, 'westus'))).toMatchObject({ statusCode: 404 });
  });
});
