// ARM behaviour with the real SDK clients and plain HTTP: authentication errors, api-versions,
// linked authorization, principals, the VM identity block, identity lifecycle, paging and
// filters, resource groups as long-running deletes, role definitions, cloud metadata.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errors } from '../src/errors.js';
import { BUILTIN_ROLE_IDS } from '../src/roles.js';
import { SEED } from '../src/world.js';
import { startTestEmulator, type TestEmulator } from './helpers.js';

const sub = `/subscriptions/${SEED.subscriptionId}`;
const rg = `${sub}/resourceGroups/DevTest`;
const vmId = `${rg}/providers/Microsoft.Compute/virtualMachines/labvm`;
const roleId = (name: keyof typeof BUILTIN_ROLE_IDS) => `${sub}/providers/Microsoft.Authorization/roleDefinitions/${BUILTIN_ROLE_IDS[name]}`;

async function failure(promise: Promise<unknown>): Promise<{ statusCode?: number; code?: string; message: string }> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error as { statusCode?: number; code?: string; message: string },
  );
}

describe('ARM', () => {
  let emu: TestEmulator;

  beforeAll(async () => {
    emu = await startTestEmulator({ pageSize: 2 });
  });
  afterAll(async () => {
    await emu.stop();
  });

  describe('authentication', () => {
    const path = `${rg}?api-version=2021-04-01`;

    it('401 AuthenticationFailed without a token, InvalidAuthenticationToken for a bad one', async () => {
      const missing = await emu.http('GET', path);
      expect(missing.status).toBe(401);
      expect(missing.body.error).toEqual(errors.authenticationMissing(SEED.tenantId).body().error);
      expect(String(missing.headers['www-authenticate'])).toContain('invalid_token');
      const garbage = await emu.http('GET', path, { token: 'not.a.jwt' });
      expect(garbage.status).toBe(401);
      expect(garbage.body.error.code).toBe('InvalidAuthenticationToken');
    });

    it('401 for an expired, a badly signed, or a wrong-audience token', async () => {
      const principal = emu.emulator.store.state.principals[SEED.principals.learner.objectId];
      if (!principal) throw new Error('seeded principal missing');
      const expired = await emu.emulator.tokens.mint({ principal, audience: 'https://management.azure.com/', now: new Date(Date.now() - 2 * 3600_000) });
      const response = await emu.http('GET', path, { token: expired.accessToken });
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe('ExpiredAuthenticationToken');
      const good = await emu.token('learner');
      const [h, c, s = ''] = good.split('.');
      const tampered = `${h}.${c}.${s.slice(0, -4)}${s.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
      const badSig = await emu.http('GET', path, { token: tampered });
      expect(badSig.status).toBe(401);
      expect(badSig.body.error).toEqual(errors.invalidSignature(SEED.tenantId).body().error);
      const vault = await emu.emulator.tokens.mint({ principal, audience: 'https://vault.azure.net' });
      const wrongAudience = await emu.http('GET', path, { token: vault.accessToken });
      expect(wrongAudience.status).toBe(401);
      expect(wrongAudience.body.error.code).toBe('InvalidAuthenticationTokenAudience');
    });
  });

  describe('api-versions', () => {
    it('requires one, serves an unknown one with a warning logged once', async () => {
      const token = await emu.token('learner');
      const none = await emu.http('GET', rg, { token });
      expect(none.status).toBe(400);
      expect(none.body.error.code).toBe('MissingApiVersionParameter');
      const before = emu.warnings.length;
      for (let i = 0; i < 2; i++) {
        const future = await emu.http('GET', `${rg}?api-version=2099-01-01`, { token });
        expect(future.status).toBe(200);
      }
      const added = emu.warnings.slice(before).filter((w) => w.includes('2099-01-01'));
      expect(added).toHaveLength(1);
    });

    it("serves the seed's 2016-06-01 resource group shape and the newer one with type", async () => {
      const token = await emu.token('grader');
      const old = await emu.http('GET', `${rg}?api-version=2016-06-01`, { token });
      // Azure returns `tags: {}` on an untagged group (recorded traffic), at every api-version.
      expect(old.body).toEqual({ id: rg, name: 'DevTest', location: 'westus', tags: {}, properties: { provisioningState: 'Succeeded' } });
      const current = await emu.http('GET', `${rg}?api-version=2025-04-01`, { token });
      expect(current.body.type).toBe('Microsoft.Resources/resourceGroups');
    });
  });

  describe('role assignments', () => {
    it('400 PrincipalNotFound for an unknown principal, 400 RoleDefinitionDoesNotExist for an unknown role', async () => {
      const { authorization } = emu.as('learner');
      const ghost = randomUUID();
      const error = await failure(authorization.roleAssignments.create(sub, randomUUID(), { roleDefinitionId: roleId('Reader'), principalId: ghost }));
      expect(error.statusCode).toBe(400);
      expect(error.code).toBe('PrincipalNotFound');
      expect(error.message).toBe(errors.principalNotFound(ghost, SEED.tenantId).message);
      const role = await failure(
        authorization.roleAssignments.create(sub, randomUUID(), {
          roleDefinitionId: `${sub}/providers/Microsoft.Authorization/roleDefinitions/${randomUUID()}`,
          principalId: SEED.principals.grader.objectId,
        }),
      );
      expect(role.code).toBe('RoleDefinitionDoesNotExist');
    });

    it('lists with nextLink paging and filters atScope(), principalId eq, assignedTo()', async () => {
      const token = await emu.token('grader');
      const page = await emu.http('GET', `${sub}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01`, { token });
      expect(page.body.value).toHaveLength(2);
      expect(page.body.nextLink).toMatch(/\$skiptoken=2/);
      const all = [];
      for await (const a of emu.as('grader').authorization.roleAssignments.listForSubscription()) all.push(a);
      expect(all.length).toBeGreaterThanOrEqual(3);
      const grader = SEED.principals.grader.objectId;
      const mine = [];
      for await (const a of emu.as('grader').authorization.roleAssignments.listForScope(rg, { filter: `atScope() and assignedTo('${grader}')` })) mine.push(a);
      expect(mine.map((a) => a.roleDefinitionId?.split('/').pop())).toEqual([BUILTIN_ROLE_IDS.Reader]);
      const byId = await emu.as('grader').authorization.roleAssignments.getById(all[0]?.id ?? '');
      expect(byId.id).toBe(all[0]?.id);
    });

    it('gets and deletes at resource-group and resource scope', async () => {
      const { authorization } = emu.as('learner');
      const name = randomUUID();
      const created = await authorization.roleAssignments.create(vmId, name, {
        roleDefinitionId: roleId('Virtual Machine Contributor'),
        principalId: SEED.principals.grader.objectId,
        principalType: 'ServicePrincipal',
      });
      expect(created.scope).toBe(vmId);
      expect((await authorization.roleAssignments.get(vmId, name)).principalId).toBe(SEED.principals.grader.objectId);
      const deleted = await authorization.roleAssignments.delete(vmId, name);
      expect(deleted.name).toBe(name);
      const missing = await failure(authorization.roleAssignments.get(vmId, name));
      expect(missing.statusCode).toBe(404);
    });
  });

  describe('linked authorization', () => {
    it('attaching an identity needs assign/action on it: LinkedAuthorizationFailed, then allowed with Managed Identity Operator', async () => {
      const learner = emu.as('learner');
      const identity = await learner.msi.userAssignedIdentities.createOrUpdate('DevTest', 'linked-id', { location: 'westus' });
      const grader = SEED.principals.grader.objectId;
      await learner.authorization.roleAssignments.create(vmId, randomUUID(), { roleDefinitionId: roleId('Virtual Machine Contributor'), principalId: grader });
      const attempt = failure(
        emu.as('grader').compute.virtualMachines.beginUpdateAndWait('DevTest', 'labvm', {
          identity: { type: 'UserAssigned', userAssignedIdentities: { [identity.id ?? '']: {} } },
        }),
      );
      const error = await attempt;
      expect(error.statusCode).toBe(403);
      expect(error.code).toBe('LinkedAuthorizationFailed');
      expect(error.message).toBe(
        errors.linkedAuthorizationFailed(grader, 'Microsoft.Compute/virtualMachines/write', vmId, 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action', [identity.id ?? '']).message,
      );
      await learner.authorization.roleAssignments.create(identity.id ?? '', randomUUID(), { roleDefinitionId: roleId('Managed Identity Operator'), principalId: grader });
      const vm = await emu.as('grader').compute.virtualMachines.beginUpdateAndWait('DevTest', 'labvm', {
        identity: { type: 'UserAssigned', userAssignedIdentities: { [identity.id ?? '']: {} } },
      });
      expect(Object.keys(vm.identity?.userAssignedIdentities ?? {})).toEqual([identity.id]);
      // Clean up for the next tests.
      await learner.compute.virtualMachines.beginUpdateAndWait('DevTest', 'labvm', { identity: { type: 'None' } });
    });
  });

  describe('the VM identity block', () => {
    it('SystemAssigned creates a service principal; PATCH null removes one identity; PUT replaces the set; None clears', async () => {
      const { msi, compute } = emu.as('learner');
      const a = await msi.userAssignedIdentities.createOrUpdate('DevTest', 'vm-id-a', { location: 'westus' });
      const b = await msi.userAssignedIdentities.createOrUpdate('DevTest', 'vm-id-b', { location: 'westus' });
      const idA = a.id ?? '';
      const idB = b.id ?? '';
      let vm = await compute.virtualMachines.beginUpdateAndWait('DevTest', 'labvm', {
        identity: { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [idA]: {}, [idB]: {} } },
      });
      expect(vm.identity?.type).toBe('SystemAssigned, UserAssigned');
      const systemPrincipal = vm.identity?.principalId ?? '';
      expect(systemPrincipal).toMatch(/^[0-9a-f-]{36}$/);
      expect(vm.identity?.tenantId).toBe(SEED.tenantId);
      expect(emu.emulator.store.state.principals[systemPrincipal]?.kind).toBe('systemAssignedIdentity');
      expect(Object.keys(vm.identity?.userAssignedIdentities ?? {}).sort()).toEqual([idA, idB].sort());

      vm = await compute.virtualMachines.beginUpdateAndWait('DevTest', 'labvm', {
        identity: { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [idA]: null as unknown as object } },
      });
      expect(Object.keys(vm.identity?.userAssignedIdentities ?? {})).toEqual([idB]);
      expect(vm.identity?.principalId).toBe(systemPrincipal);

      // PUT with a map that omits B (and no SystemAssigned) replaces the set: A only, system identity gone.
      const current = await compute.virtualMachines.get('DevTest', 'labvm');
      vm = await compute.virtualMachines.beginCreateOrUpdateAndWait('DevTest', 'labvm', {
        ...current,
        identity: { type: 'UserAssigned', userAssignedIdentities: { [idA]: {} } },
      });
      expect(vm.identity?.type).toBe('UserAssigned');
      expect(Object.keys(vm.identity?.userAssignedIdentities ?? {})).toEqual([idA]);
      expect(emu.emulator.store.state.principals[systemPrincipal]).toBeUndefined();

      vm = await compute.virtualMachines.beginUpdateAndWait('DevTest', 'labvm', { identity: { type: 'None' } });
      expect(vm.identity).toBeUndefined();
    });

    it('a system-assigned identity is deleted with its VM; create and delete are long-running operations', async () => {
      const { compute } = emu.as('learner');
      const labvm = await compute.virtualMachines.get('DevTest', 'labvm');
      const created = await compute.virtualMachines.beginCreateOrUpdateAndWait('DevTest', 'tempvm', {
        location: 'westus',
        identity: { type: 'SystemAssigned' },
        hardwareProfile: labvm.hardwareProfile,
        storageProfile: { imageReference: labvm.storageProfile?.imageReference },
        osProfile: { computerName: 'tempvm', adminUsername: 'azureuser', adminPassword: 'S3cret-not-returned!' },
        networkProfile: labvm.networkProfile,
      } as never);
      const principal = created.identity?.principalId ?? '';
      expect(emu.emulator.store.state.principals[principal]).toBeDefined();
      expect(JSON.stringify(created)).not.toContain('S3cret');
      await compute.virtualMachines.beginDeleteAndWait('DevTest', 'tempvm');
      expect(emu.emulator.store.state.principals[principal]).toBeUndefined();
      expect((await failure(compute.virtualMachines.get('DevTest', 'tempvm'))).statusCode).toBe(404);
    });
  });

  describe('identity lifecycle', () => {
    it('delete and re-create yields new ids; the old role assignment stays behind, orphaned', async () => {
      const { msi, authorization } = emu.as('learner');
      const first = await msi.userAssignedIdentities.createOrUpdate('DevTest', 'reborn', { location: 'westus' });
      const assignment = await authorization.roleAssignments.create(sub, randomUUID(), { roleDefinitionId: roleId('Reader'), principalId: first.principalId ?? '' });
      await msi.userAssignedIdentities.delete('DevTest', 'reborn');
      expect((await failure(msi.userAssignedIdentities.get('DevTest', 'reborn'))).code).toBe('ResourceNotFound');
      const second = await msi.userAssignedIdentities.createOrUpdate('DevTest', 'reborn', { location: 'westus' });
      expect(second.principalId).not.toBe(first.principalId);
      expect(second.clientId).not.toBe(first.clientId);
      const orphan = await authorization.roleAssignments.getById(assignment.id ?? '');
      expect(orphan.principalId).toBe(first.principalId);
      expect(emu.emulator.store.state.principals[first.principalId ?? '']).toBeUndefined();
      const forNew = [];
      for await (const a of authorization.roleAssignments.listForSubscription({ filter: `principalId eq '${second.principalId}'` })) forNew.push(a);
      expect(forNew).toHaveLength(0);
    });

    it('PATCH updates tags and keeps the ids; lists by resource group and by subscription page through nextLink', async () => {
      const { msi } = emu.as('learner');
      const before = await msi.userAssignedIdentities.get('DevTest', 'reborn');
      const patched = await msi.userAssignedIdentities.update('DevTest', 'reborn', { tags: { lab: '01' } });
      expect(patched.tags).toEqual({ lab: '01' });
      expect(patched.principalId).toBe(before.principalId);
      const names = [];
      for await (const i of msi.userAssignedIdentities.listByResourceGroup('DevTest')) names.push(i.name);
      expect(names.length).toBeGreaterThan(2);
      const subNames = [];
      for await (const i of msi.userAssignedIdentities.listBySubscription()) subNames.push(i.name);
      expect(subNames.sort()).toEqual(names.sort());
    });
  });

  describe('resource groups, role definitions, metadata', () => {
    it('creates, checks, lists and deletes a resource group (with what is in it) as a long-running operation', async () => {
      const { resources, msi } = emu.as('learner');
      const created = await resources.resourceGroups.createOrUpdate('Scratch', { location: 'eastus', tags: { t: '1' } });
      expect(created).toMatchObject({ name: 'Scratch', location: 'eastus', properties: { provisioningState: 'Succeeded' } });
      expect((await resources.resourceGroups.checkExistence('Scratch')).body).toBe(true);
      const inside = await msi.userAssignedIdentities.createOrUpdate('Scratch', 'inside', { location: 'eastus' });
      const groups = [];
      for await (const g of resources.resourceGroups.list()) groups.push(g.name);
      expect(groups.sort()).toEqual(['DevTest', 'Scratch']);
      await resources.resourceGroups.beginDeleteAndWait('Scratch');
      expect((await resources.resourceGroups.checkExistence('Scratch')).body).toBe(false);
      expect(emu.emulator.store.state.principals[inside.principalId ?? '']).toBeUndefined();
      expect((await failure(resources.resourceGroups.get('Scratch'))).code).toBe('ResourceGroupNotFound');
    });

    it('serves built-in role definitions with their real permissions', async () => {
      const { authorization } = emu.as('grader');
      const contributor = await authorization.roleDefinitions.get(sub, BUILTIN_ROLE_IDS.Contributor);
      expect(contributor.roleName).toBe('Contributor');
      expect(contributor.permissions?.[0]?.notActions).toContain('Microsoft.Authorization/*/Write');
      const readers = [];
      for await (const r of authorization.roleDefinitions.list(sub, { filter: "roleName eq 'Reader'" })) readers.push(r);
      expect(readers.map((r) => r.name)).toEqual([BUILTIN_ROLE_IDS.Reader]);
      expect(readers[0]?.permissions?.[0]?.actions).toEqual(['*/read']);
    });

    it('serves the cloud metadata document without authentication', async () => {
      const response = await emu.http('GET', '/metadata/endpoints?api-version=2022-09-01');
      expect(response.status).toBe(200);
      // Its own name (az rewrites an AzureCloud's login endpoint) and an AD FS-style login door (MSAL Python skips instance discovery there).
      expect(response.body[0]).toMatchObject({ name: 'MilabEmulator', resourceManager: `${emu.url}/`, authentication: { loginEndpoint: `${emu.url}/adfs` } });
    });
  });
});

describe('RBAC propagation delay', () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator({ rbacDelaySeconds: 1 });
  });
  afterAll(async () => {
    await emu.stop();
  });

  it('an assignment takes effect N seconds after it is made', async () => {
    await emu.as('learner').authorization.roleAssignments.create(rg, randomUUID(), {
      roleDefinitionId: roleId('Contributor'),
      principalId: SEED.principals.grader.objectId,
    });
    const early = await failure(emu.as('grader').msi.userAssignedIdentities.createOrUpdate('DevTest', 'late', { location: 'westus' }));
    expect(early.code).toBe('AuthorizationFailed');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const later = await emu.as('grader').msi.userAssignedIdentities.createOrUpdate('DevTest', 'late', { location: 'westus' });
    expect(later.name).toBe('late');
  });
});

describe('a principal whose only role is on one VM', () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator();
  });
  afterAll(async () => {
    await emu.stop();
  });

  it('updates that VM with beginUpdateAndWait (polling needs no subscription-wide role) and is refused elsewhere', async () => {
    const learner = emu.as('learner');
    const grader = SEED.principals.grader.objectId;
    // Take the grader's seeded Reader on the subscription away; grant Virtual Machine Contributor on labvm only.
    for await (const a of learner.authorization.roleAssignments.listForSubscription({ filter: `principalId eq '${grader}'` })) {
      await learner.authorization.roleAssignments.deleteById(a.id ?? '');
    }
    await learner.authorization.roleAssignments.create(vmId, randomUUID(), { roleDefinitionId: roleId('Virtual Machine Contributor'), principalId: grader });
    const vm = await emu.as('grader').compute.virtualMachines.beginUpdateAndWait('DevTest', 'labvm', { tags: { owner: 'grader' } });
    expect(vm.tags).toEqual({ owner: 'grader' });
    const elsewhere = await failure(emu.as('grader').resources.resourceGroups.get('DevTest'));
    expect(elsewhere.code).toBe('AuthorizationFailed');
    const vms = [];
    for await (const v of emu.as('grader').compute.virtualMachines.listAll()) vms.push(v.name);
    expect(vms).toEqual(['labvm']);
  });
});
