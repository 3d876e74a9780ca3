#!/usr/bin/env -S node --conditions=source --import tsx
// Grader for lab 11: the clean-up left nothing behind and took nothing that was not the learner's.
// Nothing tagged for the learner (workshop=milab, learner=<id>: @milab/core's labTags, what
// every lab puts on what it creates) is left in their scope; no role assignment the learner made
// names a principal that no longer exists (an identity deleted before its role assignments:
// Azure keeps them, "Identity not found"); no resource still names a deleted or workshop identity
// in its identity block, and the lab VM's system-assigned identity is off; no soft-deleted vault
// of the learner's holds its name; and the decoy (id-milab-<learner>-reports, untagged, with
// Reader on the group), the lab VM and the group are still there. Reads only.
// Lab 11 has no "lab 10 is done" check: once it is done, labs 01–10 find nothing, by design
// (`milab grade` then shows their results graded before the clean-up: packages/cli/src/cleanup-record.ts).
// Its prerequisite, `11.set-up`, is its own setup's marks: the decoy, or the lab VM's tag milab-lab11.
// Run alone: node --conditions=source --import tsx graders/11-clean-up.ts [--json] [--junit FILE]
import { fail, pass, skip, type Check, type CheckOutcome } from '@milab/grading';
import { DECOY_TAGS, decoyName, ROLE_IDS, sameArmId, SETUP_TAG, SETUP_TAG_VALUE, vaultName } from '@milab/labs';
import { deletedVaultsOf, deleteResource, purgeVault, resourcesInScope } from './11-clean-up-state.js';
import { atScope, type AssignmentView, type GraderContext } from './lib/context.js';
import { both, deleteAssignment, grantReaderAt } from './lib/fixes.js';
import { defineGrader } from './lib/grader.js';
import { runGraderIfMain } from './lib/main.js';

const IDENTITY_TYPE = 'microsoft.managedidentity/userassignedidentities';
const INDEX = 'labs/11-clean-up/starter/index.ts';

/** Where an assignment sits, in words. */
function whereIs(ctx: GraderContext, scope: string): string {
  if (sameArmId(scope, ctx.names.subscriptionScope)) return 'the subscription';
  if (sameArmId(scope, ctx.names.resourceGroupScope)) return `resource group ${ctx.names.resourceGroup}`;
  return scope.replace(/^.*\/providers\//, '');
}

/** The scopes where an orphan can be the learner's doing (as lab 02 judges them). */
function learnerScopes(ctx: GraderContext): string[] {
  return ctx.names.mode === 'shared' ? [ctx.names.resourceGroupScope] : [ctx.names.subscriptionScope];
}
const within = (scope: string, parent: string) => sameArmId(scope, parent) || scope.toLowerCase().startsWith(`${parent.toLowerCase().replace(/\/+$/, '')}/`);

/** The role names the labs use, else the GUID. */
async function roleName(ctx: GraderContext, a: AssignmentView): Promise<string> {
  return (await ctx.role(a.roleGuid)).name;
}

/**
 * Lab 11 has started: its setup made the decoy and tagged the lab VM (which stays). Without it a
 * learner who has not reached lab 11 would be graded on a clean-up not begun (and an instructor's
 * class grade would count it as everyone's mistake).
 */
const setUp: Check<GraderContext> = {
  id: '11.set-up',
  title: "Lab 11 is set up (its decoy made, the lab VM tagged milab-lab11)",
  role: 'prerequisite',
  async run(ctx): Promise<CheckOutcome> {
    const { names } = ctx;
    if ((await ctx.identityNamed(decoyName(names)))?.principalId) return pass({ details: `the decoy ${decoyName(names)} is there` });
    const vm = (await resourcesInScope(ctx)).find((r) => sameArmId(r.id, names.vmId));
    if (vm?.tags[SETUP_TAG] === SETUP_TAG_VALUE) return pass({ details: `the lab VM ${names.vm} carries ${SETUP_TAG}=${SETUP_TAG_VALUE}` });
    // Without the group the grader cannot tell "never made" from "deleted whole": it says both.
    const gone = (await ctx.resourceGroup()) ? '' : ` The resource group ${names.resourceGroup} is not there either: if you deleted it, the decoy and the lab VM went with it (they were not yours: a clean-up deletes what is tagged for you, never the whole group).`;
    return skip({
      reason: `lab 11 has not started here: its setup makes the decoy ${decoyName(names)} and tags the lab VM ${names.vm} ${SETUP_TAG}=${SETUP_TAG_VALUE}, and neither is there.${gone} Finish labs 01–10, then \`./milab start\` (with lab 11 next) or \`./milab solve 11\``,
    });
  },
};

const nothingTaggedLeft: Check<GraderContext> = {
  id: '11.nothing-tagged-left',
  title: 'Nothing tagged for you (workshop=milab, learner=<you>) is left',
  weight: 3,
  async run(ctx) {
    const left = (await resourcesInScope(ctx)).filter((r) => r.yours);
    if (left.length === 0) return pass({ details: `nothing tagged workshop=milab, learner=${ctx.names.learnerId} in ${ctx.names.mode === 'shared' ? `resource group ${ctx.names.resourceGroup}` : 'the subscription'}` });
    // An identity still holding role assignments: those go first, or they are left orphaned.
    const assignments = await ctx.roleAssignments();
    const identities = await Promise.all(left.filter((r) => r.type.toLowerCase() === IDENTITY_TYPE).map((r) => ctx.identityNamed(r.name)));
    const held = assignments.filter((a) => identities.some((i) => i?.principalId !== undefined && i.principalId === a.principalId));
    const first = held.length > 0 ? `First the role assignments of the identities (deleting an identity leaves them behind, orphaned): ${held.map((a) => both(deleteAssignment(a.id))).join(', ')}. Then ` : '';
    return fail({
      found: `${left.length} resource${left.length === 1 ? '' : 's'} tagged for you ${left.length === 1 ? 'is' : 'are'} still there: ${left.map((r) => `${r.name} (${r.type}, lab ${r.tags.lab ?? '?'})`).join(', ')}`,
      expected: `nothing tagged workshop=milab, learner=${ctx.names.learnerId}: every lab put those tags on what it made, and a clean-up removes exactly that (a resource left behind keeps costing money, and an identity keeps whatever it was granted)`,
      fix: `${first}${first ? 'delete' : 'Delete'} ${left.length === 1 ? 'it' : 'them'} (container groups before the identities they use, the VM's identities detached first): ${left.map((r) => both(deleteResource(r))).join(', ')}; or complete ${INDEX} and run it.`,
    });
  },
};

/** Role assignments in the learner's scopes, made by the learner, whose principal no longer exists. */
async function orphans(ctx: GraderContext): Promise<AssignmentView[]> {
  const [assignments, identities, resources, known, learner] = await Promise.all([
    ctx.roleAssignments(),
    ctx.identitiesInSubscription(),
    resourcesInScope(ctx),
    ctx.knownPrincipals(),
    ctx.learnerObjectId(),
  ]);
  const alive = new Set<string>([...identities.map((i) => i.principalId ?? ''), ...resources.map((r) => r.systemPrincipalId ?? ''), ...known.keys()]);
  if (learner) alive.add(learner);
  if (ctx.names.mode !== 'shared') for (const vm of await ctx.vmsInSubscription()) if (vm.systemPrincipalId) alive.add(vm.systemPrincipalId);
  return assignments.filter(
    (a) =>
      learnerScopes(ctx).some((scope) => within(a.scope, scope)) &&
      !alive.has(a.principalId) &&
      a.principalType !== 'User' &&
      // Another principal's orphan (a shared subscription holds other people's) is not the learner's to judge.
      (learner === undefined || a.createdBy === undefined || a.createdBy === learner),
  );
}

const noOrphans: Check<GraderContext> = {
  id: '11.no-orphaned-assignments',
  title: 'No role assignment you made names a principal that no longer exists',
  weight: 2,
  async run(ctx) {
    const left = await orphans(ctx);
    if (left.length === 0) return pass();
    const described = await Promise.all(left.map(async (a) => `${await roleName(ctx, a)} at ${whereIs(ctx, a.scope)} for principal ${a.principalId}`));
    return fail({
      found: `${described.join('; ')}: ${left.length === 1 ? 'its principal no longer exists' : 'their principals no longer exist'} — an identity was deleted before its role assignments were removed, and Azure does not remove them with it (the Portal lists them as "Identity not found")`,
      expected: 'role assignments removed first, while their principals still exist, so that none is left orphaned (orphans count against the subscription\'s limit of role assignments and confuse every access review; a new principal never reuses the old id, so they grant nothing, but nobody can tell what they were for)',
      fix: `Remove ${left.length === 1 ? 'it' : 'them'}: ${left.map((a) => both(deleteAssignment(a.id))).join(', ')}. Next time: role assignments first, then the identity.`,
    });
  },
};

const detached: Check<GraderContext> = {
  id: '11.identities-detached',
  title: "No resource still names a deleted or workshop identity, and the lab VM's system-assigned identity is off",
  weight: 1,
  async run(ctx) {
    const [resources, identities, vm] = await Promise.all([resourcesInScope(ctx), ctx.identitiesInSubscription(), ctx.vm()]);
    const exists = (id: string) => identities.some((i) => sameArmId(i.id, id));
    const workshop = (id: string) => resources.some((r) => r.yours && sameArmId(r.id, id));
    const problems: string[] = [];
    const fixes: string[] = [];
    // A resource of the learner's is deleted by 11.nothing-tagged-left: its identity block goes with it.
    for (const r of resources.filter((r) => !r.yours)) {
      const stale = r.userAssigned.filter((id) => !exists(id) || workshop(id));
      if (stale.length === 0) continue;
      problems.push(`${r.name} (${r.type}) still names ${stale.map((id) => `${id.split('/').pop()}${exists(id) ? '' : ' (deleted: the identity went before it was detached)'}`).join(', ')}`);
      const group = /\/resourceGroups\/([^/]+)/i.exec(r.id)?.[1] ?? '';
      if (r.type.toLowerCase() === 'microsoft.compute/virtualmachines') {
        fixes.push(
          both({
            az: `az vm identity remove -g ${group} -n ${r.name} --identities ${stale.join(' ')}`,
            ts: `await clients.compute.virtualMachines.update('${group}', '${r.name}', { identity: { type: 'None' } })`,
          }),
        );
      } else fixes.push(`recreate ${r.name} without ${stale.length === 1 ? 'it' : 'them'}, or delete it if it is yours`);
    }
    if (vm?.systemPrincipalId && !resources.some((r) => r.yours && sameArmId(r.id, vm.id))) {
      problems.push(`the lab VM ${vm.name} still has its system-assigned identity (principal ${vm.systemPrincipalId}), which lab 06 turned on`);
      fixes.push(
        both({
          az: `az vm identity remove -g ${ctx.names.resourceGroup} -n ${vm.name} --identities [system]`,
          ts: `await clients.compute.virtualMachines.update('${ctx.names.resourceGroup}', '${vm.name}', { identity: { type: 'None' } })`,
        }),
      );
    }
    if (problems.length === 0) return pass();
    return fail({
      found: problems.join('; '),
      expected: 'every identity the workshop attached detached before it was deleted (a VM naming a deleted identity keeps the dangling reference), and the VM back to the identities it had: its system-assigned identity off (its role assignments removed first)',
      fix: `${fixes.join('; ')}.`,
    });
  },
};

const vaultPurged: Check<GraderContext> = {
  id: '11.vault-purged',
  title: "No soft-deleted vault of yours holds its name",
  weight: 1,
  async run(ctx) {
    const name = vaultName(ctx.names);
    const held = (await deletedVaultsOf(ctx)).filter((d) => d.yours || d.name.toLowerCase() === name);
    const purgeable = held.filter((d) => !d.purgeProtection);
    const protectedOnes = held.filter((d) => d.purgeProtection);
    const waiting = protectedOnes.map((d) => `${d.name} has purge protection: nobody can purge it; it holds its name until ${d.scheduledPurgeDate ?? 'its retention ends'}`);
    if (purgeable.length === 0) return pass(waiting.length > 0 ? { details: waiting.join('; ') } : {});
    // In a class, purging is the instructor's: it is a subscription-wide right over every
    // learner's deleted vaults (packages/cli/src/class/roles.ts), which no learner holds.
    if (ctx.names.mode === 'shared') {
      return pass({ details: `${purgeable.map((d) => d.name).join(', ')} deleted and soft-deleted; in a class the instructor purges it (\`./milab class teardown\`)` });
    }
    return fail({
      found: `${purgeable.map((d) => `the vault ${d.name} was deleted${d.deletionDate ? ` (${d.deletionDate})` : ''} but not purged: it is soft-deleted, with its secrets, and holds its name until ${d.scheduledPurgeDate ?? 'its retention ends'}`).join('; ')}`,
      expected: 'the deleted vault purged: Key Vault names are global, so a soft-deleted vault keeps anyone (you, next time) from creating a vault of that name (409 "A vault with the same name already exists in deleted state")',
      fix: `Purge ${purgeable.length === 1 ? 'it' : 'them'}: ${purgeable.map((d) => both(purgeVault(ctx.names, d))).join(', ')} (armRequest from @milab/core).`,
    });
  },
};

const decoyKept: Check<GraderContext> = {
  id: '11.decoy-kept',
  title: 'What is not yours is untouched: the decoy, its Reader, the lab VM',
  weight: 1,
  async run(ctx): Promise<CheckOutcome> {
    const { names } = ctx;
    const name = decoyName(names);
    const group = await ctx.resourceGroup();
    if (!group) {
      return fail({
        found: `the resource group ${names.resourceGroup} is gone, and with it what was not yours: ${name}, the lab VM`,
        expected: 'the group kept: it holds resources that are not the workshop\'s; a clean-up deletes what it tagged, never the whole group',
        fix: `It cannot be undone: ask whoever owns ${name} to re-create it; on the emulator, \`./milab emulator reset\` starts the course over.`,
      });
    }
    const decoy = await ctx.identityNamed(name);
    if (!decoy?.principalId) {
      return fail({
        found: `the identity ${name} is not in ${names.resourceGroup}: it was deleted (its name looks like the workshop's, but it has no milab tags: it was the ${DECOY_TAGS.owner}'s) — or lab 11's setup has not run yet`,
        expected: `${name} kept: a clean-up finds what is yours by its tags (workshop=milab, learner=${names.learnerId}), not by its name`,
        fix: '`./milab start` (with lab 11 next) or `./milab solve 11` prepares it again; on Azure, tell its owner. Next time: delete by tag, never by name.',
      });
    }
    const problems: string[] = [];
    const fixes: string[] = [];
    if (decoy.tags.workshop !== undefined) problems.push(`${name} now carries the tag workshop=${decoy.tags.workshop}: it is not the workshop's`);
    const reader = (await ctx.roleAssignments()).find((a) => a.principalId === decoy.principalId && a.roleGuid === ROLE_IDS.Reader && atScope(a, names.resourceGroupScope));
    if (!reader) {
      problems.push(`${name}'s Reader on ${names.resourceGroup} was removed: that assignment was the ${DECOY_TAGS.owner}'s`);
      fixes.push(`give it back: ${both(grantReaderAt(names, names.resourceGroupScope, decoy.principalId))}`);
    }
    if (names.target === 'emulator' && !(await ctx.vm())) problems.push(`the lab VM ${names.vm} is gone: it is the lab's, not yours (only its identities were to go)`);
    if (problems.length === 0) return pass({ details: `${name} (principal ${decoy.principalId}) and its Reader on ${names.resourceGroup} are there` });
    return fail({
      found: problems.join('; '),
      expected: `what is not tagged for you left as it was: ${name} with its Reader on the group, the lab VM`,
      fix: `${fixes.length > 0 ? `${fixes.join('; ')}. ` : ''}${decoy.tags.workshop !== undefined ? `Give it back its own tags: ${both({ az: `az identity update -g ${names.resourceGroup} -n ${name} --tags owner=${DECOY_TAGS.owner}`, ts: `await clients.msi.userAssignedIdentities.update('${names.resourceGroup}', '${name}', { tags: { owner: '${DECOY_TAGS.owner}' } })` })}. ` : ''}${problems.some((p) => p.includes('lab VM')) ? '`./milab emulator reset` restores the VM (and the seeded world).' : ''}`.trim(),
    });
  },
};

// Every check waits for lab 11 to be set up.
export const checks: readonly Check<GraderContext>[] = [setUp, ...[nothingTaggedLeft, noOrphans, detached, vaultPurged, decoyKept].map((c) => ({ ...c, dependsOn: [...(c.dependsOn ?? []), setUp.id] }))];

export const grader = defineGrader('11', checks, nothingTaggedLeft.id);
export default grader;

await runGraderIfMain(import.meta.url, grader);
