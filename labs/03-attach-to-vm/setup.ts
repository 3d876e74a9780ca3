// Lab 03's starting state: the VM already runs an app with its own user-assigned identity
// (id-milab-<learner>-app), as VMs in use do. Attaching the learner's identity must keep it;
// the grader checks that it is still there. Run by `./milab start` when lab 03 is next and by
// `./milab solve 03`, as the learner. Idempotent, and it never re-attaches an identity that
// exists already: that would hide a replacing PUT from the grader.
import { isMilabError, labTags } from '@milab/core';
import type { LabContext } from '../src/context.js';

/** Creates the app identity and attaches it to the VM, unless it exists already. Returns what it did. */
export async function setup({ clients, names, config }: Pick<LabContext, 'clients' | 'names' | 'config'>): Promise<string | undefined> {
  try {
    await clients.msi.userAssignedIdentities.get(names.resourceGroup, names.appIdentity);
    return undefined;
  } catch (error) {
    if (!(isMilabError(error) && error.code === 'ResourceNotFound')) throw error;
  }
  const app = await clients.msi.userAssignedIdentities.createOrUpdate(names.resourceGroup, names.appIdentity, {
    location: names.location,
    tags: { ...labTags(config.learnerId, '03'), purpose: 'existing-app' },
  });
  // A PATCH that adds the app's identity: whatever the VM has already stays (a system-assigned
  // identity too, which the type must keep naming).
  const vm = await clients.compute.virtualMachines.get(names.resourceGroup, names.vm);
  const keepSystem = /SystemAssigned/i.test(vm.identity?.type ?? '');
  await clients.compute.virtualMachines.update(names.resourceGroup, names.vm, {
    identity: { type: keepSystem ? 'SystemAssigned, UserAssigned' : 'UserAssigned', userAssignedIdentities: { [app.id ?? '']: {} } },
  });
  return `the VM ${names.vm} already runs an app with the identity ${names.appIdentity}: keep it attached when you attach yours.`;
}
