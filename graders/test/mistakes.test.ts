// One test per common mistake: make it with the Azure SDK (as the learner, through core), grade
// as the grader, and assert on the failing check's id and on what its message says.
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { labTags, type ArmClients } from '@milab/core';
import { ROLE_IDS, roleDefinitionId } from '@milab/labs';
import { failed, type LabWorld, LEARNER, leaveOtherPrincipalsOrphan, result, said, useLabWorld, withStatus } from './support.js';

let world: LabWorld;
let learner: ArmClients;

useLabWorld((started, as) => {
  world = started;
  learner = as;
});

const tags = () => labTags(LEARNER, '01');
const createIdentity = (group: string, name: string, t: Record<string, string> | null = tags()) =>
  learner.msi.userAssignedIdentities.createOrUpdate(group, name, { location: world.names.location, ...(t ? { tags: t } : {}) });
const assign = (scope: string, principalId: string, role: string, principalType = 'ServicePrincipal') =>
  learner.authorization.roleAssignments.create(scope, randomUUID(), {
    roleDefinitionId: roleDefinitionId(world.names.subscriptionId, role),
    principalId,
    principalType,
  });
const myPrincipalId = async () => (await learner.msi.userAssignedIdentities.get(world.names.resourceGroup, world.names.identity)).principalId!;

describe('lab 01 mistakes', () => {
  it('identity missing', async () => {
    const report = await world.grade('01');
    const check = result(report, '01.identity-exists');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('no user-assigned identity named id-milab-ada in resource group DevTest');
    expect(said(check)).toContain('az identity create -g DevTest -n id-milab-ada');
    expect(withStatus(report, 'skip')).toEqual(['01.identity-location', '01.identity-tags']);
  });

  it('identity in another resource group', async () => {
    await learner.resources.resourceGroups.createOrUpdate('Sandbox', { location: 'westus' });
    await createIdentity('Sandbox', world.names.identity);
    const check = result(await world.grade('01'), '01.identity-exists');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('id-milab-ada exists, but in resource group Sandbox, not in DevTest');
    expect(said(check)).toContain('az identity delete -g Sandbox -n id-milab-ada');
  });

  it('identity wrongly named', async () => {
    await createIdentity('DevTest', 'ada-identity');
    const check = result(await world.grade('01'), '01.identity-exists');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('an identity tagged for you, but named ada-identity');
    expect(said(check)).toContain('Identities cannot be renamed: create id-milab-ada');
  });

  it('identity untagged', async () => {
    await createIdentity('DevTest', world.names.identity, null);
    const report = await world.grade('01');
    expect(result(report, '01.identity-exists').status).toBe('pass');
    const check = result(report, '01.identity-tags');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('id-milab-ada is untagged');
    expect(said(check)).toContain('--tags workshop=milab learner=ada lab=01');
  });

  it('identity tagged for someone else', async () => {
    await createIdentity('DevTest', world.names.identity, { ...tags(), learner: 'bob' });
    const check = result(await world.grade('01'), '01.identity-tags');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('tagged wrongly: learner=bob');
  });
});

describe('lab 02 mistakes', () => {
  beforeEach(async () => {
    await world.solve('01');
  });

  it('identity deleted and re-created: the Reader assignment is orphaned on the old principal', async () => {
    await world.solve('02');
    const oldPrincipal = await myPrincipalId();
    await learner.msi.userAssignedIdentities.delete(world.names.resourceGroup, world.names.identity);
    await world.solve('01');
    const newPrincipal = await myPrincipalId();
    expect(newPrincipal).not.toBe(oldPrincipal);
    const check = result(await world.grade('02'), '02.reader-at-subscription');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain(`assigned to principal ${oldPrincipal}`);
    expect(said(check)).toContain('deleted and re-created');
    expect(said(check)).toContain(`it is now ${newPrincipal}`);
    expect(said(check)).toContain('orphaned');
    expect(said(check)).toContain(`--assignee-object-id ${newPrincipal}`);
    expect(said(check)).toContain('remove the orphan: `az role assignment delete --ids /subscriptions/');

    // Reader for the new principal, the orphan still there: the lab is not done until it is removed.
    await world.solve('02');
    const report = await world.grade('02');
    expect(result(report, '02.reader-at-subscription').status).toBe('pass');
    const orphan = result(report, '02.no-orphaned-assignment');
    expect(orphan.status).toBe('fail');
    expect(said(orphan)).toContain(`Reader for principal ${oldPrincipal} at the subscription`);
    expect(said(orphan)).toContain('orphaned');
    const id = /az role assignment delete --ids (\S+)`/.exec(said(orphan))![1]!;
    await learner.authorization.roleAssignments.deleteById(id);
    expect((await world.grade('02')).status).toBe('passed');
  });

  it("another principal's orphaned Reader assignment is not blamed on the learner", async () => {
    const instructor = await world.as('instructor');
    await leaveOtherPrincipalsOrphan(instructor, world.names);
    const check = result(await world.grade('02'), '02.reader-at-subscription');
    expect(check.status).toBe('fail');
    expect(said(check)).not.toContain('orphaned');
    expect(said(check)).toContain('has no role assignment');
  });

  it('Reader granted at resource-group scope instead of the subscription', async () => {
    const assignment = await assign(world.names.resourceGroupScope, await myPrincipalId(), ROLE_IDS.Reader);
    const check = result(await world.grade('02'), '02.reader-at-subscription');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('has Reader at resource group DevTest');
    expect(said(check)).toContain('not at the subscription');
    expect(said(check)).toContain(`az role assignment delete --ids ${assignment.id}`);
  });

  it('Contributor granted instead of Reader: a failure, with the reason', async () => {
    await assign(world.names.subscriptionScope, await myPrincipalId(), ROLE_IDS.Contributor);
    const report = await world.grade('02');
    expect(said(result(report, '02.reader-at-subscription'))).toContain('has Contributor at the subscription instead of Reader');
    const check = result(report, '02.not-over-privileged');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('also holds Contributor at the subscription');
    expect(said(check)).toContain('least privilege');
  });

  it('Owner granted on top of Reader: over-privileged', async () => {
    await world.solve('02');
    await assign(world.names.resourceGroupScope, await myPrincipalId(), ROLE_IDS.Owner);
    const report = await world.grade('02');
    expect(result(report, '02.reader-at-subscription').status).toBe('pass');
    const check = result(report, '02.not-over-privileged');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('also holds Owner at resource group DevTest');
    expect(said(check)).toContain('grant access to others');
    expect(report.status).toBe('failed');
  });

  it("a read-only Key Vault role (lab 09's Secrets User on its vault) is not over-privileged for lab 02", async () => {
    await world.solve('02');
    await assign(world.names.resourceGroupScope, await myPrincipalId(), ROLE_IDS['Key Vault Secrets User']);
    const check = result(await world.grade('02'), '02.not-over-privileged');
    expect(check.status).toBe('pass');
    expect(check.status === 'pass' ? check.details : '').toContain('all read-only');
  });

  it('Reader given to the learner instead of the identity', async () => {
    const me = world.emulator.connection().principals.learner.objectId;
    // The emulator's learner signs in as a service principal (ARM refuses any other principalType for it).
    await assign(world.names.subscriptionScope, me, ROLE_IDS.Reader, 'ServicePrincipal');
    const check = result(await world.grade('02'), '02.reader-at-subscription');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain(`Reader was granted to you (the signed-in learner, principal ${me})`);
  });

  it("Reader given to the VM's system-assigned identity instead", async () => {
    const vm = await learner.compute.virtualMachines.update(world.names.resourceGroup, world.names.vm, { identity: { type: 'SystemAssigned' } });
    await assign(world.names.subscriptionScope, vm.identity!.principalId!, ROLE_IDS.Reader);
    const check = result(await world.grade('02'), '02.reader-at-subscription');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain(`Reader was granted to the system-assigned identity of the VM labvm (principal ${vm.identity!.principalId})`);
  });

  it('principalType other than ServicePrincipal: ARM refuses it (UnmatchedPrincipalType); left out, ARM records the real type', async () => {
    await expect(assign(world.names.subscriptionScope, await myPrincipalId(), ROLE_IDS.Reader, 'Group')).rejects.toMatchObject({ code: 'UnmatchedPrincipalType' });
    await learner.authorization.roleAssignments.create(world.names.subscriptionScope, randomUUID(), {
      roleDefinitionId: roleDefinitionId(world.names.subscriptionId, ROLE_IDS.Reader),
      principalId: await myPrincipalId(),
    });
    const report = await world.grade('02');
    expect(result(report, '02.reader-at-subscription').status).toBe('pass');
    expect(failed(report)).toEqual([]);
  });
});

describe('lab 03 mistakes', () => {
  beforeEach(async () => {
    await world.solve('01', '02');
    await world.prepare('03');
  });

  it('identity not attached at all', async () => {
    const check = result(await world.grade('03'), '03.identity-attached');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('id-milab-ada is not attached to labvm');
    expect(said(check)).toContain('az vm identity assign -g DevTest -n labvm --identities');
  });

  it('system-assigned identity turned on instead', async () => {
    await learner.compute.virtualMachines.update(world.names.resourceGroup, world.names.vm, { identity: { type: 'SystemAssigned, UserAssigned' } });
    const check = result(await world.grade('03'), '03.identity-attached');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('the system-assigned identity was turned on instead');
  });

  it('a replacing PUT detaches the identity the VM already had', async () => {
    const { resourceGroup, vm: vmName } = world.names;
    const mine = await learner.msi.userAssignedIdentities.get(resourceGroup, world.names.identity);
    const vm = await learner.compute.virtualMachines.get(resourceGroup, vmName);
    await learner.compute.virtualMachines.createOrUpdate(resourceGroup, vmName, {
      ...vm,
      identity: { type: 'UserAssigned', userAssignedIdentities: { [mine.id!]: {} } },
    });
    const report = await world.grade('03');
    expect(result(report, '03.identity-attached').status).toBe('pass');
    const check = result(report, '03.other-identities-kept');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('id-milab-ada-app, which labvm already used, is no longer attached');
    expect(said(check)).toContain('replaced the VM');
  });
});

describe('labs build on each other', () => {
  it('with nothing done, labs 02 and 03 are skipped, naming the check of the earlier lab', async () => {
    const report = await world.grade();
    expect(result(report, '01.identity-exists').status).toBe('fail');
    const ready = result(report, '02.identity-ready');
    expect(ready.status).toBe('skip');
    expect(said(ready)).toContain('lab 01 is not done: 01.identity-exists');
    expect(said(ready)).toContain('./milab grade 01');
    expect(said(result(report, '02.reader-at-subscription'))).toContain('02.identity-ready');
    const lab03 = result(report, '03.lab-02-done');
    expect(lab03.status).toBe('skip');
    expect(said(lab03)).toContain('lab 02 is not done: 02.reader-at-subscription');
    expect(report.labs?.slice(0, 3).map((l) => [l.lab, l.status])).toEqual([['01', 'failed'], ['02', 'failed'], ['03', 'failed']]);
  });

  it('lab 01 done, lab 02 not: lab 03 is skipped naming 02.reader-at-subscription and what it found', async () => {
    await world.solve('01');
    const lab03 = result(await world.grade('03'), '03.lab-02-done');
    expect(lab03.status).toBe('skip');
    expect(said(lab03)).toContain('02.reader-at-subscription (The identity has Reader at the lab scope: the subscription, or in a class your resource group) does not pass: id-milab-ada');
    expect(said(lab03)).toContain('has no role assignment');
  });
});

describe("lab 03's setup", () => {
  it('adds the app identity without touching what the VM has, and never re-attaches it', async () => {
    await world.solve('01', '02');
    const vm0 = await learner.compute.virtualMachines.update(world.names.resourceGroup, world.names.vm, { identity: { type: 'SystemAssigned' } });
    await world.prepare('03');
    const vm1 = await learner.compute.virtualMachines.get(world.names.resourceGroup, world.names.vm);
    expect(vm1.identity?.type).toBe('SystemAssigned, UserAssigned');
    expect(vm1.identity?.principalId).toBe(vm0.identity?.principalId);
    expect(Object.keys(vm1.identity?.userAssignedIdentities ?? {}).map((id) => id.split('/').pop())).toEqual(['id-milab-ada-app']);
    // Detached by the learner: preparing again must not hide it from the grader.
    await learner.compute.virtualMachines.update(world.names.resourceGroup, world.names.vm, { identity: { type: 'SystemAssigned' } });
    await world.prepare('03');
    const vm2 = await learner.compute.virtualMachines.get(world.names.resourceGroup, world.names.vm);
    expect(vm2.identity?.userAssignedIdentities ?? {}).toEqual({});
  });
});
