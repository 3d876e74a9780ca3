// The checks both VM challenges end with: the app on the challenge VM gets a token from IMDS
// without naming an identity, the token is the intended identity's, and ARM lets it list the
// learner's group. They judge the app itself (inventory.ts) run against the VM's IMDS, once per
// grading: on the emulator from here (the emulated VM's IMDS listens on this machine), on Azure on
// the VM, through Run Command, before grading (vm-probe.ts, engine.ts).
import { fail, pass, skip, type Check, type CheckOutcome } from '@milab/grading';
import type { GraderContext } from '@milab/graders';
import { grantReaderCommand, inventoryOn, NOT_ON_THE_VM } from './checks.js';
import type { InventoryResult } from './inventory.js';
import type { ChallengeNames } from './model.js';

/** What the app got, or a skip/fail when it could not run at all. */
async function ran(ctx: GraderContext, ch: ChallengeNames): Promise<InventoryResult | CheckOutcome> {
  const result = await inventoryOn(ctx, ch.vm);
  if (result === 'no-vm') {
    return fail({ found: `there is no VM ${ch.vm} in ${ctx.names.resourceGroup}`, expected: `the challenge VM ${ch.vm}, which the set-up made`, fix: 'Start the challenge again: `./milab challenge abandon`, then `./milab challenge start NAME`.' });
  }
  if (result.failedAt === 'token' && result.error?.code === 'MILAB_IMDS_UNREACHABLE') return skip({ reason: NOT_ON_THE_VM });
  return result;
}

/** The token check: IMDS gives the app a token although it names no identity. */
export function tokenCheck(id: string, ch: ChallengeNames, role: string, objectives: readonly string[], dependsOn: readonly string[] = []): Check<GraderContext> {
  return {
    id,
    title: `The app on ${ch.vm} gets a token from IMDS without naming an identity`,
    objectives,
    dependsOn,
    async run(ctx) {
      const result = await ran(ctx, ch);
      if ('status' in result) return result;
      if (result.failedAt !== 'token') return pass({ details: `aud ${result.audience ?? '?'}` });
      const vm = await ctx.vmsInSubscription().then((vms) => vms.find((v) => v.name.toLowerCase() === ch.vm.toLowerCase()));
      const attached = vm?.userAssigned.length ?? 0;
      const system = vm !== undefined && /SystemAssigned/i.test(vm.identityType);
      return fail({
        found: `IMDS refused: "${result.error?.message ?? 'no answer'}"; the VM has ${attached} user-assigned identit${attached === 1 ? 'y' : 'ies'}${system ? ' and a system-assigned one' : ' and no system-assigned one'}`,
        expected:
          'a VM on which a request without client_id has one answer: IMDS then uses the system-assigned identity, or the only user-assigned one; with several user-assigned identities and no system-assigned one it cannot choose, and answers 400',
        fix: (() => {
          const appId = ch.identityId(role);
          const others = (vm?.userAssigned ?? []).filter((u) => u.toLowerCase() !== appId.toLowerCase());
          const hasApp = others.length < attached;
          const steps = [
            hasApp ? '' : `attach ${ch.identity(role)}: \`az vm identity assign -g ${ctx.names.resourceGroup} -n ${ch.vm} --identities ${appId}\``,
            others.length > 0 ? `remove the other${others.length === 1 ? '' : 's'}: \`az vm identity remove -g ${ctx.names.resourceGroup} -n ${ch.vm} --identities ${others.join(' ')}\`` : '',
          ].filter(Boolean);
          return `Make ${ch.identity(role)} the VM's only user-assigned identity: ${steps.join('; then ')} (the app cannot be changed to send a client id).`;
        })(),
      });
    },
  };
}

/** The token is for `role`'s identity (its principal id in the token's oid, its id in xms_mirid). */
export function tokenIdentityCheck(id: string, ch: ChallengeNames, role: string, objectives: readonly string[], dependsOn: readonly string[]): Check<GraderContext> {
  return {
    id,
    title: `The token is ${ch.identity(role)}'s`,
    objectives,
    dependsOn,
    async run(ctx) {
      const result = await ran(ctx, ch);
      if ('status' in result) return result;
      const identity = await ctx.identityNamed(ch.identity(role));
      if (!identity?.principalId) return fail({ found: `there is no identity ${ch.identity(role)} in ${ctx.names.resourceGroup}`, expected: `the identity ${ch.identity(role)}`, fix: `Create it: \`az identity create -g ${ctx.names.resourceGroup} -n ${ch.identity(role)}\` (with the tags the task names).` });
      if (result.objectId === identity.principalId) return pass({ details: `oid ${result.objectId}` });
      const vm = await ctx.vmsInSubscription().then((vms) => vms.find((v) => v.name.toLowerCase() === ch.vm.toLowerCase()));
      const system = vm?.systemPrincipalId !== undefined && vm.systemPrincipalId === result.objectId;
      return fail({
        found: `the token's oid is ${result.objectId ?? 'missing'}${system ? `: the VM's system-assigned identity, which IMDS prefers when no identity is named` : result.identityResourceId ? ` (${result.identityResourceId.split('/').pop()})` : ''}, not ${identity.name}'s principal id ${identity.principalId}`,
        expected: `a token for ${identity.name} (oid ${identity.principalId}): the app must act as its own identity, with its own access`,
        fix: system
          ? `Turn the system-assigned identity off (\`az vm identity remove -g ${ctx.names.resourceGroup} -n ${ch.vm} --identities [system]\`), and leave ${identity.name} as the only user-assigned identity.`
          : `Attach ${identity.name} to ${ch.vm} and detach the identity the token is for: \`az vm identity assign -g ${ctx.names.resourceGroup} -n ${ch.vm} --identities ${identity.id}\`.`,
      });
    },
  };
}

/** ARM lets the token list the learner's group. */
export function listCheck(id: string, ch: ChallengeNames, role: string, objectives: readonly string[], dependsOn: readonly string[]): Check<GraderContext> {
  return {
    id,
    title: `With its token the app lists the resources of the resource group`,
    objectives,
    dependsOn,
    async run(ctx) {
      const result = await ran(ctx, ch);
      if ('status' in result) return result;
      if (result.failedAt !== 'list') return pass({ details: `${result.resources.length} resources listed` });
      const identity = await ctx.identityNamed(ch.identity(role));
      const forbidden = result.error?.status === 403 || /AuthorizationFailed/.test(result.error?.code ?? '');
      return fail({
        found: `ARM refused the list: ${result.error?.code ?? ''} (${result.error?.status ?? '?'})${forbidden ? `: ${identity?.name ?? 'the identity'} has no role that allows Microsoft.Resources/subscriptions/resourceGroups/resources/read on ${ctx.names.resourceGroup}` : `: ${result.error?.message ?? ''}`}`,
        expected: 'a token is authentication only; what it may do comes from role assignments of its principal: Reader on the group is what listing needs',
        fix: forbidden
          ? `Grant Reader on the group: \`${grantReaderCommand(identity?.principalId ?? 'PRINCIPAL_ID', ctx.names.resourceGroupScope)}\`. A new assignment can take a few minutes to take effect on Azure: submit again then.`
          : 'Run the app yourself to see the whole error (see packages/cli/src/challenge/inventory.ts).',
      });
    },
  };
}
