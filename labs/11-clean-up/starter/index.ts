// Lab 11 — clean up without orphans. Remove everything labs 01–10 made for you, found by its tags
// (workshop=milab, learner=<you>), in an order that leaves nothing behind, and leave what is not
// yours (id-milab-<learner>-reports has no milab tags) as it is. Complete the TODOs, then run
// (from the repository root):
//   node --conditions=source --import tsx labs/11-clean-up/starter/index.ts
// and check your work with `./milab grade 11`. Stuck? `./milab hint 11`.
import { armRequest, isLearnersOwn } from '@milab/core';
import { runLab, todo, type LabContext } from '@milab/labs';
import { CONTAINER_API_VERSION, CONTAINER_GROUP_TYPE, deletedVaultPath, VAULT_API_VERSION } from '../names.js';

export async function main(ctx: LabContext): Promise<void> {
  const { clients, names, log } = ctx;
  // What is yours: tagged workshop=milab, learner=<you> (in a class, in your resource group).
  const list = names.mode === 'shared' ? clients.resources.resources.listByResourceGroup(names.resourceGroup) : clients.resources.resources.list();
  const mine: { id: string; name: string; type: string }[] = [];
  for await (const r of list) if (isLearnersOwn(r.tags, names.learnerId)) mine.push({ id: r.id ?? '', name: r.name ?? '', type: r.type ?? '' });
  log(`tagged as yours: ${mine.map((r) => `${r.name} (${r.type})`).join(', ') || 'nothing'}`);

  // TODO 1: which must go first so that nothing is left naming a principal that no longer exists?
  //   the role assignments of your identities (principalId), of the VM's system-assigned identity,
  //   of the container groups' — and those on your vault:
  //   for await (const a of clients.authorization.roleAssignments.listForSubscription()) … deleteById(a.id)
  // TODO 2: the container groups (type CONTAINER_GROUP_TYPE): their identity goes with them:
  //   await clients.resources.resources.beginDeleteByIdAndWait(id, CONTAINER_API_VERSION)
  // TODO 3: detach your identities from the VM names.vm, and turn its system-assigned one off:
  //   await clients.compute.virtualMachines.update(names.resourceGroup, names.vm, { identity: { type: <?> } })
  // TODO 4: delete your identities (clients.msi.userAssignedIdentities.delete).
  // TODO 5: delete the vault (VAULT_API_VERSION), then free its name — what does a deleted vault keep?
  //   await armRequest(clients.context, { method: 'POST', path: `${deletedVaultPath(names, location, name)}/purge`, apiVersion: VAULT_API_VERSION })
  void [armRequest, CONTAINER_API_VERSION, CONTAINER_GROUP_TYPE, deletedVaultPath, VAULT_API_VERSION];
  todo('remove what is yours in the right order (labs/11-clean-up/starter/index.ts)');
}

await runLab(import.meta.url, main);
