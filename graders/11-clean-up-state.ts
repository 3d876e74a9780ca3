// Lab 11's state as the grader reads it, through ARM as the grader (Reader): every resource in
// the learner's scope with its tags and identity block (the generic list: in the subscription, or
// in a class the learner's resource group), and the subscription's soft-deleted vaults. Once per
// grading context. The fix steps that need @milab/core's armRequest are written here too: the
// grader itself has a shebang and no dynamic import.
import { armRequest, createArmContext, isLearnersOwn } from '@milab/core';
import { CONTAINER_API_VERSION, CONTAINER_GROUP_TYPE, deletedVaultPath, VAULT_API_VERSION, type LabNames } from '@milab/labs';
import type { GraderContext } from './lib/context.js';
import type { Step } from './lib/fixes.js';

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

interface RawResource {
  id?: string;
  name?: string;
  type?: string;
  location?: string;
  tags?: Record<string, string>;
  identity?: { principalId?: string; userAssignedIdentities?: Record<string, unknown> };
}
interface RawDeletedVault {
  name?: string;
  properties?: { location?: string; tags?: Record<string, string>; deletionDate?: string; scheduledPurgeDate?: string; purgeProtectionEnabled?: boolean };
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
    const path = names.mode === 'shared' ? `${names.resourceGroupScope}/resources` : `${names.subscriptionScope}/resources`;
    found = listAll<RawResource>(ctx, path, '2021-04-01').then((raw) =>
      raw.map((r) =>
        Object.freeze({
          id: r.id ?? '',
          name: r.name ?? '',
          type: r.type ?? '',
          location: r.location ?? '',
          tags: Object.freeze({ ...(r.tags ?? {}) }),
          yours: isLearnersOwn(r.tags, names.learnerId),
          systemPrincipalId: r.identity?.principalId?.toLowerCase(),
          userAssigned: Object.freeze(Object.keys(r.identity?.userAssignedIdentities ?? {})),
        }),
      ),
    );
    resources.set(ctx, found);
  }
  return found;
}

/** The subscription's soft-deleted vaults. */
export function deletedVaultsOf(ctx: GraderContext): Promise<readonly DeletedVaultView[]> {
  let found = deletedVaults.get(ctx);
  if (!found) {
    const { names } = ctx;
    found = listAll<RawDeletedVault>(ctx, `${names.subscriptionScope}/providers/Microsoft.KeyVault/deletedVaults`, VAULT_API_VERSION).then((raw) =>
      raw.map((d) =>
        Object.freeze({
          name: d.name ?? '',
          location: d.properties?.location ?? names.location,
          yours: isLearnersOwn(d.properties?.tags, names.learnerId),
          deletionDate: d.properties?.deletionDate,
          scheduledPurgeDate: d.properties?.scheduledPurgeDate,
          purgeProtection: d.properties?.purgeProtectionEnabled === true,
        }),
      ),
    );
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
