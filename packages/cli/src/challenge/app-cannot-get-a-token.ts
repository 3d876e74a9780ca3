// app-cannot-get-a-token: the inventory app on the challenge VM stopped working. The VM holds two
// identities that are not the app's (so IMDS, asked without a client id, cannot choose and
// answers 400), the app's identity is detached, and it has no role (ARM would answer 403). The
// app cannot be changed; repair the environment so it works, as its own identity, with Reader.
import { fail, pass, type Check } from '@milab/grading';
import type { GraderContext } from '@milab/graders';
import type { LabNames } from '@milab/labs';
import { deleteCommand, exactlyReaderAt, grantReaderCommand, rolesOf, rolesWords } from './checks.js';
import type { Challenge } from './model.js';
import { challengeNames } from './names.js';
import { OBJECTIVES as O } from './objectives.js';
import { listCheck, tokenCheck, tokenIdentityCheck } from './token-checks.js';
import { grant, makeIdentity, makeVm, onAzureLines, vmPlan } from './world.js';

const NAME = 'app-cannot-get-a-token';
const ROLE = 'inventory';

function checks(names: LabNames): Check<GraderContext>[] {
  const id = (slug: string) => `${NAME}.${slug}`;
  const ch = challengeNames(names);
  return [
    tokenCheck(id('token'), ch, ROLE, [O.az204Identities, O.az500Identities]),
    tokenIdentityCheck(id('token-identity'), ch, ROLE, [O.az500Identities, O.sc500Identities], [id('token')]),
    listCheck(id('lists'), ch, ROLE, [O.interpret, O.az500Assignments], [id('token-identity')]),
    {
      id: id('least-privilege'),
      title: `${ch.identity(ROLE)} has exactly Reader on the resource group`,
      objectives: [O.overPrivileged, O.builtIn],
      // Holds for an identity with no role; it counts once the app works.
      earnsWith: [id('lists')],
      async run(ctx) {
        const identity = await ctx.identityNamed(ch.identity(ROLE));
        const held = await rolesOf(ctx, identity?.principalId);
        if (exactlyReaderAt(held, ctx.names.resourceGroupScope) || held.length === 0) {
          return held.length === 0
            ? fail({
                found: `${ch.identity(ROLE)} has no role`,
                expected: `exactly Reader on ${ctx.names.resourceGroup}: the app only lists that group`,
                fix: `\`${grantReaderCommand(identity?.principalId ?? 'PRINCIPAL_ID', ctx.names.resourceGroupScope)}\``,
              })
            : pass();
        }
        const extra = held.filter((r) => !exactlyReaderAt([r], ctx.names.resourceGroupScope));
        return fail({
          found: `${ch.identity(ROLE)} has ${rolesWords(ctx.names, held)}`,
          expected: `exactly Reader on ${ctx.names.resourceGroup}: a 403 is fixed with the least role that allows the call, not with Contributor or a wider scope`,
          fix: `Remove the rest: \`${deleteCommand(extra.map((r) => r.assignmentId))}\`${held.length === extra.length ? `, and grant Reader on the group: \`${grantReaderCommand(identity?.principalId ?? '', ctx.names.resourceGroupScope)}\`` : ''}.`,
        });
      },
    },
  ];
}

export const appCannotGetAToken: Challenge = {
  name: NAME,
  title: 'The app cannot get a token',
  minutes: 20,
  appOnVm: true,
  scenario: (names, ch) =>
    [
      `From: the on-call engineer`,
      ``,
      `The inventory app on ${ch.vm} has failed since last night's clean-up. It asks the VM's IMDS for an ARM token without a client id`,
      `and lists the resources of ${names.resourceGroup} (the code: packages/cli/src/challenge/inventory.ts). We cannot redeploy it this week.`,
      `It must run as its own identity, ${ch.identity(ROLE)}, with read access to ${names.resourceGroup} and nothing more.`,
      `The other identities on the VM belong to retired jobs; do not delete them (their owners will), but the app must work.`,
      ...onAzureLines(names, ch),
    ].join('\n'),
  hints: [
    {
      text:
        'Run the app yourself and read what IMDS answers (on the emulator: eval "$(./milab vm env VM)" first; on Azure ask IMDS on the VM with Run Command: `az vm run-command invoke -g RG -n VM --command-id RunShellScript --scripts "curl -s -H Metadata:true \'http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/\' | head -c 120"`). Then list the VM\'s identities: `az vm identity show -g RG -n VM`.',
      cost: 10,
    },
    { text: 'Without a client id IMDS picks the system-assigned identity, else the only user-assigned one. With two user-assigned identities and no system-assigned one it cannot pick.', cost: 10 },
    { text: 'A token is not permission: after the token works, a 403 from ARM means the identity lacks a role at that scope.', cost: 15 },
  ],
  plan: (names, ch) => [
    `identities ${[ROLE, 'old', 'batch'].map((r) => ch.identity(r)).join(', ')} in ${names.resourceGroup}`,
    `a Reader assignment on ${names.resourceGroup} for ${ch.identity('batch')}`,
    vmPlan(names, ch, `${ch.identity('old')} and ${ch.identity('batch')} attached`),
  ],
  async setup(ws) {
    const [, old, batch] = await Promise.all([ROLE, 'old', 'batch'].map((role) => makeIdentity(ws, role)));
    // The retired jobs' Reader stays: the learner must not fix the app by borrowing their access.
    await grant(ws, ws.names.resourceGroupScope, 'Reader', batch!.principalId);
    await makeVm(ws, [old!.id, batch!.id]);
    return {};
  },
  checks: (_facts, names) => checks(names),
};
