// wire-up-an-app: from a group with only a VM in it, give a new app an identity with exactly the
// access it needs, attached to the VM, and prove it with the token the VM's IMDS gives the app.
import { fail, pass, type Check } from '@milab/grading';
import type { GraderContext } from '@milab/graders';
import { exactlyReaderAt, grantReaderCommand, rolesOf, rolesWords, deleteCommand } from './checks.js';
import type { LabNames } from '@milab/labs';
import { challengeNames } from './names.js';
import type { Challenge } from './model.js';
import { OBJECTIVES as O } from './objectives.js';
import { listCheck, tokenCheck, tokenIdentityCheck } from './token-checks.js';
import { challengeTags, isChallengeResource, makeVm, onAzureLines, vmPlan } from './world.js';

const NAME = 'wire-up-an-app';
const ROLE = 'ledger';

function checks(names: LabNames): Check<GraderContext>[] {
  const id = (slug: string) => `${NAME}.${slug}`;
  const ch = challengeNames(names);
  return [
    {
      id: id('identity'),
      title: 'The ledger identity exists in the resource group, tagged for the challenge',
      objectives: [O.az500Identities, O.tags],
      async run(ctx) {
        const identity = await ctx.identityNamed(ch.identity(ROLE));
        const tags = challengeTags(ctx.names.learnerId, NAME);
        const tagText = Object.entries(tags).map(([k, v]) => `${k}=${v}`).join(' ');
        if (!identity) {
          return fail({
            found: `no identity ${ch.identity(ROLE)} in ${ctx.names.resourceGroup}`,
            expected: `a user-assigned identity ${ch.identity(ROLE)} tagged ${tagText}`,
            fix: `\`az identity create -g ${ctx.names.resourceGroup} -n ${ch.identity(ROLE)} --tags ${tagText}\``,
          });
        }
        if (!isChallengeResource(identity.tags, ctx.names.learnerId, NAME)) {
          return fail({
            found: `${identity.name} has the tags ${Object.entries(identity.tags).map(([k, v]) => `${k}=${v}`).join(' ') || '(none)'}`,
            expected: `the tags ${tagText}: the end of the challenge removes what carries them, and a review finds the app's identity by them`,
            fix: `\`az identity update -g ${ctx.names.resourceGroup} -n ${identity.name} --tags ${tagText}\` (keeps its principal id).`,
          });
        }
        return pass({ details: identity.id });
      },
    },
    {
      id: id('reader-on-group'),
      title: 'It has exactly Reader on the resource group, and nothing else',
      weight: 2,
      dependsOn: [id('identity')],
      objectives: [O.atScopes, O.builtIn, O.overPrivileged],
      async run(ctx) {
        const identity = await ctx.identityNamed(ch.identity(ROLE));
        const held = await rolesOf(ctx, identity?.principalId);
        if (exactlyReaderAt(held, ctx.names.resourceGroupScope)) return pass();
        const reader = held.find((r) => exactlyReaderAt([r], ctx.names.resourceGroupScope));
        const extra = held.filter((r) => r !== reader);
        return fail({
          found: `${identity?.name ?? 'the identity'} has ${rolesWords(ctx.names, held)}`,
          expected: `exactly Reader at resource group ${ctx.names.resourceGroup}: the app lists that group's resources and writes nothing, so Reader there is all it needs (not at the subscription: it must not see other groups)`,
          fix: [
            reader ? '' : `Grant it: \`${grantReaderCommand(identity?.principalId ?? 'PRINCIPAL_ID', ctx.names.resourceGroupScope)}\`.`,
            extra.length > 0 ? `Remove the rest: \`${deleteCommand(extra.map((r) => r.assignmentId))}\`.` : '',
          ].filter(Boolean).join(' '),
        });
      },
    },
    {
      id: id('attached'),
      title: 'It is attached to the VM',
      dependsOn: [id('identity')],
      objectives: [O.az500Identities, O.sc500Identities],
      async run(ctx) {
        const identity = await ctx.identityNamed(ch.identity(ROLE));
        const vm = (await ctx.vmsInSubscription()).find((v) => v.name.toLowerCase() === ch.vm.toLowerCase());
        if (vm?.userAssigned.some((u) => u.toLowerCase() === identity?.id.toLowerCase())) return pass();
        return fail({
          found: `${ch.vm} holds ${vm?.userAssigned.length ? vm.userAssigned.map((u) => u.split('/').pop()).join(', ') : 'no user-assigned identity'}`,
          expected: `${identity?.name ?? ch.identity(ROLE)} attached to ${ch.vm}, so that code on the VM can get its tokens`,
          fix: `\`az vm identity assign -g ${ctx.names.resourceGroup} -n ${ch.vm} --identities ${identity?.id ?? ch.identityId(ROLE)}\``,
        });
      },
    },
    tokenCheck(id('token'), ch, ROLE, [O.az204Identities, O.az500Identities], [id('attached')]),
    tokenIdentityCheck(id('token-identity'), ch, ROLE, [O.az204Identities, O.az500Identities], [id('token')]),
    listCheck(id('lists'), ch, ROLE, [O.az204Identities, O.interpret], [id('token-identity'), id('reader-on-group')]),
  ];
}

export const wireUpAnApp: Challenge = {
  name: NAME,
  title: 'Wire up an app',
  minutes: 20,
  appOnVm: true,
  scenario: (names, ch) =>
    [
      `From: the ledger team`,
      ``,
      `We deploy our new ledger app to ${ch.vm} in ${names.resourceGroup} tomorrow. It lists the resources of ${names.resourceGroup} through ARM with a managed identity,`,
      `asking the VM's IMDS for its token without naming an identity (it is built that way). It writes nothing and must not see other resource groups.`,
      `Please give it an identity, ${ch.identity(ROLE)}, tagged workshop=milab learner=${names.learnerId} challenge=${NAME} (our clean-up finds it by those tags),`,
      `with exactly the access it needs, and make sure the token the VM gives the app is that identity's.`,
      ...onAzureLines(names, ch),
    ].join('\n'),
  hints: [
    { text: 'Three things: the identity, one role assignment, and the VM\'s identity block. Which scope is the narrowest that still lets the app list the group?', cost: 10 },
    { text: 'A role assignment names the identity\'s principal id (object id), not its client id; say --assignee-principal-type ServicePrincipal.', cost: 10 },
    { text: 'The app names no identity: IMDS then uses the system-assigned identity if there is one, else the only user-assigned one. Keep the VM\'s identity block to just yours.', cost: 15 },
  ],
  plan: (names, ch) => [vmPlan(names, ch, 'no identity')],
  async setup(ws) {
    await makeVm(ws, []);
    return {};
  },
  checks: (_facts, names) => checks(names),
};
