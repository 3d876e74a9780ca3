#!/usr/bin/env -S node --conditions=source --import tsx
// Grader for lab 06: the lab VM's system-assigned identity is on beside its user-assigned ones
// (not replacing them, not turned off again), holds Reader on the lab resource group (itself, not a
// user-assigned identity), and the learner's VM program gets its token from IMDS without choosing
// an identity (graders/lib/vm.ts runs it on the VM); then that the throwaway VM (`<vm>-temp`) is
// gone and left no orphaned role assignment behind. Reads only.
// What is left is all a reader can see: once the throwaway VM and its orphan are cleaned up, no
// trace of them remains, so those two checks judge what is left behind, and earn their points
// with the lab's main work.
// Run alone: node --conditions=source --import tsx graders/06-system-assigned.ts [--json] [--junit FILE]
import { fail, pass, skip, type Check, type CheckOutcome } from '@milab/grading';
import { findLab, ROLE_IDS, sameArmId, type LabNames } from '@milab/labs';
import grader04 from './04-imds-token.js';
import { atScope, lastSegment, type AssignmentView, type GraderContext, type VmView } from './lib/context.js';
import { attachIdentity, both, deleteAssignment, deleteVm, grantReaderAt, turnOnSystemAssigned } from './lib/fixes.js';
import { defineGrader, labDone, type Grader } from './lib/grader.js';
import { runGraderIfMain } from './lib/main.js';
import { noTokenInOutputCheck, notRanOutcome, runCommand, runOnLabVm } from './lib/vm.js';

const lab = findLab('06');
const RUN = runCommand('06');

/** The throwaway VM of part 2: the lab VM's name with `-temp` (`labvm-temp` on the emulator). */
export function throwawayVmName(names: Pick<LabNames, 'vm'>): string {
  return `${names.vm}-temp`;
}

const isReader = (a: AssignmentView) => a.roleGuid === ROLE_IDS.Reader;
const hasSystem = (vm: VmView) => /SystemAssigned/i.test(vm.identityType) && vm.systemPrincipalId !== undefined;

function describeVm(vm: VmView): string {
  return `identity type ${vm.identityType}, user-assigned: ${vm.userAssigned.map(lastSegment).join(', ') || 'none'}`;
}

/** The lab VM, or the failure saying it is missing. */
async function requireVm(ctx: GraderContext): Promise<VmView | CheckOutcome> {
  const vm = await ctx.vm();
  if (vm) return vm;
  return fail({
    found: `no VM named ${ctx.names.vm} in resource group ${ctx.names.resourceGroup}`,
    expected: `the lab VM ${ctx.names.vm}`,
    fix: ctx.names.target === 'emulator' ? 'The emulator seeds it: `./milab emulator reset` brings it back (and resets every lab).' : 'Create the lab VM, or name yours with MILAB_VM_NAME (see `./milab start`).',
  });
}

/**
 * Role assignments at the lab group or the lab VM whose principal exists nowhere any more (no
 * identity, no VM's system-assigned identity, no known principal): left by a deleted identity.
 * Only the learner's own (when ARM says who made an assignment and who the learner is).
 */
async function orphansAt(ctx: GraderContext, scopes: readonly string[]): Promise<AssignmentView[]> {
  const inScope = (await ctx.roleAssignments()).filter((a) => scopes.some((scope) => atScope(a, scope)) && a.principalType !== 'User' && a.principalType !== 'Group');
  if (inScope.length === 0) return [];
  const [vms, identities, known, learner] = await Promise.all([ctx.vmsInSubscription(), ctx.identitiesInSubscription(), ctx.knownPrincipals(), ctx.learnerObjectId()]);
  const alive = new Set<string>([...vms.flatMap((v) => (v.systemPrincipalId ? [v.systemPrincipalId] : [])), ...identities.flatMap((i) => (i.principalId ? [i.principalId] : [])), ...known.keys()]);
  if (learner) alive.add(learner);
  return inScope.filter((a) => !alive.has(a.principalId) && !(learner !== undefined && a.createdBy !== undefined && a.createdBy !== learner));
}

/** What a Reader at the group for a principal that is gone says: the system identity was turned off (and maybe on again). */
function turnedOffWords(names: LabNames, orphan: AssignmentView): string {
  return `Reader at resource group ${names.resourceGroup} is assigned to principal ${orphan.principalId}, which no longer exists: most likely ${names.vm}'s system-assigned identity, given Reader and then turned off again — a later PUT (or PATCH) whose identity type left out SystemAssigned deleted it, with its principal`;
}

/** The lab's checks, grading `program` (default: the learner's starter/vm.ts) and lab 04 with `previous`. */
export function checks06(program: string = lab.vmProgram?.starter ?? lab.starter, previous: Grader = grader04): Check<GraderContext>[] {
  const systemAssignedOn: Check<GraderContext> = {
    id: '06.system-assigned-on',
    title: "The lab VM's system-assigned identity is on",
    weight: 2,
    dependsOn: ['06.lab-04-done'],
    async run(ctx) {
      const { names } = ctx;
      const vm = await requireVm(ctx);
      if ('status' in vm) return vm;
      if (hasSystem(vm)) return pass({ details: `${vm.name}: ${describeVm(vm)}, system-assigned principal ${vm.systemPrincipalId}` });
      const turnOn = both(turnOnSystemAssigned(names, vm));
      const [orphan] = await orphansAt(ctx, [names.resourceGroupScope]);
      if (orphan && isReader(orphan)) {
        return fail({
          found: `${vm.name} has no system-assigned identity (${describeVm(vm)}). ${turnedOffWords(names, orphan)}`,
          expected: `the system-assigned identity on, beside the user-assigned ones: type 'SystemAssigned, UserAssigned'`,
          fix: `Turn it on again: ${turnOn}. It comes back as a new principal: grant Reader again (\`./milab grade 06\` then gives the command) and remove the orphan: ${both(deleteAssignment(orphan.id))}. Next time change identities with a PATCH (az vm identity assign / remove) or a PUT whose type names every kind the VM keeps.`,
        });
      }
      return fail({
        found: `${vm.name} has no system-assigned identity (${describeVm(vm)})`,
        expected: `the system-assigned identity on, beside the user-assigned ones: type 'SystemAssigned, UserAssigned'`,
        fix: `Turn it on: ${turnOn}, or complete TODO 1 in labs/06-system-assigned/starter/index.ts and run it (see the lab README).`,
      });
    },
  };

  const userAssignedKept: Check<GraderContext> = {
    id: '06.user-assigned-kept',
    title: "The VM's user-assigned identities are still attached",
    // No dependsOn: a request that replaced the identities detaches lab 03's too, so lab 04 is
    // no longer done, and this check is the one that says why.
    // It holds before the learner did anything: it earns its point with the system identity.
    earnsWith: ['06.system-assigned-on'],
    async run(ctx) {
      const { names } = ctx;
      const vm = await requireVm(ctx);
      if ('status' in vm) return vm;
      // Judged once the system-assigned identity is on: the change that turns it on is the one
      // that may replace the others (before it, lab 03 says what is attached).
      if (!hasSystem(vm)) return skip({ reason: `${vm.name} has no system-assigned identity yet: this check judges the change that turns it on` });
      const wanted = [names.identity, names.appIdentity];
      const identities = await Promise.all(wanted.map((name) => ctx.identityNamed(name)));
      const missing = identities.filter((i) => i !== undefined && !vm.userAssigned.some((id) => sameArmId(id, i.id)));
      if (missing.length === 0) return pass({ details: `user-assigned: ${vm.userAssigned.map(lastSegment).join(', ') || 'none'}` });
      const replaced = /^SystemAssigned$/i.test(vm.identityType.trim());
      return fail({
        found: `${missing.map((i) => i!.name).join(' and ')} ${missing.length === 1 ? 'is' : 'are'} not attached to ${vm.name} (${describeVm(vm)})${
          replaced ? ': the identities were replaced instead of added — the request set the type to SystemAssigned alone, which detaches every user-assigned identity' : ''
        }`,
        expected: `the system-assigned identity added beside the user-assigned ones (type 'SystemAssigned, UserAssigned'), ${wanted.join(' and ')} still attached: labs 04-05 and the app on the VM use them`,
        fix: `Attach ${missing.length === 1 ? 'it' : 'them'} again: ${missing.map((i) => both(attachIdentity(names, vm, i!.id))).join(', then ')}. Next time name both kinds in the type: 'SystemAssigned, UserAssigned'.`,
      });
    },
  };

  const readerForSystem: Check<GraderContext> = {
    id: '06.reader-for-system',
    title: 'The system-assigned identity has Reader on the lab resource group',
    weight: 2,
    dependsOn: ['06.system-assigned-on'],
    async run(ctx) {
      const { names } = ctx;
      const vm = await ctx.vm();
      const principal = vm?.systemPrincipalId;
      if (!vm || !principal) return skip({ reason: `${names.vm} has no system-assigned identity` });
      const assignments = await ctx.roleAssignments();
      const mine = assignments.filter((a) => a.principalId === principal);
      if (mine.some((a) => isReader(a) && atScope(a, names.resourceGroupScope))) return pass({ details: `Reader at ${names.resourceGroupScope} for principal ${principal}` });
      const grant = both(grantReaderAt(names, names.resourceGroupScope, principal));
      // Reader given to one of the VM's user-assigned identities instead (lab 02's own Reader for
      // id-milab-<learner> at the lab scope is not that).
      const attached = await Promise.all(vm.userAssignedIdentities.map(async (a) => ({ attached: a, view: await ctx.identityNamed(lastSegment(a.id)) })));
      const userPrincipals = new Map(attached.flatMap(({ attached: a, view }) => (view?.principalId ?? a.principalId ? [[(view?.principalId ?? a.principalId)!, lastSegment(a.id)] as const] : [])));
      const misdirected = assignments.find(
        (a) =>
          isReader(a) &&
          atScope(a, names.resourceGroupScope) &&
          userPrincipals.has(a.principalId) &&
          !(userPrincipals.get(a.principalId) === names.identity && atScope(a, names.readerScope)),
      );
      if (misdirected) {
        return fail({
          found: `Reader on resource group ${names.resourceGroup} was given to the user-assigned identity ${userPrincipals.get(misdirected.principalId)} (principal ${misdirected.principalId}), not to ${vm.name}'s system-assigned identity (principal ${principal})`,
          expected: `Reader at ${names.resourceGroupScope} for the system-assigned identity's own principal, ${principal} (vm.identity.principalId): every identity of a VM is a principal of its own`,
          fix: `Grant it to the system-assigned identity: ${grant}; then remove the misdirected one: ${both(deleteAssignment(misdirected.id))}.`,
        });
      }
      const elsewhere = mine.find(isReader);
      if (elsewhere) {
        return fail({
          found: `the system-assigned identity has Reader at ${elsewhere.scope}, not on resource group ${names.resourceGroup}`,
          expected: `Reader at ${names.resourceGroupScope}`,
          fix: `Assign it there: ${grant}, then remove the other one: ${both(deleteAssignment(elsewhere.id))}.`,
        });
      }
      const other = mine.find((a) => atScope(a, names.resourceGroupScope));
      if (other) {
        const role = await ctx.role(other.roleGuid);
        return fail({
          found: `the system-assigned identity has ${role.name} on resource group ${names.resourceGroup} instead of Reader`,
          expected: 'Reader: anything running on the VM can use its identities, and it only needs to read',
          fix: `Assign Reader (${grant}) and remove ${role.name}: ${both(deleteAssignment(other.id))}.`,
        });
      }
      const [orphan] = (await orphansAt(ctx, [names.resourceGroupScope])).filter(isReader);
      return fail({
        found: `${vm.name}'s system-assigned identity (principal ${principal}) has no role assignment on resource group ${names.resourceGroup}${
          orphan ? `; ${turnedOffWords(names, orphan)}, and the identity on now is a new principal` : ''
        }`,
        expected: `Reader at ${names.resourceGroupScope}, principalType ServicePrincipal, for principal ${principal}`,
        fix: `Assign it: ${grant}${orphan ? `, and remove the orphan: ${both(deleteAssignment(orphan.id))}` : ', or complete TODO 2 in labs/06-system-assigned/starter/index.ts and run it'}.`,
      });
    },
  };

  const systemToken: Check<GraderContext> = {
    id: '06.system-token',
    title: "systemToken gets the system-assigned identity's token from IMDS on the VM",
    weight: 2,
    dependsOn: ['06.system-assigned-on'],
    async run(ctx) {
      const r = await runOnLabVm(ctx, '06', program);
      const stopped = notRanOutcome(r, '06');
      if (stopped || r.kind !== 'ran') return stopped ?? skip({ reason: 'not run' });
      const call = r.output.token;
      if (!call) return fail({ found: 'the harness made no call', expected: 'a systemToken call', fix: 'Report this as a milab bug.' });
      const vm = await ctx.vm();
      const principal = vm?.systemPrincipalId ?? '';
      if (!call.ok) {
        if (/TODO:/.test(call.message)) return fail({ found: "systemToken still throws the starter's TODO", expected: 'systemToken to ask IMDS for a token', fix: 'Complete the TODO in labs/06-system-assigned/starter/vm.ts (`./milab hint 06`).' });
        if (/multiple user assigned identities/i.test(call.message)) {
          return fail({
            found: `IMDS refused to choose ("Multiple user assigned identities exist"): ${vm?.name ?? 'the VM'} had no system-assigned identity when the program asked`,
            expected: "the system-assigned identity on: then IMDS answers for it when the request names no identity",
            fix: 'Turn it on (`./milab grade 06`: 06.system-assigned-on), then grade again.',
          });
        }
        return fail({ found: `systemToken threw ${call.errorName}: "${call.message}"`, expected: `a token for the system-assigned identity (principal ${principal})`, fix: `Run it on the VM to see the whole error: \`${RUN}\`.` });
      }
      const oid = String(call.claims.oid ?? '').toLowerCase();
      const mirid = String(call.claims.xms_mirid ?? '');
      if (oid === principal && sameArmId(mirid, ctx.names.vmId)) return pass({ details: `oid ${oid}, xms_mirid ${mirid}, token sha256:${call.fingerprint}` });
      const chosen = call.requests.some((req) => req.clientId);
      const identities = await ctx.identitiesInSubscription();
      const which = identities.find((i) => i.principalId === oid);
      return fail({
        found: `the token is for ${which ? `the user-assigned identity ${which.name}` : `principal ${oid || 'unknown'}`} (xms_mirid ${mirid || 'missing'}), not for ${ctx.names.vm}'s system-assigned identity (principal ${principal})${chosen ? ': the request chose an identity by client_id' : ''}`,
        expected: `oid ${principal} and xms_mirid ${ctx.names.vmId} (with lower-case resourcegroups): with no client_id, object_id or msi_res_id, IMDS answers for the system-assigned identity when the VM has one`,
        fix: 'Ask without choosing an identity: `getToken({ resource: ctx.armResource, endpoint: ctx.imdsEndpoint })`, no clientId.',
      });
    },
  };

  const noTokenInOutput = noTokenInOutputCheck('06', program, '06.system-token', 'Print the claims (`decodeClaims(token.accessToken)`), never the token or the whole IMDS answer.');

  const throwawayDeleted: Check<GraderContext> = {
    id: '06.throwaway-deleted',
    title: 'The throwaway VM is deleted',
    dependsOn: ['06.lab-04-done'],
    // Nothing is left of a VM deleted (nor of one never made): it earns its point with the main work.
    earnsWith: ['06.system-token'],
    async run(ctx) {
      const { names } = ctx;
      const name = throwawayVmName(names);
      const temp = (await ctx.vmsInSubscription()).find((v) => sameArmId(v.id, `${names.resourceGroupScope}/providers/Microsoft.Compute/virtualMachines/${name}`));
      if (!temp) return pass({ details: `no VM ${name} in ${names.resourceGroup}` });
      return fail({
        found: `the throwaway VM ${name} still exists (${describeVm(temp)}${temp.systemPrincipalId ? `, system-assigned principal ${temp.systemPrincipalId}` : ''})`,
        expected: `${name} deleted: its system-assigned identity is deleted with it, which is the lifecycle this part shows`,
        fix: `Delete it: ${both(deleteVm(names.resourceGroup, name))}; then look at its role assignment on ${names.vm} (Portal: ${names.vm} > Access control (IAM) > Role assignments, "Identity not found").`,
      });
    },
  };

  const noOrphans: Check<GraderContext> = {
    id: '06.no-orphaned-assignment',
    title: 'No role assignment is left on a deleted identity (the throwaway VM\'s, or a system identity turned off)',
    dependsOn: ['06.throwaway-deleted'],
    earnsWith: ['06.system-token'],
    async run(ctx) {
      const { names } = ctx;
      const left = await orphansAt(ctx, [names.vmId, names.resourceGroupScope]);
      if (left.length === 0) return pass();
      const described = await Promise.all(
        left.map(async (a) => `${(await ctx.role(a.roleGuid)).name} for principal ${a.principalId} at ${sameArmId(a.scope, names.vmId) ? `the VM ${names.vm}` : `resource group ${names.resourceGroup}`}`),
      );
      const onVm = left.some((a) => sameArmId(a.scope, names.vmId));
      return fail({
        found: `${described.join('; ')}: ${left.length === 1 ? 'its principal no longer exists' : 'their principals no longer exist'}${
          onVm ? ` — the system-assigned identity of the deleted ${throwawayVmName(names)}: deleting a VM deletes its identity, not the identity's role assignments` : ''
        }, so ${left.length === 1 ? 'the assignment is' : 'they are'} orphaned`,
        expected: 'no orphaned role assignments (the Portal lists them as "Identity not found"; they count against the subscription\'s limit of role assignments and confuse every access review)',
        fix: `Remove ${left.length === 1 ? 'it' : 'them'}: ${left.map((a) => both(deleteAssignment(a.id))).join(', ')}.`,
      });
    },
  };

  return [labDone('06.lab-04-done', previous), systemAssignedOn, userAssignedKept, readerForSystem, systemToken, noTokenInOutput, throwawayDeleted, noOrphans];
}

/** Lab 06's grader for `program` (its VM part; default: the learner's starter/vm.ts), after lab 04's `previous`. */
export function createGrader06(program?: string, previous?: Grader): Grader {
  return defineGrader('06', checks06(program, previous), '06.system-token');
}

export const grader = createGrader06();
export default grader;

await runGraderIfMain(import.meta.url, grader);
