// What the challenges' checks share: reading the roles a principal holds (through the grader's
// context, so a challenge reads exactly as `milab grade` does, live or from a snapshot), naming
// scopes and roles in the learner's terms, and running the inventory app against a VM's IMDS.
import { readConnection } from '@milab/common';
import type { MilabConfig } from '@milab/core';
import type { GraderContext } from '@milab/graders';
import { ROLE_IDS, sameArmId, type LabNames } from '@milab/labs';
import { runInventory, type InventoryResult } from './inventory.js';

/** A role a principal holds, named. */
export interface HeldRole {
  readonly assignmentId: string;
  readonly role: string;
  readonly roleGuid: string;
  readonly scope: string;
}

/** Every role assignment of `principalId` that the context can see, with the role's name. */
export async function rolesOf(ctx: GraderContext, principalId: string | undefined): Promise<HeldRole[]> {
  if (!principalId) return [];
  const mine = (await ctx.roleAssignments()).filter((a) => a.principalId === principalId.toLowerCase());
  return Promise.all(mine.map(async (a) => ({ assignmentId: a.id, role: (await ctx.role(a.roleGuid)).name, roleGuid: a.roleGuid, scope: a.scope })));
}

/** A scope in words. */
export function scopeWords(names: LabNames, scope: string): string {
  if (sameArmId(scope, names.subscriptionScope)) return 'the subscription';
  if (sameArmId(scope, names.resourceGroupScope)) return `resource group ${names.resourceGroup}`;
  return scope;
}

/** Roles in words: "Owner at the subscription, Reader at resource group rg". */
export function rolesWords(names: LabNames, roles: readonly HeldRole[]): string {
  return roles.length === 0 ? 'no role at all' : roles.map((r) => `${r.role} at ${scopeWords(names, r.scope)}`).join(', ');
}

/** Whether the roles are exactly one Reader at `scope`. */
export function exactlyReaderAt(roles: readonly HeldRole[], scope: string): boolean {
  return roles.length === 1 && roles[0]!.roleGuid === ROLE_IDS.Reader && sameArmId(roles[0]!.scope, scope);
}

/** The az command that deletes role assignments by id. */
export function deleteCommand(ids: readonly string[]): string {
  return `az role assignment delete --ids ${ids.join(' ')}`;
}

/** The az command that grants Reader at a scope to a managed identity's principal. */
export function grantReaderCommand(principalId: string, scope: string): string {
  return `az role assignment create --assignee-object-id ${principalId} --assignee-principal-type ServicePrincipal --role Reader --scope ${scope}`;
}

/**
 * The IMDS of VM `vm`: on the emulator the VM's own listener (from the emulator's connection file,
 * read now: a VM made a moment ago is there once its listener runs); on Azure `undefined`, the
 * real IMDS, which answers only on that VM.
 */
export function imdsOf(config: MilabConfig, vm: string): string | undefined | null {
  if (config.target !== 'emulator') return undefined;
  const vms = readConnection(config.paths.emulatorDir)?.vms ?? {};
  const found = Object.values(vms).find((v) => v.name.toLowerCase() === vm.toLowerCase() && v.resourceGroup.toLowerCase() === (config.resourceGroup ?? '').toLowerCase());
  return found?.imdsUrl ?? null;
}

/** Runs the inventory app once per context (every check that needs it shares the run). */
const runs = new WeakMap<GraderContext, Map<string, Promise<InventoryResult | 'no-vm'>>>();
function runsOf(ctx: GraderContext): Map<string, Promise<InventoryResult | 'no-vm'>> {
  let byVm = runs.get(ctx);
  if (!byVm) runs.set(ctx, (byVm = new Map()));
  return byVm;
}

/**
 * What the app got on VM `vm`, found before grading by running it there (on Azure: through Run
 * Command as the learner, vm-probe.ts): the checks of this context judge that run.
 */
export function seedInventory(ctx: GraderContext, vm: string, result: InventoryResult | 'no-vm'): void {
  runsOf(ctx).set(vm, Promise.resolve(result));
}

export function inventoryOn(ctx: GraderContext, vm: string): Promise<InventoryResult | 'no-vm'> {
  const byVm = runsOf(ctx);
  let run = byVm.get(vm);
  if (!run) {
    const endpoint = imdsOf(ctx.config, vm);
    run = endpoint === null ? Promise.resolve('no-vm' as const) : runInventory(ctx.config, endpoint);
    byVm.set(vm, run);
  }
  return run;
}

/** Why a token check could not run on Azure: this grading did not run the app on the VM. */
export const NOT_ON_THE_VM =
  'IMDS answers only on the VM itself: on Azure `./milab challenge submit` runs the app there through Run Command, signed in as you, and judges what it got; this grading did not (the other checks judge from anywhere)';
