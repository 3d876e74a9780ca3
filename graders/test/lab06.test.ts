// Lab 06, the system-assigned identity's lifecycle: the starter leaves its grader failing, the
// solution passes it, and each common mistake — made with the Azure SDK as the learner, or as a
// variant of the VM program — fails the right check with the right message. On an in-process
// emulator with labs 01-03 solved; the VM part runs in a child process "on" labvm.
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ArmClients } from '@milab/core';
import { findLab, listLabs, ROLE_IDS, roleDefinitionId, TodoError, type LabContext } from '@milab/labs';
import type { GradeReport } from '@milab/grading';
import { createGrader04 } from '../04-imds-token.js';
import { createGrader06, throwawayVmName } from '../06-system-assigned.js';
import { createGraderContext, createSnapshotContext, GRADERS, gradeLabs, takeSnapshot, type ClassSnapshot, type Grader } from '../index.js';
import { failed, LAB_04_DONE, type LabWorld, result, said, useVmLabWorld, type VmLabWorld } from './support.js';

let vm: VmLabWorld;
let world: LabWorld;
let learner: ArmClients;
const lab04 = findLab('04');
const lab06 = findLab('06');
const vmSolution = lab06.vmProgram!.solution;
// Lab 04 graded with its solution: lab 06's first check waits on it.
const grader04 = createGrader04(lab04.solution);
const grade06 = (program = vmSolution, previous: Grader = grader04): Promise<GradeReport> => vm.grade(createGrader06(program, previous));
/** Lab 06 after lab 04 given as done: a mistake with lab 04 still done is lab 06's alone (no run of lab 04's program each time). */
const grade06Alone = (program = vmSolution): Promise<GradeReport> => grade06(program, LAB_04_DONE);

useVmLabWorld('lab06-', (started, as) => {
  vm = started;
  world = started.world;
  learner = as;
});

const getVm = (name = world.names.vm) => learner.compute.virtualMachines.get(world.names.resourceGroup, name);
const readerAt = (scope: string, principalId: string) =>
  learner.authorization.roleAssignments.create(scope, randomUUID(), {
    roleDefinitionId: roleDefinitionId(world.names.subscriptionId, ROLE_IDS.Reader),
    principalId,
    principalType: 'ServicePrincipal',
  });
/** Part 1 done right: the system-assigned identity on beside the others, with Reader on the group. */
async function part1(): Promise<string> {
  const on = await learner.compute.virtualMachines.update(world.names.resourceGroup, world.names.vm, { identity: { type: 'SystemAssigned, UserAssigned' } });
  await readerAt(world.names.resourceGroupScope, on.identity!.principalId!);
  return on.identity!.principalId!;
}
/** The throwaway VM with its system-assigned identity, given Reader on the lab VM; returns its principal. */
async function throwaway(): Promise<string> {
  const name = throwawayVmName(world.names);
  const temp = await learner.compute.virtualMachines.createOrUpdate(world.names.resourceGroup, name, {
    location: world.names.location,
    identity: { type: 'SystemAssigned' },
    hardwareProfile: { vmSize: 'Standard_B1s' },
    osProfile: { computerName: name, adminUsername: 'azureuser', linuxConfiguration: { disablePasswordAuthentication: true } },
    networkProfile: { networkInterfaces: [{ id: `${world.names.resourceGroupScope}/providers/Microsoft.Network/networkInterfaces/${name}-nic` }] },
  });
  await readerAt(world.names.vmId, temp.identity!.principalId!);
  return temp.identity!.principalId!;
}

describe('lab 06', () => {
  it('is graded by `milab grade all`, after lab 05', () => {
    const ids = GRADERS.map((g) => g.lab.id);
    expect(ids).toEqual(listLabs().map((l) => l.id));
    expect(ids.indexOf('06')).toBe(ids.indexOf('05') + 1);
    expect(lab06.vmProgram?.starter).toBe(join(lab06.dir, 'starter', 'vm.ts'));
  });

  it('the starter throws its TODO and leaves the grader failing; the solution passes every check', async () => {
    const ctx = await world.labContext('06');
    const { main: starter } = (await import(pathToFileURL(lab06.starter).href)) as { main: (ctx: LabContext) => Promise<void> };
    await expect(starter(ctx)).rejects.toBeInstanceOf(TodoError);
    const before = await grade06(lab06.vmProgram!.starter);
    expect(before.status).toBe('failed');
    expect(said(result(before, '06.system-assigned-on'))).toContain('labvm has no system-assigned identity');
    expect(result(before, '06.system-token').status).toBe('skip');

    await world.solve('06');
    const after = await grade06();
    expect(failed(after)).toEqual([]);
    expect(after.status).toBe('passed');
    expect(JSON.stringify(after)).not.toMatch(/eyJ[\w-]+\.eyJ/);
    // The VM program of the starter still has its TODO: the key check says so (lab 04, passed
    // above with nothing changed since, is given from here on: its program is not run again).
    const starterVm = await grade06Alone(lab06.vmProgram!.starter);
    expect(said(result(starterVm, '06.system-token'))).toContain("systemToken still throws the starter's TODO");
    // Run again, the solution changes nothing and still passes (a Reader once, a new throwaway gone again).
    await world.solve('06');
    expect((await grade06Alone()).status).toBe('passed');
  }, 90_000);
});

describe('lab 06 mistakes', () => {
  it('identities replaced instead of added: type SystemAssigned alone drops the user-assigned ones', async () => {
    await learner.compute.virtualMachines.update(world.names.resourceGroup, world.names.vm, { identity: { type: 'SystemAssigned' } });
    const report = await grade06();
    // Lab 03's identity is gone from the VM, so lab 04 is not done any more: the one check that
    // runs anyway says why.
    expect(said(result(report, '06.lab-04-done'))).toContain('lab 04 is not done');
    const check = result(report, '06.user-assigned-kept');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('id-milab-ada and id-milab-ada-app are not attached to labvm');
    expect(said(check)).toContain('replaced instead of added');
    expect(said(check)).toContain('az vm identity assign -g DevTest -n labvm --identities');
    expect(said(check)).toContain("type: 'SystemAssigned, UserAssigned'");
  }, 60_000);

  it('system identity turned off again by a later PUT', async () => {
    const oldPrincipal = await part1();
    const current = await getVm();
    // A PUT of the VM whose type names only UserAssigned (as lab 03's code would send it).
    await learner.compute.virtualMachines.createOrUpdate(world.names.resourceGroup, world.names.vm, {
      ...current,
      identity: { type: 'UserAssigned', userAssignedIdentities: Object.fromEntries(Object.keys(current.identity!.userAssignedIdentities!).map((id) => [id, {}])) },
    });
    const report = await grade06Alone();
    const check = result(report, '06.system-assigned-on');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('labvm has no system-assigned identity');
    expect(said(check)).toContain(`assigned to principal ${oldPrincipal}, which no longer exists`);
    expect(said(check)).toContain('turned off again');
    expect(said(check)).toContain('az vm identity assign -g DevTest -n labvm --identities [system]');
    expect(said(check)).toContain('az role assignment delete --ids');
    // The PUT kept the user-assigned identities; with the system-assigned one off there is no change to judge.
    expect(result(report, '06.user-assigned-kept').status).toBe('skip');
  }, 60_000);

  it('turned off and on again: a new principal without Reader, the old one orphaned', async () => {
    const oldPrincipal = await part1();
    await learner.compute.virtualMachines.update(world.names.resourceGroup, world.names.vm, { identity: { type: 'UserAssigned' } });
    const on = await learner.compute.virtualMachines.update(world.names.resourceGroup, world.names.vm, { identity: { type: 'SystemAssigned, UserAssigned' } });
    expect(on.identity!.principalId).not.toBe(oldPrincipal);
    const check = result(await grade06Alone(), '06.reader-for-system');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain(`(principal ${on.identity!.principalId}) has no role assignment on resource group DevTest`);
    expect(said(check)).toContain('the identity on now is a new principal');
    expect(said(check)).toContain(`--assignee-object-id ${on.identity!.principalId}`);
  }, 60_000);

  it('Reader given to a user-assigned identity instead of the system-assigned one', async () => {
    await learner.compute.virtualMachines.update(world.names.resourceGroup, world.names.vm, { identity: { type: 'SystemAssigned, UserAssigned' } });
    const app = await learner.msi.userAssignedIdentities.get(world.names.resourceGroup, world.names.appIdentity);
    const wrong = await readerAt(world.names.resourceGroupScope, app.principalId!);
    const report = await grade06Alone();
    const check = result(report, '06.reader-for-system');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain(`was given to the user-assigned identity id-milab-ada-app (principal ${app.principalId})`);
    expect(said(check)).toContain("not to labvm's system-assigned identity");
    expect(said(check)).toContain(`az role assignment delete --ids ${wrong.id}`);
  }, 60_000);

  it("the throwaway VM's orphaned assignment left behind; removing it as the fix says passes", async () => {
    await part1();
    const gone = await throwaway();
    const undeleted = result(await grade06Alone(), '06.throwaway-deleted');
    expect(undeleted.status).toBe('fail');
    expect(said(undeleted)).toContain(`the throwaway VM labvm-temp still exists`);
    expect(said(undeleted)).toContain('az vm delete -g DevTest -n labvm-temp --yes');

    await learner.compute.virtualMachines.delete(world.names.resourceGroup, throwawayVmName(world.names));
    const report = await grade06Alone();
    expect(result(report, '06.throwaway-deleted').status).toBe('pass');
    const check = result(report, '06.no-orphaned-assignment');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain(`Reader for principal ${gone} at the VM labvm`);
    expect(said(check)).toContain('the system-assigned identity of the deleted labvm-temp');
    expect(said(check)).toContain('orphaned');
    const id = /az role assignment delete --ids (\S+)`/.exec(said(check))![1]!;
    await learner.authorization.roleAssignments.deleteById(id);
    const clean = await grade06Alone();
    expect(failed(clean)).toEqual([]);
  }, 60_000);

  it('the token asked for by client id: the user-assigned identity, not the system-assigned one', async () => {
    await part1();
    const source = readFileSync(vmSolution, 'utf8');
    const edited = source.replace('return getToken({ resource: ctx.armResource, endpoint: ctx.imdsEndpoint });', 'return getToken({ resource: ctx.armResource, clientId: ctx.clientId, endpoint: ctx.imdsEndpoint });');
    expect(edited).not.toBe(source);
    const file = join(vm.dir, 'lab06-client-id.ts');
    writeFileSync(file, edited.replace("'../../04-imds-token/solution/index.js'", `'${lab04.solution}'`));
    const check = result(await grade06Alone(file), '06.system-token');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('the token is for the user-assigned identity id-milab-ada');
    expect(said(check)).toContain('the request chose an identity by client_id');
    expect(said(check)).toContain('IMDS answers for the system-assigned identity when the VM has one');
  }, 60_000);
});

describe('lab 06 graded from a class snapshot', () => {
  /** What a learner reads of each result, without what differs from run to run (a token's fingerprint, times). */
  const readable = (report: GradeReport) =>
    report.results.map((r) => (r.status === 'fail' ? { id: r.id, status: r.status, found: r.found, expected: r.expected, fix: r.fix } : { id: r.id, status: r.status }));

  it('answers every read of the grader as the live context does, solved and with the orphan left', async () => {
    const graders = () => [createGrader06(vmSolution, grader04)];
    const both = async () => {
      const live = await createGraderContext({ config: world.config, env: world.env });
      const liveReport = (await gradeLabs(graders(), { ctx: live })).report;
      const snapshot = JSON.parse(JSON.stringify(await takeSnapshot({ config: world.config, env: world.env }))) as ClassSnapshot;
      const snap = createSnapshotContext(snapshot, { config: world.config, env: world.env, learnerObjectId: await live.learnerObjectId(), knownPrincipals: await live.knownPrincipals() });
      const snapReport = (await gradeLabs(graders(), { ctx: snap })).report;
      expect(readable(snapReport)).toEqual(readable(liveReport));
      return liveReport;
    };
    await part1();
    await throwaway();
    await learner.compute.virtualMachines.delete(world.names.resourceGroup, throwawayVmName(world.names));
    const orphaned = await both();
    expect(result(orphaned, '06.no-orphaned-assignment').status).toBe('fail');
    expect(result(orphaned, '06.system-token').status).toBe('pass');
  }, 90_000);
});
