#!/usr/bin/env -S node --conditions=source --import tsx
// Grader for lab 10: the container group ci-milab-<learner> is in the lab resource group with the
// lab identity (id-milab-<learner>) attached; lab 05's program, run in it unchanged (graders/lib/vm.ts
// runs it there as `milab container exec` does), sends ARM a token whose xms_mirid is the lab
// identity and prints the lab resource group; and ci-milab-<learner>-sys has a system-assigned
// identity whose token (the learner's vm.ts, run in that group) is another principal: oid the
// group's principalId, xms_mirid the group itself. Reads only.
// Named mistakes: the identity not attached; the wrong client id (the program, or AZURE_CLIENT_ID in
// the container's environment, names another identity: IMDS answers 400 "Identity not found", or
// the other identity's token); the container group in another resource group.
// Its prerequisite is lab 02 (the identity may read ARM), not lab 05: lab 05's program is graded
// here, in the group, and a grader on Azure runs on the VM or in the group, never both — with lab
// 05's VM run as the prerequisite, nothing of lab 10 could be graded on Azure.
// Run alone: node --conditions=source --import tsx graders/10-container-instances.ts [--json] [--junit FILE]
import { fail, pass, skip, type Check, type CheckOutcome } from '@milab/grading';
import { CONTAINER_COMMAND, CONTAINER_IMAGE, findLab, sameArmId } from '@milab/labs';
import grader02 from './02-grant-reader.js';
import { CONTAINER_API_VERSION, containerGroupId, containerGroupName, labGroups, systemContainerGroupName, type ContainerGroupView } from './10-container-instances-groups.js';
import type { GraderContext } from './lib/context.js';
import { both } from './lib/fixes.js';
import { defineGrader, labDone, type Grader } from './lib/grader.js';
import { runGraderIfMain } from './lib/main.js';
import { runInContainerGroup, type VmRun } from './lib/vm.js';

const lab = findLab('10');
const lab05 = findLab('05');
const INDEX = 'labs/10-container-instances/starter/index.ts';
const VM_FILE = 'labs/10-container-instances/starter/vm.ts';
const LAB05_FILE = 'labs/05-call-arm/starter/index.ts';
/** The container's image and command, as the lab's names.ts has them. */

const quote = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** How the learner runs `file` in `group` on the emulator. */
export function containerRunCommand(group: string, file: string): string {
  return `./milab container exec ${group} -- node --conditions=source --import tsx ${file}`;
}

/** Creating (or replacing: a PUT of the whole group) `name` in the lab resource group with `identity`, with az and in TypeScript. */
function createGroup(ctx: GraderContext, name: string, identity: 'user' | 'system'): string {
  const { names } = ctx;
  const id = containerGroupId(names, name);
  const block = identity === 'user' ? `{ type: 'UserAssigned', userAssignedIdentities: { ${quote(names.identityId)}: {} } }` : `{ type: 'SystemAssigned' }`;
  return both({
    az: `az container create --resource-group ${names.resourceGroup} --name ${name} --image ${CONTAINER_IMAGE} --os-type Linux --cpu 1 --memory 1.5 --restart-policy Never --command-line "${CONTAINER_COMMAND.join(' ')}" --assign-identity ${identity === 'user' ? names.identityId : '[system]'}`,
    ts: `await clients.resources.resources.beginCreateOrUpdateByIdAndWait(${quote(id)}, ${quote(CONTAINER_API_VERSION)}, { location: ${quote(names.location)}, identity: ${block}, properties: { osType: 'Linux', restartPolicy: 'Never', containers: [{ name: 'app', properties: { image: ${quote(CONTAINER_IMAGE)}, command: ${JSON.stringify(CONTAINER_COMMAND).replace(/"/g, "'")}, resources: { requests: { cpu: 1, memoryInGB: 1.5 } } } }] } } as never)`,
  });
}

/** Deleting a group, with az and in TypeScript. */
function deleteGroup(group: ContainerGroupView): string {
  return both({
    az: `az container delete --resource-group ${group.resourceGroup} --name ${group.name} --yes`,
    ts: `await clients.resources.resources.beginDeleteByIdAndWait(${quote(group.id)}, ${quote(CONTAINER_API_VERSION)})`,
  });
}

/** The group `name` in the lab resource group, or the failure saying where it is instead (or that it is nowhere). */
async function requireGroup(ctx: GraderContext, which: 'user' | 'system'): Promise<ContainerGroupView | CheckOutcome> {
  const groups = await labGroups(ctx);
  const name = which === 'user' ? containerGroupName(ctx.names) : systemContainerGroupName(ctx.names);
  const found = which === 'user' ? groups.user : groups.system;
  if (found) return found;
  const elsewhere = groups.elsewhere.filter((g) => g.name.toLowerCase() === name);
  if (elsewhere.length > 0) {
    return fail({
      found: `the container group in another resource group: ${name} is in ${elsewhere.map((g) => g.resourceGroup).join(', ')}, not in the lab resource group ${ctx.names.resourceGroup}`,
      expected: `${name} in ${ctx.names.resourceGroup}, beside the lab identity and the VM: what the lab (and its clean-up) looks for there`,
      fix: `Create it in the lab resource group: ${createGroup(ctx, name, which)}, then delete the other one: ${deleteGroup(elsewhere[0]!)}.`,
    });
  }
  return fail({
    found: `there is no container group ${name} in resource group ${ctx.names.resourceGroup}`,
    expected: `the container group ${name} there, with ${which === 'user' ? `the lab identity ${ctx.names.identity} attached` : 'a system-assigned identity'}`,
    fix: `Create it: ${createGroup(ctx, name, which)}, or complete TODO ${which === 'user' ? 1 : 2} in ${INDEX} and run it.`,
  });
}

/** Whether a run gave a result to judge; else the outcome (a skip on Azure, outside the group; a failure when it crashed or does not load). */
function notRan(run: VmRun, group: string, file: string): CheckOutcome | undefined {
  const command = containerRunCommand(group, file);
  if (run.kind === 'elsewhere') return skip({ reason: run.reason });
  if (run.kind === 'crashed') {
    return fail({
      found: run.reason,
      expected: 'the program to return from its functions within the time limit',
      fix: `Run it yourself in the group to see what happens: \`${command}\`.`,
    });
  }
  if (run.output.loadError) return fail({ found: `the program does not load: ${run.output.loadError}`, expected: `${run.program} to import cleanly`, fix: `Run it to see the error: \`${command}\`.` });
  return undefined;
}

/** The printed JSON's resource group, or undefined. */
function printedGroup(stdout: string): { id?: string; name?: string } | undefined {
  const text = stdout.trim();
  try {
    return (JSON.parse(text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1)) as { resourceGroup?: { id?: string; name?: string } }).resourceGroup;
  } catch {
    return undefined;
  }
}

/** The lab's checks, grading lab 05's `program` in the user-assigned group and lab 10's `vmProgram` (its vm.ts) in the system-assigned one, after lab 02's `previous`. */
export function checks10(program: string = lab05.starter, vmProgram: string = lab.vmProgram?.starter ?? lab.starter, previous: Grader = grader02): Check<GraderContext>[] {
  const userRun = async (ctx: GraderContext, group: ContainerGroupView) => {
    const identity = await ctx.identity();
    return runInContainerGroup(ctx, group.name, program, group.clientIdSetting ?? identity?.clientId);
  };

  const userGroup: Check<GraderContext> = {
    id: '10.group-in-lab-group',
    title: `The container group ci-milab-<learner> is in the lab resource group`,
    dependsOn: ['10.lab-02-done'],
    async run(ctx) {
      const group = await requireGroup(ctx, 'user');
      if ('status' in group) return group;
      return pass({ details: `${group.id} (${group.provisioningState ?? 'no provisioningState'})` });
    },
  };

  const identityAttached: Check<GraderContext> = {
    id: '10.identity-attached',
    title: 'The lab identity is attached to ci-milab-<learner>',
    weight: 2,
    dependsOn: ['10.group-in-lab-group'],
    async run(ctx) {
      const { names } = ctx;
      const group = await requireGroup(ctx, 'user');
      if ('status' in group) return group;
      const mine = group.userAssigned.find((u) => sameArmId(u.id, names.identityId));
      if (mine) return pass({ details: `identity type ${group.identityType}: ${names.identity} (clientId ${mine.clientId ?? '?'})` });
      const others = group.userAssigned.map((u) => u.id.split('/').pop()).join(', ');
      return fail({
        found: group.userAssigned.length === 0
          ? `the identity not attached: ${group.name} has identity type ${group.identityType}${group.systemPrincipalId ? ' (a system-assigned identity only)' : ''}, so IMDS in its containers has no token of ${names.identity} to give`
          : `the identity not attached: ${group.name} has the user-assigned ${others}, not the lab identity ${names.identity}`,
        expected: `identity type UserAssigned with ${names.identityId} under userAssignedIdentities`,
        fix: `A container group's identity is set by a PUT of the whole group (ACI restarts it): ${createGroup(ctx, group.name, 'user')}, or complete TODO 1 in ${INDEX} and run it.`,
      });
    },
  };

  const programRuns: Check<GraderContext> = {
    id: '10.program-runs-in-group',
    title: "Lab 05's program, run unchanged in ci-milab-<learner>, calls ARM as the lab identity",
    weight: 3,
    dependsOn: ['10.identity-attached'],
    async run(ctx) {
      const { names } = ctx;
      const group = await requireGroup(ctx, 'user');
      if ('status' in group) return group;
      const r = await userRun(ctx, group);
      const stopped = notRan(r, group.name, LAB05_FILE);
      if (stopped || r.kind !== 'ran') return stopped ?? skip({ reason: 'not run' });
      const identity = await ctx.identity();
      const main = r.output.main;
      const asked = (r.output.lab10?.imdsClientIds ?? []).filter((c): c is string => c !== null);
      const wrong = asked.find((c) => c.toLowerCase() !== (identity?.clientId ?? '').toLowerCase());
      const sent = r.output.lab10?.sentTokens ?? [];
      const firstArm = sent[0];
      const run = containerRunCommand(group.name, LAB05_FILE);
      if (wrong || (firstArm && !sameArmId(String(firstArm.xms_mirid ?? ''), names.identityId))) {
        const others = await ctx.identitiesInSubscription();
        const whose = wrong ? others.find((i) => i.clientId?.toLowerCase() === wrong.toLowerCase()) : undefined;
        const from = group.clientIdSetting && wrong && group.clientIdSetting.toLowerCase() === wrong.toLowerCase() ? `AZURE_CLIENT_ID in ${group.name}'s container environmentVariables` : 'the program';
        const answered = firstArm && !sameArmId(String(firstArm.xms_mirid ?? ''), names.identityId)
          ? `IMDS gave that identity's token (xms_mirid ${String(firstArm.xms_mirid ?? '?').split('/').pop()}), not the lab identity's${main?.ok ? '' : `, and ARM answered: "${(main?.error ?? 'no result').slice(0, 200)}"`}`
          : /identity not found/i.test(main?.error ?? '')
            ? 'IMDS answered 400 "Identity not found": no identity of that client id is attached to the group'
            : `the program failed: "${(main?.error ?? 'no result').slice(0, 200)}"`;
        return fail({
          found: `the wrong client id: ${from} asked IMDS for client id ${wrong ?? '(another)'}${whose ? ` (${whose.name})` : wrong ? ' (no identity the grader can see)' : ''}, and ${answered}`,
          expected: `the lab identity's client id, ${identity?.clientId ?? '?'} (${names.identity}): the one attached to ${group.name}`,
          fix: group.clientIdSetting && group.clientIdSetting.toLowerCase() !== (identity?.clientId ?? '').toLowerCase()
            ? `Set AZURE_CLIENT_ID in the container's environmentVariables to ${identity?.clientId ?? "the lab identity's client id"} (or leave it out) and create the group again: ${createGroup(ctx, group.name, 'user')}.`
            : `Run lab 05's program unchanged: it asks for \`ctx.clientId\`, the lab identity's. Restore ${LAB05_FILE} (\`./milab reset 05\`, or \`./milab solve 05\`) and run it: \`${run}\`.`,
        });
      }
      if (!main?.ok) {
        return fail({
          found: `lab 05's program failed in ${group.name}: "${(main?.error ?? 'no result').slice(0, 300)}"`,
          expected: 'it to run there as it does on the VM: the same IMDS endpoint, the same lab identity',
          fix: /TODO:/.test(main?.error ?? '') ? `Do lab 05 first: its program still throws the starter's TODO (\`./milab grade 05\`).` : `Run it in the group to see the whole error: \`${run}\`.`,
        });
      }
      if (!firstArm) return fail({ found: 'the program sent ARM no bearer token the harness could see', expected: "lab 05's program, which calls ARM with the token from IMDS", fix: `Restore lab 05's program (\`./milab reset 05\`) and run it: \`${run}\`.` });
      const printed = printedGroup(main.stdout);
      if (!printed || !sameArmId(printed.id, names.resourceGroupScope)) {
        return fail({
          found: printed ? `it printed resourceGroup ${printed.id ?? printed.name ?? '?'}` : 'it printed no resourceGroup',
          expected: `the lab resource group ${names.resourceGroupScope}, read with the lab identity's token`,
          fix: `Run lab 05's program unchanged: \`${run}\`.`,
        });
      }
      return pass({ details: `the token sent to ARM: oid ${String(firstArm.oid ?? '?')}, xms_mirid ${String(firstArm.xms_mirid ?? '?')} (${names.identity}); it printed ${printed.id}` });
    },
  };

  const systemGroup: Check<GraderContext> = {
    id: '10.system-group',
    title: 'ci-milab-<learner>-sys is in the lab resource group, with a system-assigned identity',
    weight: 2,
    dependsOn: ['10.lab-02-done'],
    async run(ctx) {
      const group = await requireGroup(ctx, 'system');
      if ('status' in group) return group;
      if (/SystemAssigned/i.test(group.identityType) && group.systemPrincipalId) return pass({ details: `${group.name}: identity type ${group.identityType}, principalId ${group.systemPrincipalId}` });
      return fail({
        found: `${group.name} has identity type ${group.identityType}: no system-assigned identity`,
        expected: "identity type SystemAssigned: a principal of the group's own, made with it and deleted with it",
        fix: `Create it again with one: ${createGroup(ctx, group.name, 'system')}, or complete TODO 2 in ${INDEX} and run it.`,
      });
    },
  };

  const systemClaims: Check<GraderContext> = {
    id: '10.system-claims',
    title: "systemToken, run in ci-milab-<learner>-sys, returns the group's own identity: another oid and xms_mirid",
    weight: 2,
    dependsOn: ['10.system-group'],
    async run(ctx) {
      const group = await requireGroup(ctx, 'system');
      if ('status' in group) return group;
      const identity = await ctx.identity();
      const r = await runInContainerGroup(ctx, group.name, vmProgram, identity?.clientId);
      const stopped = notRan(r, group.name, VM_FILE);
      if (stopped || r.kind !== 'ran') return stopped ?? skip({ reason: 'not run' });
      const token = r.output.token;
      const run = containerRunCommand(group.name, VM_FILE);
      if (!token) return fail({ found: `${VM_FILE} exports no systemToken function`, expected: 'systemToken(ctx), as the starter has it', fix: 'Restore it from the starter: `./milab reset 10`.' });
      if (!token.ok) {
        return fail({
          found: `systemToken threw ${token.errorName}: "${token.message}"`,
          expected: "a token for ARM of the group's system-assigned identity",
          fix: /identity not found/i.test(token.message)
            ? `Ask IMDS without a client id: the lab identity is not attached to ${group.name}, and its client id is "Identity not found" there (\`getToken({ resource: ctx.armResource, endpoint: ctx.imdsEndpoint })\`).`
            : `Complete systemToken in ${VM_FILE} (\`./milab hint 10\`), and run it: \`${run}\`.`,
        });
      }
      const { oid, xms_mirid } = token.claims as { oid?: string; xms_mirid?: string };
      if (oid === group.systemPrincipalId && sameArmId(xms_mirid, group.id)) {
        return pass({ details: `oid ${oid} (the group's principalId; the lab identity's is ${identity?.principalId ?? '?'}), xms_mirid ${xms_mirid}` });
      }
      return fail({
        found: `systemToken returned a token of oid ${oid ?? '?'}, xms_mirid ${xms_mirid ?? '?'}`,
        expected: `the group's system-assigned identity: oid ${group.systemPrincipalId ?? '?'}, xms_mirid ${group.id}`,
        fix: `Ask the group's IMDS (ctx.imdsEndpoint) without a client id, and run it in ${group.name}: \`${run}\`.`,
      });
    },
  };

  return [labDone('10.lab-02-done', previous), userGroup, identityAttached, programRuns, systemGroup, systemClaims];
}

/** Lab 10's grader for lab 05's `program` and lab 10's `vmProgram` (defaults: the learner's starters), after lab 02's `previous`. */
export function createGrader10(program?: string, vmProgram?: string, previous?: Grader): Grader {
  return defineGrader('10', checks10(program, vmProgram, previous), '10.program-runs-in-group');
}

export const grader = createGrader10();
export default grader;

await runGraderIfMain(import.meta.url, grader);
