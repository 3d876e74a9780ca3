// Lab 03 — attach your identity to the lab VM as a user-assigned identity, keeping the
// identities the VM already has. Complete the TODO, then run (from the repository root):
//   node --conditions=source --import tsx labs/03-attach-to-vm/starter/index.ts
// and check your work with `./milab grade 03`. Stuck? `./milab hint 03`.
import { runLab, todo, type LabContext } from '@milab/labs';

export async function main({ clients, names, log }: LabContext): Promise<void> {
  const identity = await clients.msi.userAssignedIdentities.get(names.resourceGroup, names.identity);
  const vm = await clients.compute.virtualMachines.get(names.resourceGroup, names.vm);
  const attached = Object.keys(vm.identity?.userAssignedIdentities ?? {});
  log(`${vm.name}: identity type ${vm.identity?.type ?? 'None'}, user-assigned: ${attached.join(', ') || 'none'}`);
  log(`Attaching ${identity.id}`);
  // TODO: attach `identity.id` to the VM as a user-assigned identity with
  // `clients.compute.virtualMachines.update(resourceGroup, vmName, { identity: { … } })`.
  // Keep every identity already attached (and the system-assigned one, if the VM has it).
  todo('attach the identity with clients.compute.virtualMachines.update (labs/03-attach-to-vm/starter/index.ts)');
}

await runLab(import.meta.url, main);
