// Lab 06 in a class that shares one subscription: the learner's resource group is the lab group,
// their VM is the one the instructor made there (vm-milab-<learner>), and they hold only what a
// class gives on it (Role Based Access Control Administrator under the Reader-to-service-principals
// condition, Managed Identity Contributor and Operator, Virtual Machine Contributor). Labs 01-06's
// solutions, run with the class principal's own sign-in, pass labs 04 and 06 graded together.
import { describe, expect, it } from 'vitest';
import { loadConfig, type ArmClients, type MilabConfig } from '@milab/core';
import { callPrincipalsAdmin, type ClassPrincipal } from '@milab/emulator';
import { createLabContext, findLab, labNames, prepareLab, type LabContext, type LabNames } from '@milab/labs';
import { pathToFileURL } from 'node:url';
import { createGrader04 } from '../04-imds-token.js';
import { createGrader06 } from '../06-system-assigned.js';
import { gradeLabs } from '../index.js';
import { failed, fixesWithoutTypeScript, grantOnGroup, type LabWorld, LEARNER, useLabWorld } from './support.js';

const GROUP = `rg-milab-cls-${LEARNER}`;
const VM = `vm-milab-${LEARNER}`;

let world: LabWorld;
let instructor: ArmClients;
let env: Record<string, string>;
let config: MilabConfig;
let names: LabNames;
let principal: ClassPrincipal;

useLabWorld({ reset: 'once' }, async (started) => {
  world = started;
  instructor = await world.as('instructor');
  const connection = world.emulator.connection();
  [principal] = (await callPrincipalsAdmin(connection, { ensure: [{ name: `cls-${LEARNER}`, displayName: `cls ${LEARNER}`, tags: { class: 'cls', learner: LEARNER } }] })).principals as [ClassPrincipal];
  env = {
    ...world.env,
    MILAB_MODE: 'shared',
    MILAB_RESOURCE_GROUP: GROUP,
    MILAB_VM_NAME: VM,
    AZURE_CLIENT_ID: principal.clientId,
    AZURE_CLIENT_SECRET: principal.clientSecret,
    AZURE_TENANT_ID: connection.tenantId,
  };
  config = loadConfig({ env });
  names = labNames(config, env);
  // As `milab class provision` does: the group, the learner's VM, the class's roles on the group.
  await instructor.resources.resourceGroups.createOrUpdate(GROUP, { location: names.location, tags: { workshop: 'milab', class: 'cls', learner: LEARNER } });
  await instructor.compute.virtualMachines.createOrUpdate(GROUP, VM, {
    location: names.location,
    hardwareProfile: { vmSize: 'Standard_B1s' },
    osProfile: { computerName: VM, adminUsername: 'azureuser', linuxConfiguration: { disablePasswordAuthentication: true } },
    networkProfile: { networkInterfaces: [{ id: `${names.resourceGroupScope}/providers/Microsoft.Network/networkInterfaces/${VM}-nic` }] },
  });
  await grantOnGroup(instructor, names, principal.objectId, ['Role Based Access Control Administrator', 'Managed Identity Contributor', 'Managed Identity Operator', 'Virtual Machine Contributor']);
});

/** Runs labs' setups and solutions as the class principal, in shared mode. */
async function solve(...ids: string[]): Promise<void> {
  for (const id of ids) {
    const lab = findLab(id);
    const ctx = await createLabContext(lab, { config, env, log: () => undefined });
    await prepareLab(lab, ctx);
    const { main } = (await import(pathToFileURL(lab.solution).href)) as { main: (ctx: LabContext) => Promise<void> };
    await main(ctx);
  }
}

describe('lab 06 in shared mode, as a class principal', () => {
  it("the solution's every step is allowed by the class's roles, and labs 04 and 06 pass graded together", async () => {
    await solve('01', '02', '03', '06');
    const vm = await instructor.compute.virtualMachines.get(GROUP, VM);
    expect(vm.identity?.type).toBe('SystemAssigned, UserAssigned');
    const lab04 = findLab('04');
    const grader04 = createGrader04(lab04.solution);
    const { report } = await gradeLabs([grader04, createGrader06(findLab('06').vmProgram!.solution, grader04)], { config, env });
    expect(fixesWithoutTypeScript(report)).toEqual([]);
    expect(failed(report)).toEqual([]);
    expect(report.status).toBe('passed');
    // Reader at the learner's own group, for the system-assigned identity; the orphan removed.
    const assignments: { scope?: string; principalId?: string }[] = [];
    for await (const a of instructor.authorization.roleAssignments.listForResourceGroup(GROUP)) assignments.push(a);
    expect(assignments.some((a) => a.principalId === vm.identity?.principalId && a.scope?.toLowerCase() === names.resourceGroupScope.toLowerCase())).toBe(true);
    expect(assignments.filter((a) => a.scope?.toLowerCase() === names.vmId.toLowerCase())).toEqual([]);
  }, 120_000);
});
