// Lab 11's state as the grader reads it, through ARM as the grader (Reader): every resource in
// the learner's scope with its tags and identity block (the generic list: in the subscription, or
// in a class the learner's resource group), and the subscription's soft-deleted vaults. Once per
// grading context; in a class grade, from the class snapshot (graders/lib/snapshot.ts), which
// holds both lists for the whole class. The fix steps that need @milab/core's armRequest are
// written here too: the grader itself has a shebang and no dynamic import.
import { armRequest, createArmContext, isLearnersOwn } from '@milab/core';
import { CONTAINER_API_VERSION, CONTAINER_GROUP_TYPE, deletedVaultPath, VAULT_API_VERSION, type LabNames } from '@milab/labs';
import type { GraderContext } from './lib/context.js';
import type { Step } from './lib/fixes.js';
import type { SnapshotReads } from './lib/snapshot.js';

/** A resource as the generic list shows it. */
export interface ResourceView {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly location: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Whether it is tagged for this learner (workshop=milab, learner=<id>). */
  readonly yours: boolean;
  readonly systemPrincipalId: string | undefined;
  /** Ids of the user-assigned identities its identity block names. */
  readonly userAssigned: readonly string[];
}

/** A soft-deleted vault of the subscription. */
export interface DeletedVaultView {
  readonly name: string;
  readonly location: string;
  readonly yours: boolean;
  readonly deletionDate: string | undefined;
  readonly scheduledPurgeDate: string | undefined;
  readonly purgeProtection: boolean;
}

/** A resource as the generic list sends it: the fields the view reads. */
export interface RawResource {
  readonly id?: string;
  readonly name?: string;
  readonly type?: string;
  readonly location?: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly identity?: { readonly principalId?: string; readonly userAssignedIdentities?: Readonly<Record<string, unknown>> };
}
/** A soft-deleted vault as Vaults_ListDeleted sends it: the fields the view reads. */
export interface RawDeletedVault {
  readonly name?: string;
  readonly properties?: {
    readonly location?: string;
    readonly tags?: Readonly<Record<string, string>>;
    readonly deletionDate?: string;
    readonly scheduledPurgeDate?: string;
    readonly purgeProtectionEnabled?: boolean;
  };
}

/** The grader's view of a resource of the generic list, for the learner `names` names. */
function resourceView(r: RawResource, names: Pick<LabNames, 'learnerId'>): ResourceView {
  return Object.freeze({
    id: r.id ?? '',
    name: r.name ?? '',
    type: r.type ?? '',
    location: r.location ?? '',
    tags: Object.freeze({ ...(r.tags ?? {}) }),
    yours: isLearnersOwn(r.tags, names.learnerId),
    systemPrincipalId: r.identity?.principalId?.toLowerCase(),
    userAssigned: Object.freeze(Object.keys(r.identity?.userAssignedIdentities ?? {})),
  });
}

/** The grader's view of a soft-deleted vault, for the learner `names` names (its location, when ARM gives none: theirs). */
function deletedVaultView(d: RawDeletedVault, names: Pick<LabNames, 'learnerId' | 'location'>): DeletedVaultView {
  return Object.freeze({
    name: d.name ?? '',
    location: d.properties?.location ?? names.location,
    yours: isLearnersOwn(d.properties?.tags, names.learnerId),
    deletionDate: d.properties?.deletionDate,
    scheduledPurgeDate: d.properties?.scheduledPurgeDate,
    purgeProtection: d.properties?.purgeProtectionEnabled === true,
  });
}

/** Every item of an ARM list, following nextLink. */
async function listAll<T>(ctx: GraderContext, path: string, apiVersion: string): Promise<T[]> {
  const arm = createArmContext(ctx.config, { as: 'grader' });
  const items: T[] = [];
  let next: string | undefined = path;
  let first = true;
  while (next) {
    const { body }: { body: { value?: T[]; nextLink?: string } | undefined } = await armRequest<{ value?: T[]; nextLink?: string }>(arm, first ? { path: next, apiVersion } : { path: next });
    items.push(...(body?.value ?? []));
    next = body?.nextLink;
    first = false;
  }
  return items;
}

const resources = new WeakMap<GraderContext, Promise<readonly ResourceView[]>>();
const deletedVaults = new WeakMap<GraderContext, Promise<readonly DeletedVaultView[]>>();

/** Every resource in the learner's scope (the subscription; in shared mode the learner's group). */
export function resourcesInScope(ctx: GraderContext): Promise<readonly ResourceView[]> {
  let found = resources.get(ctx);
  if (!found) {
    const { names } = ctx;
    // A class grade's snapshot context holds every resource of the subscription with its tags and
    // identity block (one list for the class, graders/lib/snapshot.ts): the learner's scope from
    // it, no read per learner.
    const fromSnapshot = (ctx as Partial<SnapshotReads>).resourcesInScope;
    const path = names.mode === 'shared' ? `${names.resourceGroupScope}/resources` : `${names.subscriptionScope}/resources`;
    const raw = fromSnapshot ? fromSnapshot() : listAll<RawResource>(ctx, path, '2021-04-01');
    found = raw.then((list) => list.map((r) => resourceView(r, names)));
    resources.set(ctx, found);
  }
  return found;
}

/** The subscription's soft-deleted vaults. */
export function deletedVaultsOf(ctx: GraderContext): Promise<readonly DeletedVaultView[]> {
  let found = deletedVaults.get(ctx);
  if (!found) {
    const { names } = ctx;
    // In a class grade, from the snapshot's one list of the subscription's deleted vaults.
    const fromSnapshot = (ctx as Partial<SnapshotReads>).deletedVaultsInSubscription;
    const raw = fromSnapshot ? fromSnapshot() : listAll<RawDeletedVault>(ctx, `${names.subscriptionScope}/providers/Microsoft.KeyVault/deletedVaults`, VAULT_API_VERSION);
    found = raw.then((list) => list.map((d) => deletedVaultView(d, names)));
    deletedVaults.set(ctx, found);
  }
  return found;
}

const quote = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** Purges a soft-deleted vault (its name is free once it is gone). */
export function purgeVault(names: Pick<LabNames, 'subscriptionId'>, vault: Pick<DeletedVaultView, 'name' | 'location'>): Step {
  const path = `${deletedVaultPath(names, vault.location, vault.name)}/purge`;
  return {
    az: `az keyvault purge --name ${vault.name} --location ${vault.location}`,
    ts: `await armRequest(clients.context, { method: 'POST', path: ${quote(path)}, apiVersion: ${quote(VAULT_API_VERSION)} })`,
  };
}

/** Deletes a resource the generic list showed, the way its type is deleted. */
export function deleteResource(r: Pick<ResourceView, 'id' | 'name' | 'type' | 'location'>): Step {
  const group = /\/resourceGroups\/([^/]+)/i.exec(r.id)?.[1] ?? '';
  switch (r.type.toLowerCase()) {
    case 'microsoft.managedidentity/userassignedidentities':
      return { az: `az identity delete -g ${group} -n ${r.name}`, ts: `await clients.msi.userAssignedIdentities.delete(${quote(group)}, ${quote(r.name)})` };
    case 'microsoft.keyvault/vaults':
      return { az: `az keyvault delete --name ${r.name} --resource-group ${group}`, ts: `await clients.resources.resources.beginDeleteByIdAndWait(${quote(r.id)}, ${quote(VAULT_API_VERSION)})` };
    case CONTAINER_GROUP_TYPE.toLowerCase():
      return { az: `az container delete -g ${group} -n ${r.name} --yes`, ts: `await clients.resources.resources.beginDeleteByIdAndWait(${quote(r.id)}, ${quote(CONTAINER_API_VERSION)})` };
    case 'microsoft.compute/virtualmachines':
      return { az: `az vm delete -g ${group} -n ${r.name} --yes`, ts: `await clients.compute.virtualMachines.beginDeleteAndWait(${quote(group)}, ${quote(r.name)})` };
    default:
      return { az: `az resource delete --ids ${r.id}`, ts: `await clients.resources.resources.beginDeleteByIdAndWait(${quote(r.id)}, '<its api-version>')` };
  }
}
