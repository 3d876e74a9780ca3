// Lab 06 — the system-assigned identity's lifecycle, in two parts. Part 1: turn on the lab VM's
// system-assigned identity beside its user-assigned ones and grant it Reader on the lab resource
// group (its token, on the VM, is vm.ts). Part 2: a throwaway VM whose system-assigned identity
// gets a role, then the VM deleted: its identity goes with it, the role assignment stays behind,
// orphaned, and is removed. The reference solution (`./milab solve 06` runs it).
import { randomUUID } from 'node:crypto';
import { isMilabError } from '@milab/core';
import { ROLE_IDS, roleDefinitionId, runLab, type LabContext } from '@milab/labs';

/** Grants Reader at `scope` to a principal (a managed identity: a ServicePrincipal); once is enough. */
async function grantReader({ clients, names, log }: LabContext, scope: string, principalId: string): Promise<void> {
  try {
    const assignment = await clients.authorization.roleAssignments.create(scope, randomUUID(), {
      roleDefinitionId: roleDefinitionId(names.subscriptionId, ROLE_IDS.Reader),
      principalId,
      principalType: 'ServicePrincipal',
    });
    log(`Reader at ${scope} for principal ${principalId}: role assignment ${assignment.name}`);
  } catch (error) {
    // The same principal, role and scope can be assigned only once: running this again is fine.
    if (isMilabError(error) && error.code === 'RoleAssignmentExists') log(`Reader at ${scope} for principal ${principalId} was already there.`);
    else throw error;
  }
}

export async function main(ctx: LabContext): Promise<void> {
  const { clients, names, tags, log } = ctx;
  const { resourceGroup } = names;

  // Part 1. The identity block names both kinds: a type that leaves one out removes it (without
  // UserAssigned the user-assigned identities are detached; without SystemAssigned the system one
  // is deleted). `update` is a PATCH: the user-assigned identities already there stay.
  const before = await clients.compute.virtualMachines.get(resourceGroup, names.vm);
  const userAssigned = Object.keys(before.identity?.userAssignedIdentities ?? {});
  log(`${names.vm}: identity type ${before.identity?.type ?? 'None'}, user-assigned: ${userAssigned.join(', ') || 'none'}`);
  const vm = await clients.compute.virtualMachines.update(resourceGroup, names.vm, {
    identity: { type: userAssigned.length > 0 ? 'SystemAssigned, UserAssigned' : 'SystemAssigned' },
  });
  const systemPrincipal = vm.identity?.principalId ?? '';
  log(`${names.vm}: identity type ${vm.identity?.type}, system-assigned principal ${systemPrincipal}`);
  // The role goes to the system-assigned identity's own principal, not to a user-assigned one.
  await grantReader(ctx, names.resourceGroupScope, systemPrincipal);

  // Part 2. A throwaway VM (on Azure, create it with az: see the README) whose system-assigned
  // identity may read the lab VM.
  const tempName = `${names.vm}-temp`;
  if (names.target === 'emulator') {
    await clients.compute.virtualMachines.createOrUpdate(resourceGroup, tempName, {
      location: names.location,
      tags,
      identity: { type: 'SystemAssigned' },
      hardwareProfile: { vmSize: 'Standard_B1s' },
      storageProfile: { imageReference: { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: 'latest' } },
      osProfile: { computerName: tempName, adminUsername: 'azureuser', linuxConfiguration: { disablePasswordAuthentication: true } },
      networkProfile: { networkInterfaces: [{ id: `${names.resourceGroupScope}/providers/Microsoft.Network/networkInterfaces/${tempName}-nic` }] },
    });
  }
  let temp;
  try {
    temp = await clients.compute.virtualMachines.get(resourceGroup, tempName);
  } catch (error) {
    if (isMilabError(error) && error.code === 'ResourceNotFound') {
      throw new Error(`There is no VM ${tempName} in ${resourceGroup}: create it first (the README's az vm create), then run this again.`);
    }
    throw error;
  }
  const tempPrincipal = temp.identity?.principalId ?? '';
  log(`${tempName}: system-assigned principal ${tempPrincipal}`);
  await grantReader(ctx, names.vmId, tempPrincipal);

  // Deleting the VM deletes its system-assigned identity (its service principal): nothing can
  // sign in as it any more, and it cannot be brought back. Its role assignment is not deleted.
  await clients.compute.virtualMachines.delete(resourceGroup, tempName);
  log(`${tempName} deleted, and its system-assigned identity with it.`);

  // What is left at the lab VM's scope: an assignment whose principal exists nowhere any more
  // (the Portal lists it as "Identity not found"). Remove it.
  for await (const assignment of clients.authorization.roleAssignments.listForScope(names.vmId, { filter: `principalId eq '${tempPrincipal}'` })) {
    if (assignment.scope?.toLowerCase() !== names.vmId.toLowerCase()) continue;
    log(`Orphaned: ${assignment.id} (principal ${assignment.principalId}, which no longer exists). Removing it.`);
    await clients.authorization.roleAssignments.deleteById(assignment.id ?? '');
  }
}

await runLab(import.meta.url, main);
