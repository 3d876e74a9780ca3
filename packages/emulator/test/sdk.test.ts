// The seed's steps 1–3 with the real Azure SDK clients against a started emulator: create an
// identity, grant it Reader on the subscription, attach it to labvm, read everything back;
// then the grader reads it all and is refused every write.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errors } from '../src/errors.js';
import { BUILTIN_ROLE_IDS } from '../src/roles.js';
import { SEED } from '../src/world.js';
import { startTestEmulator, type TestEmulator } from './helpers.js';

const sub = `/subscriptions/${SEED.subscriptionId}`;
const readerId = `${sub}/providers/Microsoft.Authorization/roleDefinitions/${BUILTIN_ROLE_IDS.Reader}`;

function restError(error: unknown): { statusCode?: number; code?: string; message: string } {
  return error as { statusCode?: number; code?: string; message: string };
}

describe('seed steps 1–3 with the real SDK clients', () => {
  let emu: TestEmulator;
  let identityId = '';
  let principalId = '';
  let clientId = '';

  beforeAll(async () => {
    emu = await startTestEmulator();
  });
  afterAll(async () => {
    await emu.stop();
  });

  it('signs in with ClientSecretCredential and reads the seed resource group (2016-06-01 shape)', async () => {
    const token = await emu.token('learner');
    const response = await emu.http('GET', `${sub}/resourceGroups/DevTest?api-version=2016-06-01`, { token });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      id: `${sub}/resourceGroups/DevTest`,
      name: 'DevTest',
      location: 'westus',
      tags: {},
      properties: { provisioningState: 'Succeeded' },
    });
  });

  it('step 1: creates a user-assigned identity with new ids and a service principal', async () => {
    const { msi } = emu.as('learner');
    const created = await msi.userAssignedIdentities.createOrUpdate('DevTest', 'lab-identity', { location: 'westus', tags: { workshop: 'milab' } });
    expect(created.id).toMatch(/\/resourcegroups\/DevTest\/providers\/Microsoft.ManagedIdentity\/userAssignedIdentities\/lab-identity$/);
    expect(created.principalId).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.clientId).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.tenantId).toBe(SEED.tenantId);
    identityId = created.id ?? '';
    principalId = created.principalId ?? '';
    clientId = created.clientId ?? '';
    expect(emu.emulator.store.state.principals[principalId]?.appId).toBe(clientId);
  });

  it('step 2: grants the identity Reader on the subscription; the same again is 409', async () => {
    const { authorization } = emu.as('learner');
    const assignment = await authorization.roleAssignments.create(sub, randomUUID(), {
      roleDefinitionId: readerId,
      principalId,
      principalType: 'ServicePrincipal',
    });
    expect(assignment.principalId).toBe(principalId);
    expect(assignment.scope).toBe(sub);
    await expect(
      authorization.roleAssignments.create(sub, randomUUID(), { roleDefinitionId: readerId, principalId, principalType: 'ServicePrincipal' }),
    ).rejects.toMatchObject({ statusCode: 409, code: 'RoleAssignmentExists', message: errors.roleAssignmentExists().message });
  });

  it('step 3: attaches the identity to labvm with beginUpdateAndWait', async () => {
    const { compute } = emu.as('learner');
    const started = Date.now();
    const vm = await compute.virtualMachines.beginUpdateAndWait('DevTest', 'labvm', {
      identity: { type: 'UserAssigned', userAssignedIdentities: { [identityId]: {} } },
    });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(vm.identity?.type).toBe('UserAssigned');
    const attached = Object.entries(vm.identity?.userAssignedIdentities ?? {});
    expect(attached).toHaveLength(1);
    expect(attached[0]?.[1]).toMatchObject({ principalId, clientId });
    expect(vm.provisioningState ?? (vm as { properties?: { provisioningState?: string } }).properties?.provisioningState).toBe('Succeeded');
  });

  it('reads everything back', async () => {
    const { msi, authorization, compute, resources } = emu.as('learner');
    const identity = await msi.userAssignedIdentities.get('DevTest', 'lab-identity');
    expect(identity.principalId).toBe(principalId);
    const assignments = [];
    for await (const a of authorization.roleAssignments.listForScope(sub, { filter: `principalId eq '${principalId}'` })) assignments.push(a);
    expect(assignments).toHaveLength(1);
    expect(assignments[0]?.roleDefinitionId?.toLowerCase()).toBe(readerId.toLowerCase());
    const vm = await compute.virtualMachines.get('DevTest', 'labvm');
    expect(Object.keys(vm.identity?.userAssignedIdentities ?? {})).toEqual([identityId]);
    const inGroup = [];
    for await (const r of resources.resources.listByResourceGroup('DevTest')) inGroup.push(r.name);
    expect(inGroup.sort()).toEqual(['lab-identity', 'labvm']);
    const rg = await resources.resourceGroups.get('DevTest');
    expect(rg.location).toBe('westus');
  });

  it('the grader reads all of it', async () => {
    const { msi, authorization, compute, resources } = emu.as('grader');
    expect((await msi.userAssignedIdentities.get('DevTest', 'lab-identity')).clientId).toBe(clientId);
    const vm = await compute.virtualMachines.get('DevTest', 'labvm');
    expect(vm.identity?.type).toBe('UserAssigned');
    const all = [];
    for await (const a of authorization.roleAssignments.listForSubscription()) all.push(a);
    expect(all.some((a) => a.principalId === principalId)).toBe(true);
    const vms = [];
    for await (const v of compute.virtualMachines.listAll()) vms.push(v.name);
    expect(vms).toContain('labvm');
    const identities = [];
    for await (const i of msi.userAssignedIdentities.listBySubscription()) identities.push(i.name);
    expect(identities).toEqual(['lab-identity']);
    expect((await resources.resourceGroups.checkExistence('DevTest')).body).toBe(true);
  });

  it('each grader write is 403 AuthorizationFailed naming the action and scope', async () => {
    const { msi, authorization, compute, resources } = emu.as('grader');
    const oid = SEED.principals.grader.objectId;
    const rg = `${sub}/resourceGroups/DevTest`;
    const attempts: [() => Promise<unknown>, string, string][] = [
      [
        () => msi.userAssignedIdentities.createOrUpdate('DevTest', 'grader-identity', { location: 'westus' }),
        'Microsoft.ManagedIdentity/userAssignedIdentities/write',
        `${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/grader-identity`,
      ],
      [
        () => msi.userAssignedIdentities.delete('DevTest', 'lab-identity'),
        'Microsoft.ManagedIdentity/userAssignedIdentities/delete',
        `${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/lab-identity`,
      ],
      [
        () => authorization.roleAssignments.create(sub, randomUUID(), { roleDefinitionId: readerId, principalId: oid }),
        'Microsoft.Authorization/roleAssignments/write',
        sub,
      ],
      [() => compute.virtualMachines.beginUpdateAndWait('DevTest', 'labvm', { identity: { type: 'None' } }), 'Microsoft.Compute/virtualMachines/write', `${rg}/providers/Microsoft.Compute/virtualMachines/labvm`],
      [() => compute.virtualMachines.beginDeleteAndWait('DevTest', 'labvm'), 'Microsoft.Compute/virtualMachines/delete', `${rg}/providers/Microsoft.Compute/virtualMachines/labvm`],
      [() => resources.resourceGroups.createOrUpdate('GraderRG', { location: 'westus' }), 'Microsoft.Resources/subscriptions/resourceGroups/write', `${sub}/resourceGroups/GraderRG`],
    ];
    for (const [attempt, action, scope] of attempts) {
      const error = restError(await attempt().then(() => undefined, (e: unknown) => e));
      expect(error, action).toBeDefined();
      expect(error.statusCode, action).toBe(403);
      expect(error.code, action).toBe('AuthorizationFailed');
      expect(error.message).toBe(errors.authorizationFailed(oid, action, scope).message);
    }
    // Nothing changed.
    const vm = await emu.as('learner').compute.virtualMachines.get('DevTest', 'labvm');
    expect(vm.identity?.type).toBe('UserAssigned');
  });
});
