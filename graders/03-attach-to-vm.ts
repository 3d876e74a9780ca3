#!/usr/bin/env -S node --conditions=source --import tsx
// Grader for lab 03: the identity is attached to the lab VM as a user-assigned identity — the
// identity as it is now, not one deleted and re-created since (a stale attachment) — and the
// identity the VM already used (lab 03's setup attaches id-milab-<learner>-app) is still
// attached. Tells a system-assigned identity turned on instead, and a replacing PUT that
// detached the other identity, apart from "not attached". Reads only.
// Run alone: node --conditions=source --import tsx graders/03-attach-to-vm.ts [--json] [--junit FILE]
import { fail, pass, skip, type Check } from '@milab/grading';
import { sameArmId, type LabNames } from '@milab/labs';
import grader02 from './02-grant-reader.js';
import { lastSegment, type AttachedIdentity, type GraderContext, type IdentityView, type VmView } from './lib/context.js';
import { attachIdentity, both, detachIdentity, turnOffSystemAssigned } from './lib/fixes.js';
import { defineGrader, labDone } from './lib/grader.js';
import { runGraderIfMain } from './lib/main.js';

/** The az command that adds a user-assigned identity to the VM (it keeps those already there). */
export function assignCommand(names: LabNames, identityId: string): string {
  return attachIdentity(names, undefined, identityId).az;
}

/** What the VM holds for an identity attached before it was deleted and re-created. */
export interface StaleAttachment {
  readonly attached: AttachedIdentity;
  readonly identity: IdentityView;
}

/**
 * The VM's entry for `identity` when it is stale: the VM lists the identity's id, but with
 * another principal or client id than the identity has now. Deleting an identity and creating
 * one with the same name gives a new principal and client id, and the VM keeps the ids it was
 * given when the old one was attached (IMDS then knows only those; the emulator does so — on
 * Azure unconfirmed). `undefined` when the entry is current, unknown or absent.
 */
export function staleAttachment(vm: VmView, identity: IdentityView): StaleAttachment | undefined {
  const attached = vm.userAssignedIdentities.find((entry) => sameArmId(entry.id, identity.id));
  if (attached === undefined) return undefined;
  const differs = (held: string | undefined, now: string | undefined) =>
    held !== undefined && now !== undefined && held.toLowerCase() !== now.toLowerCase();
  return differs(attached.principalId, identity.principalId) || differs(attached.clientId, identity.clientId) ? { attached, identity } : undefined;
}

/** "the VM's entry has principal P (client C); id-… now has principal P2 (client C2)". */
export function describeStale(vm: VmView, stale: StaleAttachment): string {
  const { attached, identity } = stale;
  return `${vm.name} holds ${identity.name} as it was before it was deleted and re-created: its entry on the VM has principal id ${attached.principalId ?? 'unknown'} (client id ${attached.clientId ?? 'unknown'}), while ${identity.name} now has principal id ${identity.principalId ?? 'unknown'} (client id ${identity.clientId ?? 'unknown'})`;
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
            ? 'The emulator seeds it: `./milab emulator reset` brings it back (and resets every lab).'
            : `Create the lab VM, or name yours with MILAB_VM_NAME (see \`./milab start\`).`,
      });
    }
    const assign = both(attachIdentity(names, vm, identity.id));
    const stale = staleAttachment(vm, identity);
    if (stale) {
      return fail({
        found: `${describeStale(vm, stale)}. IMDS on the VM knows only the old identity, so a token request with the new client id is refused ("Identity not found")`,
        expected: `${identity.name} attached as it is now: principal id ${identity.principalId ?? 'unknown'}, client id ${identity.clientId ?? 'unknown'}`,
        fix: `Detach the stale entry, then attach the identity again: ${both(detachIdentity(names, vm, identity.id))}, then ${assign}. (Re-run lab 02 too if you have not: the new principal needs its own Reader assignment.)`,
      });
    }
    if (vm.userAssigned.some((id) => sameArmId(id, identity.id))) return pass({ details: `${vm.name}: ${vm.identityType}, user-assigned: ${attachedIds(vm)}` });
    const sameName = vm.userAssigned.find((id) => lastSegment(id).toLowerCase() === identity.name.toLowerCase());
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
        fix: `Attach it: ${assign}. If nothing uses the system-assigned identity, turn it off: ${both(turnOffSystemAssigned(names, vm))}.`,
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
  // It holds before the learner did anything: it earns its point with the attachment.
  earnsWith: ['03.identity-attached'],
  async run(ctx) {
    const { names } = ctx;
    const app = await ctx.identityNamed(names.appIdentity);
    if (!app) {
      return skip({ reason: `lab 03 is not prepared: the identity ${names.appIdentity}, which the VM already uses, does not exist. Run \`./milab start\` to prepare it` });
    }
    const vm = await ctx.vm();
    if (!vm) return skip({ reason: `there is no VM ${names.vm}` });
    if (vm.userAssigned.some((id) => sameArmId(id, app.id))) return pass({ details: `${app.name} is still attached` });
    return fail({
      found: `${app.name}, which ${vm.name} already used, is no longer attached (user-assigned now: ${attachedIds(vm)}): a request replaced the VM's identity set instead of adding to it, the app on the VM has lost its identity`,
      expected: `${app.name} still attached next to ${names.identity}`,
      fix: `Attach it again: ${both(attachIdentity(names, vm, app.id))}. Next time add identities with a PATCH (what az vm identity assign sends; SDK \`virtualMachines.update\`), or a PUT whose userAssignedIdentities lists every identity already attached.`,
    });
  },
};

export const checks: readonly Check<GraderContext>[] = [labDone('03.lab-02-done', grader02), identityAttached, otherIdentitiesKept];

export const grader = defineGrader('03', checks, identityAttached.id);
export default grader;

await runGraderIfMain(import.meta.url, grader);
