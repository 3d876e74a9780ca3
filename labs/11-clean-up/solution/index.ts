// Lab 11 — clean up without orphans. Everything labs 01–10 made for you carries the workshop's
// tags (workshop=milab, learner=<you>, lab=NN: @milab/core's labTags): find it by them, never by
// its name (id-milab-<learner>-reports looks like yours and is not: it has no milab tags), and
// remove it in the order that leaves nothing behind:
//   1. the role assignments of every principal that goes (the identities, the VM's system-assigned
//      identity, the container groups'), and those on the resources that go (the vault's):
//      Azure does not remove a role assignment when its principal is deleted — it stays, naming
//      a principal that no longer exists ("Identity not found" in the Portal);
//   2. the container groups: a container group's identity changes only by redeploying the whole
//      group (a PUT, which restarts its containers: Learn, "Update containers in Azure Container
//      Instances"), so deleting the group is what detaches it — and deletes its system-assigned
//      identity with it;
//   3. the VM's identities detached (the lab VM is the lab's, not yours: it stays);
//   4. the identities;
//   5. the vault, then the soft-deleted vault purged (its name is global and held until then).
// Running it again finds nothing to do. The reference solution (`./milab solve 11` runs it).
import { setTimeout as sleep } from 'node:timers/promises';
import { armRequest, isLearnersOwn, isMilabError } from '@milab/core';
import { runLab, sameArmId, type LabContext } from '@milab/labs';
import { CONTAINER_API_VERSION, CONTAINER_GROUP_TYPE, deletedVaultPath, VAULT_API_VERSION } from '../names.js';

const IDENTITY_TYPE = 'Microsoft.ManagedIdentity/userAssignedIdentities';
const VAULT_TYPE = 'Microsoft.KeyVault/vaults';
const VM_TYPE = 'Microsoft.Compute/virtualMachines';

interface Yours {
  id: string;
  name: string;
  type: string;
  location: string;
  /** The system-assigned identity's principal, when it has one. */
  systemPrincipalId: string | undefined;
}

const ofType = (r: Yours, type: string) => r.type.toLowerCase() === type.toLowerCase();
const groupOf = (id: string) => /\/resourceGroups\/([^/]+)/i.exec(id)?.[1] ?? '';
/** Whether `scope` is `parent` or below it. */
const within = (scope: string, parent: string) => sameArmId(scope, parent) || scope.toLowerCase().startsWith(`${parent.toLowerCase().replace(/\/+$/, '')}/`);

/** What is tagged as yours: in the subscription, or in a class your resource group. */
async function yours({ clients, names }: LabContext): Promise<Yours[]> {
  const list = names.mode === 'shared' ? clients.resources.resources.listByResourceGroup(names.resourceGroup) : clients.resources.resources.list();
  const found: Yours[] = [];
  for await (const r of list) {
    if (!isLearnersOwn(r.tags, names.learnerId)) continue;
    found.push({ id: r.id ?? '', name: r.name ?? '', type: r.type ?? '', location: r.location ?? names.location, systemPrincipalId: r.identity?.principalId });
  }
  return found;
}

export async function main(ctx: LabContext): Promise<void> {
  const { clients, names, log } = ctx;
  const mine = await yours(ctx);
  log(`tagged as yours (workshop=milab, learner=${names.learnerId}): ${mine.map((r) => r.name).join(', ') || 'nothing'}`);
  const identities = mine.filter((r) => ofType(r, IDENTITY_TYPE));
  const groups = mine.filter((r) => ofType(r, CONTAINER_GROUP_TYPE));
  const vaults = mine.filter((r) => ofType(r, VAULT_TYPE));

  // The principals that go: your identities', the system-assigned ones of what you delete, and
  // the lab VM's system-assigned identity (lab 06 turned it on; it is turned off below).
  const principals = new Set<string>();
  for (const identity of identities) {
    const { principalId } = await clients.msi.userAssignedIdentities.get(groupOf(identity.id), identity.name);
    if (principalId) principals.add(principalId.toLowerCase());
  }
  for (const r of mine) if (r.systemPrincipalId) principals.add(r.systemPrincipalId.toLowerCase());
  const vm = await clients.compute.virtualMachines.get(names.resourceGroup, names.vm).catch((error: unknown) => {
    if (isMilabError(error) && error.code === 'ResourceNotFound') return undefined;
    throw error;
  });
  const vmIsYours = vm !== undefined && mine.some((r) => sameArmId(r.id, vm.id));
  if (vm?.identity?.principalId) principals.add(vm.identity.principalId.toLowerCase());

  // 1. Role assignments first, while their principals still exist (and the Portal still names them).
  const assignments = names.mode === 'shared' ? clients.authorization.roleAssignments.listForResourceGroup(names.resourceGroup) : clients.authorization.roleAssignments.listForSubscription();
  const doomed: { id: string; principalId: string; scope: string }[] = [];
  for await (const a of assignments) {
    const onWhatGoes = mine.some((r) => within(a.scope ?? '', r.id));
    if (principals.has((a.principalId ?? '').toLowerCase()) || onWhatGoes) doomed.push({ id: a.id ?? '', principalId: a.principalId ?? '', scope: a.scope ?? '' });
  }
  for (const a of doomed) {
    try {
      await clients.authorization.roleAssignments.deleteById(a.id);
      log(`role assignment removed: principal ${a.principalId} at ${a.scope}`);
    } catch (error) {
      // In a class your role may remove Reader only; one on the vault goes with the vault (step 5).
      const onVault = vaults.some((v) => within(a.scope, v.id));
      if (!(onVault && isMilabError(error) && error.code === 'AuthorizationFailed')) throw error;
      log(`role assignment on the vault left to go with it: principal ${a.principalId} at ${a.scope}`);
    }
  }

  // 2. The container groups (their identities go with them).
  for (const group of groups) {
    await clients.resources.resources.beginDeleteByIdAndWait(group.id, CONTAINER_API_VERSION);
    log(`container group ${group.name} deleted (with its identity block)`);
  }

  // 3. The VM's identities: yours detached, its system-assigned one off. What is not yours stays.
  if (vm && !vmIsYours && vm.identity && vm.identity.type !== 'None') {
    const attached = Object.keys(vm.identity.userAssignedIdentities ?? {});
    // Yours, or an identity deleted while still attached (the VM keeps naming it).
    const goes = new Set<string>();
    for (const id of attached) if (identities.some((i) => sameArmId(i.id, id)) || !(await identityExists(ctx, id))) goes.add(id);
    const keep = attached.filter((id) => !goes.has(id));
    const drop = attached.filter((id) => goes.has(id));
    // A PATCH: `null` takes one identity off; a type without SystemAssigned turns that one off.
    await clients.compute.virtualMachines.update(names.resourceGroup, names.vm, {
      identity: keep.length > 0 ? { type: 'UserAssigned', userAssignedIdentities: Object.fromEntries(drop.map((id) => [id, null])) as never } : { type: 'None' },
    });
    log(`${names.vm}: detached ${drop.length} identit${drop.length === 1 ? 'y' : 'ies'}${vm.identity.principalId ? ', system-assigned identity off' : ''}${keep.length > 0 ? `; kept ${keep.join(', ')}` : ''}`);
  }

  // 4. The identities, now that nothing names them.
  for (const identity of identities) {
    await clients.msi.userAssignedIdentities.delete(groupOf(identity.id), identity.name);
    log(`identity ${identity.name} deleted`);
  }

  // 5. The vault: deleted, it is only soft-deleted and keeps its name (and the role assignments
  //    on it go: Learn, "Azure Key Vault soft-delete overview"); then purged.
  for (const vault of vaults) {
    await clients.resources.resources.beginDeleteByIdAndWait(vault.id, VAULT_API_VERSION);
    log(`vault ${vault.name} deleted (soft-deleted: its name is still taken)`);
  }
  // In a class the instructor purges (`milab class teardown`): listing and purging deleted vaults
  // are subscription-wide rights over every learner's, which a class learner does not hold.
  if (names.mode === 'shared') {
    if (vaults.length > 0) log('in a class the instructor purges the deleted vault (`./milab class teardown`)');
  } else await purgeDeletedVaults(ctx);

  // Anything else tagged as yours (lab 06's throwaway VM, if it is still there; your own VM on Azure).
  for (const r of mine.filter((r) => ofType(r, VM_TYPE))) {
    await clients.compute.virtualMachines.beginDeleteAndWait(groupOf(r.id), r.name);
    log(`VM ${r.name} deleted`);
  }
  const other = mine.filter((r) => ![IDENTITY_TYPE, CONTAINER_GROUP_TYPE, VAULT_TYPE, VM_TYPE].some((type) => ofType(r, type)));
  for (const r of other) log(`left for you to delete: ${r.id} (a ${r.type}: \`az resource delete --ids ${r.id}\`)`);
}

/** Whether the user-assigned identity with this ARM id still exists. */
async function identityExists({ clients }: LabContext, id: string): Promise<boolean> {
  try {
    await clients.msi.userAssignedIdentities.get(groupOf(id), id.split('/').pop() ?? '');
    return true;
  } catch (error) {
    if (isMilabError(error) && error.code === 'ResourceNotFound') return false;
    throw error;
  }
}

/** Purges every soft-deleted vault of yours (not under purge protection: that one waits out its retention). */
async function purgeDeletedVaults(ctx: LabContext): Promise<void> {
  const { clients, names, log } = ctx;
  const deleted = await armRequest<{ value?: { name?: string; properties?: { location?: string; tags?: Record<string, string>; purgeProtectionEnabled?: boolean; scheduledPurgeDate?: string } }[] }>(clients.context, {
    path: `/subscriptions/${names.subscriptionId}/providers/Microsoft.KeyVault/deletedVaults`,
    apiVersion: VAULT_API_VERSION,
  });
  for (const d of deleted.body?.value ?? []) {
    if (!d.name || !isLearnersOwn(d.properties?.tags, names.learnerId)) continue;
    const location = d.properties?.location ?? names.location;
    try {
      const purge = await armRequest(clients.context, { method: 'POST', path: `${deletedVaultPath(names, location, d.name)}/purge`, apiVersion: VAULT_API_VERSION });
      // Azure purges in the background (202): the name is free once the deleted vault is gone.
      if (purge.status === 202) await untilPurged(ctx, location, d.name);
      log(`deleted vault ${d.name} purged: its name is free`);
    } catch (error) {
      if (isMilabError(error) && error.code === 'MethodNotAllowed' && d.properties?.purgeProtectionEnabled) {
        log(`deleted vault ${d.name} has purge protection: nobody can purge it; it holds its name until ${d.properties.scheduledPurgeDate ?? 'its retention ends'}`);
      } else throw error;
    }
  }

}

/** Waits until the deleted vault is gone (Azure's purge runs in the background). */
async function untilPurged({ clients, names }: LabContext, location: string, name: string): Promise<void> {
  for (let wait = 2_000; ; wait = Math.min(wait * 2, 30_000)) {
    try {
      await armRequest(clients.context, { path: deletedVaultPath(names, location, name), apiVersion: VAULT_API_VERSION });
    } catch (error) {
      if (isMilabError(error) && error.code === 'ResourceNotFound') return;
      throw error;
    }
    await sleep(wait);
  }
}

await runLab(import.meta.url, main);
