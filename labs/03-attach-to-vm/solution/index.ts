// Lab 03 — attach your identity to the lab VM as a user-assigned identity, keeping the
// identities the VM already has. The reference solution (`./milab solve 03` runs it).
import { runLab, type LabContext } from '@milab/labs';

export async function main({ clients, names, log }: LabContext): Promise<void> {
  const identity = await clients.msi.userAssignedIdentities.get(names.resourceGroup, names.identity);
  const vm = await clients.compute.virtualMachines.get(names.resourceGroup, names.vm);
  const attached = Object.keys(vm.identity?.userAssignedIdentities ?? {});
  log(`${vm.name}: identity type ${vm.identity?.type ?? 'None'}, user-assigned: ${attached.join(', ') || 'none'}`);
  log(`Attaching ${identity.id}`);
  // `update` is a PATCH: it merges into the user-assigned identities already there. They are
  // listed as well, so the request is safe even where it would replace the set. The type keeps a
  // system-assigned identity the VM may have: leaving it out would delete that identity.
  const keepSystem = /SystemAssigned/i.test(vm.identity?.type ?? '');
  const userAssignedIdentities = Object.fromEntries([...attached, identity.id ?? ''].map((id) => [id, {}]));
  const updated = await clients.compute.virtualMachines.update(names.resourceGroup, names.vm, {
    identity: { type: keepSystem ? 'SystemAssigned, UserAssigned' : 'UserAssigned', userAssignedIdentities },
  });
  log(`${updated.name}: identity type ${updated.identity?.type}, user-assigned: ${Object.keys(updated.identity?.userAssignedIdentities ?? {}).join(', ')}`);
}

await runLab(import.meta.url, main);
