// Lab 10, managed identity in Azure Container Instances: the starter leaves its grader failing,
// the solution passes it, and each named mistake — the identity not attached, the wrong client id
// (AZURE_CLIENT_ID in the container's environment naming another identity), the container group in
// another resource group — fails the right check with the right message. On an in-process emulator
// with labs 01-03 solved; lab 05's program (its solution, unchanged) and lab 10's vm.ts run in child
// processes "in" the emulated container groups, with the group's IMDS; the groups are made with the
// real ContainerInstanceManagementClient (the lab's solution) and changed with the real ARM clients.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ArmClients } from '@milab/core';
import { CONTAINER_API_VERSION, containerGroupId, containerGroupName, findLab, systemContainerGroupName, TodoError, type LabContext } from '@milab/labs';
import type { GradeReport } from '@milab/grading';
import { readAudit } from '@milab/emulator';
import { createGrader10 } from '../10-container-instances.js';
import { createSnapshotContext, GRADERS, gradeLabs, takeSnapshot } from '../index.js';
import { failed, type LabWorld, result, runTypeScriptSteps, said, useVmLabWorld, type VmLabWorld } from './support.js';

let vm: VmLabWorld;
let world: LabWorld;
let learner: ArmClients;
const lab10 = findLab('10');
const lab05 = findLab('05');
const lab04 = findLab('04');
// Lab 05's solution is the learner's program, unchanged, that runs in the group.
const grade10 = (vmProgram = lab10.vmProgram!.solution): Promise<GradeReport> => vm.grade(createGrader10(lab05.solution, vmProgram));

useVmLabWorld('lab10-', (started, as) => {
  vm = started;
  world = started.world;
  learner = as;
});

const USER_GROUP = () => containerGroupId(world.names, containerGroupName(world.names));

/** The group's body as ARM has it, with `change` made, PUT back (a container group's identity changes by a PUT of the whole group). */
async function replaceGroup(id: string, change: (body: Record<string, unknown> & { identity?: unknown; properties: { containers: { properties: Record<string, unknown> }[] } }) => void): Promise<void> {
  const body = (await learner.resources.resources.getById(id, CONTAINER_API_VERSION)) as never as Record<string, unknown> & { identity?: unknown; properties: { containers: { properties: Record<string, unknown> }[] } };
  change(body);
  const { location, tags, identity, properties } = body;
  const { osType, restartPolicy, containers } = properties as unknown as Record<string, unknown>;
  await learner.resources.resources.beginCreateOrUpdateByIdAndWait(id, CONTAINER_API_VERSION, { location, tags, ...(identity ? { identity } : {}), properties: { osType, restartPolicy, containers } } as never);
}

describe('lab 10', () => {
  it("is graded by `milab grade all`, after lab 09; the lab's group names are ones ACI accepts", () => {
    expect(GRADERS.findIndex((g) => g.lab.id === '10')).toBe(GRADERS.findIndex((g) => g.lab.id === '09') + 1);
    expect(lab10.vmProgram?.starter).toMatch(/10-container-instances[\\/]starter[\\/]vm\.ts$/);
    for (const names of [world.names, { ...world.names, learnerId: 'Ada-Lovelace' }]) {
      // ACI's rule for names: lowercase letters, digits and hyphens, up to 63.
      expect(systemContainerGroupName(names)).toMatch(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
    }
  });

  it('the starter throws its TODO and leaves the grader failing; the solution passes every check, lab 05 program unchanged', async () => {
    const ctx = await world.labContext('10');
    const { main: starter } = (await import(pathToFileURL(lab10.starter).href)) as { main: (ctx: LabContext) => Promise<void> };
    await expect(starter(ctx)).rejects.toBeInstanceOf(TodoError);
    const before = await grade10();
    expect(before.status).toBe('failed');
    expect(result(before, '10.lab-02-done').status).toBe('pass');
    expect(said(result(before, '10.group-in-lab-group'))).toContain(`there is no container group ${containerGroupName(world.names)}`);

    await world.solve('10');
    const starterRun = await grade10(lab10.vmProgram!.starter);
    expect(result(starterRun, '10.program-runs-in-group').status, said(result(starterRun, '10.program-runs-in-group'))).toBe('pass');
    expect(result(starterRun, '10.system-claims').status).toBe('fail');
    expect(said(result(starterRun, '10.system-claims'))).toContain('TODO: get the container group');

    const after = await grade10();
    expect(failed(after)).toEqual([]);
    expect(after.status).toBe('passed');
    const identity = await learner.msi.userAssignedIdentities.get(world.names.resourceGroup, world.names.identity);
    // ARM ids compare without case (the token's xms_mirid spells resourcegroups its own way).
    expect(said(result(after, '10.program-runs-in-group')).toLowerCase()).toContain(`xms_mirid ${identity.id!.toLowerCase()}`);
    expect(said(result(after, '10.system-claims'))).toContain(`the lab identity's is ${identity.principalId}`);
    expect(JSON.stringify(after)).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ/);
  }, 180_000);

  it('the identity not attached is named, and the fix the grader gives (TypeScript) attaches it', async () => {
    await world.solve('10');
    await replaceGroup(USER_GROUP(), (body) => {
      body.identity = { type: 'None' };
    });
    const report = await grade10();
    const check = result(report, '10.identity-attached');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('the identity not attached');
    expect(said(check)).toContain('identity type None');
    expect(result(report, '10.program-runs-in-group').status).toBe('skip');
    expect(check.status === 'fail' && (await runTypeScriptSteps(check.fix, learner))).toBe(1);
    const fixed = await grade10();
    expect(failed(fixed)).toEqual([]);
  }, 180_000);

  it('the wrong client id (AZURE_CLIENT_ID in the container names an identity the group does not have) is named: IMDS says "Identity not found"', async () => {
    await world.solve('10');
    const other = await learner.msi.userAssignedIdentities.createOrUpdate(world.names.resourceGroup, `${world.names.identity}-batch`, { location: world.names.location });
    await replaceGroup(USER_GROUP(), (body) => {
      body.properties.containers[0]!.properties.environmentVariables = [{ name: 'AZURE_CLIENT_ID', value: other.clientId }];
    });
    const report = await grade10();
    expect(result(report, '10.identity-attached').status).toBe('pass');
    const check = result(report, '10.program-runs-in-group');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('the wrong client id');
    expect(said(check)).toContain(`client id ${other.clientId} (${other.name})`);
    expect(said(check)).toContain("AZURE_CLIENT_ID in the container's environmentVariables".replace("the container's", `${containerGroupName(world.names)}'s container`));
    expect(said(check)).toContain('Identity not found');
  }, 180_000);

  it('the wrong client id in the program itself (lab 05 changed to ask for another identity) is named, with the fix to run it unchanged', async () => {
    await world.solve('10');
    const other = await learner.msi.userAssignedIdentities.createOrUpdate(world.names.resourceGroup, `${world.names.identity}-batch`, { location: world.names.location });
    // Lab 05's solution, changed: its getToken asks for id-milab-<learner>-batch's client id.
    let source = readFileSync(lab05.solution, 'utf8');
    const edited = source.replace('clientId: ctx.clientId,', `clientId: ${JSON.stringify(other.clientId)},`);
    expect(edited).not.toBe(source);
    source = edited.replace("from '../../04-imds-token/solution/index.js'", `from ${JSON.stringify(pathToFileURL(lab04.solution).href)}`);
    const program = join(vm.dir, 'lab05-other-client-id.ts');
    writeFileSync(program, source);
    const check = result(await vm.grade(createGrader10(program, lab10.vmProgram!.solution)), '10.program-runs-in-group');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain(`the wrong client id: the program asked IMDS for client id ${other.clientId} (${other.name})`);
    expect(said(check)).toContain('Identity not found');
    expect(said(check)).toContain("Run lab 05's program unchanged");
  }, 180_000);

  it('the wrong client id of another identity attached to the group is named: the token is that identity\'s', async () => {
    await world.solve('10');
    const other = await learner.msi.userAssignedIdentities.createOrUpdate(world.names.resourceGroup, `${world.names.identity}-batch`, { location: world.names.location });
    await replaceGroup(USER_GROUP(), (body) => {
      body.identity = { type: 'UserAssigned', userAssignedIdentities: { [world.names.identityId]: {}, [other.id!]: {} } };
      body.properties.containers[0]!.properties.environmentVariables = [{ name: 'AZURE_CLIENT_ID', value: other.clientId }];
    });
    const check = result(await grade10(), '10.program-runs-in-group');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('the wrong client id');
    expect(said(check)).toContain("IMDS gave that identity's token");
  }, 180_000);

  it('graded from a class snapshot, the container groups come from its one list: the same results as live', async () => {
    await world.solve('10');
    const graders = () => [createGrader10(lab05.solution, lab10.vmProgram!.solution)];
    const liveFrom = readAudit(world.stateDir).length;
    const live = (await gradeLabs(graders(), { config: world.config, env: world.env })).report;
    expect(readAudit(world.stateDir).slice(liveFrom).filter((e) => /containerGroups/i.test(e.path)).length).toBeGreaterThan(0);
    const reads: string[] = [];
    const snapshot = await takeSnapshot({ config: world.config, env: world.env, as: 'grader', onRead: (what) => reads.push(what) });
    expect(reads.filter((r) => /containerGroups/i.test(r))).toHaveLength(1);
    const before = readAudit(world.stateDir).length;
    const fromSnapshot = (await gradeLabs(graders(), { ctx: createSnapshotContext(JSON.parse(JSON.stringify(snapshot)) as typeof snapshot, { config: world.config, env: world.env }) })).report;
    // No container group read per learner: the grader took them from the snapshot.
    expect(readAudit(world.stateDir).slice(before).filter((e) => /containerGroups/i.test(e.path))).toEqual([]);
    expect(fromSnapshot.results.filter((r) => r.id.startsWith('10.')).map((r) => [r.id, r.status])).toEqual(live.results.filter((r) => r.id.startsWith('10.')).map((r) => [r.id, r.status]));
    expect(failed(fromSnapshot)).toEqual([]);
  }, 180_000);

  it('the container group in another resource group is named', async () => {
    await world.solve('10');
    const instructor = await world.as('instructor');
    await instructor.resources.resourceGroups.createOrUpdate('rg-elsewhere', { location: world.names.location });
    const body = (await learner.resources.resources.getById(USER_GROUP(), CONTAINER_API_VERSION)) as never as { location: string; identity: unknown; properties: Record<string, unknown> };
    const { osType, restartPolicy, containers } = body.properties;
    const elsewhere = USER_GROUP().replace(`/resourceGroups/${world.names.resourceGroup}/`, '/resourceGroups/rg-elsewhere/');
    await instructor.resources.resources.beginCreateOrUpdateByIdAndWait(elsewhere, CONTAINER_API_VERSION, { location: body.location, identity: body.identity, properties: { osType, restartPolicy, containers } } as never);
    await learner.resources.resources.beginDeleteByIdAndWait(USER_GROUP(), CONTAINER_API_VERSION);
    const report = await grade10();
    const check = result(report, '10.group-in-lab-group');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('the container group in another resource group');
    expect(said(check)).toContain(`is in rg-elsewhere, not in the lab resource group ${world.names.resourceGroup}`);
    expect(said(check)).toContain('az container delete --resource-group rg-elsewhere');
    expect(result(report, '10.program-runs-in-group').status).toBe('skip');
    // The other group is untouched by its name: ci-milab-<learner>-sys is still where it belongs.
    expect(result(report, '10.system-group').status).toBe('pass');
  }, 180_000);
});
