#!/usr/bin/env -S node --conditions=source --import tsx
// Grader for lab 03: the identity is attached to the lab VM as a user-assigned identity, and the
// identity the VM already used (lab 03's setup attaches id-milab-<learner>-app) is still
// attached. Tells a system-assigned identity turned on instead, and a replacing PUT that
// detached the other identity, apart from "not attached". Reads only.
// Run alone: node --conditions=source --import tsx graders/03-attach-to-vm.ts [--json] [--junit FILE]
import { fail, pass, skip, type Check } from '@milab/grading';
import { sameArmId, type LabNames } from '@milab/labs';
import grader02 from './02-grant-reader.js';
import { lastSegment, type GraderContext, type VmView } from './lib/context.js';
import { defineGrader, labDone } from './lib/grader.js';
import { runGraderIfMain } from './lib/main.js';

/** The az command that adds a user-assigned identity to the VM (it keeps those already there). */
export function assignCommand(names: LabNames, identityId: string): string {
  return `az vm identity assign -g ${names.resourceGroup} -n ${names.vm} --identities ${identityId}`;
}

function attachedIds(vm: VmView): string {
  return vm.userAssigned.map(lastSegment).join(', ') || 'none';
}

const identityAttached: Check<GraderContext> = {
  id: '03.identity-attached',
  title: 'The identity is attached to the VM as a user-assigned identity',
  weight: 2,
  dependsOn: ['03.lab-02-done'],
  async run(ctx) {
    const { names } = ctx;
    const identity = await ctx.identity();
    if (!identity) return skip({ reason: `the identity ${names.identity} does not exist (lab 01)` });
    const vm = await ctx.vm();
    if (!vm) {
      return fail({
        found: `no VM named ${names.vm} in resource group ${names.resourceGroup}`,
        expected: `the lab VM ${names.vm}`,
        fix:
          names.target === 'emulator'
            ? 'The emulator seeds it: `pnpm milab emulator reset` brings it back (and resets every lab).'
            : `Create the lab VM, or name yours with MILAB_VM_NAME (see \`pnpm milab start\`).`,
      });
    }
    if (vm.userAssigned.some((id) => sameArmId(id, identity.id))) return pass({ details: `${vm.name}: ${vm.identityType}, user-assigned: ${attachedIds(vm)}` });
    const sameName = vm.userAssigned.find((id) => lastSegment(id).toLowerCase() === identity.name.toLowerCase());
    const assign = `\`${assignCommand(names, identity.id)}\``;
    if (sameName) {
      return fail({
        found: `${vm.name} has an identity named ${identity.name} attached, but another one: ${sameName}`,
        expected: `the identity ${identity.id}`,
        fix: `Attach the one in ${names.resourceGroup}: ${assign}.`,
      });
    }
    if (/SystemAssigned/i.test(vm.identityType)) {
      return fail({
        found: `${vm.name} has a system-assigned identity (principal ${vm.systemPrincipalId ?? 'unknown'}), and ${identity.name} is not attached (user-assigned: ${attachedIds(vm)}): the system-assigned identity was turned on instead`,
        expected: `${identity.name} attached as a user-assigned identity (Portal: Identity > User assigned > Add)`,
        fix: `Attach it: ${assign}. If nothing uses the system-assigned identity, turn it off: \`az vm identity remove -g ${names.resourceGroup} -n ${names.vm} --identities [system]\`.`,
      });
    }
    return fail({
      found: `${identity.name} is not attached to ${vm.name} (identity type ${vm.identityType}, user-assigned: ${attachedIds(vm)})`,
      expected: `${identity.name} among ${vm.name}'s user-assigned identities`,
      fix: `Attach it: ${assign}, or complete labs/03-attach-to-vm/starter/index.ts and run it (see the lab README).`,
    });
  },
};

const otherIdentitiesKept: Check<GraderContext> = {
  id: '03.other-identities-kept',
  title: "The VM's other identity is still attached",
  dependsOn: ['03.lab-02-done'],
  async run(ctx) {
    const { names } = ctx;
    const app = await ctx.identityNamed(names.appIdentity);
    if (!app) {
      return skip({ reason: `lab 03 is not prepared: the identity ${names.appIdentity}, which the VM already uses, does not exist. Run \`pnpm milab start\` to prepare it` });
    }
    const vm = await ctx.vm();
    if (!vm) return skip({ reason: `there is no VM ${names.vm}` });
    if (vm.userAssigned.some((id) => sameArmId(id, app.id))) return pass({ details: `${app.name} is still attached` });
    return fail({
      found: `${app.name}, which ${vm.name} already used, is no longer attached (user-assigned now: ${attachedIds(vm)}): a request replaced the VM's identity set instead of adding to it, the app on the VM has lost its identity`,
      expected: `${app.name} still attached next to ${names.identity}`,
      fix: `Attach it again: \`${assignCommand(names, app.id)}\`. Next time add identities with \`az vm identity assign\`, a PATCH (SDK \`virtualMachines.update\`), or a PUT whose userAssignedIdentities lists every identity already attached.`,
    });
  },
};

export const checks: readonly Check<GraderContext>[] = [labDone('03.lab-02-done', grader02), identityAttached, otherIdentitiesKept];

export const grader = defineGrader('03', checks, identityAttached.id);
export default grader;

await runGraderIfMain(import.meta.url, grader);
