// least-privilege-audit: an access review. Identities hold Contributor and Owner at the
// subscription, an assignment is left on a deleted identity, and a Reader went to the wrong
// principal; fix each without breaking the app that needs Reader. Own mode only: in a class the
// learner's role may assign Reader and nothing else (the condition in labs/src/names.ts), so the
// over-privileged grants this starts from cannot be made there, not even in the learner's group.
import { fail, pass, type Check } from '@milab/grading';
import type { GraderContext } from '@milab/graders';
import { ROLE_IDS } from '@milab/labs';
import { deleteCommand, exactlyReaderAt, grantReaderCommand, rolesOf, rolesWords, scopeWords } from './checks.js';
import type { Challenge, ChallengeFacts } from './model.js';
import { OBJECTIVES } from './objectives.js';
import { grant, makeIdentity } from './world.js';

const NAME = 'least-privilege-audit';
const BROAD = new Set<string>([ROLE_IDS.Owner, ROLE_IDS.Contributor]);

const O = OBJECTIVES;

function checks(facts: ChallengeFacts): Check<GraderContext>[] {
  const who = (ctx: GraderContext, role: string): string => `id-ch-${ctx.names.learnerId}-${role}`;
  return [
    {
      id: `${NAME}.no-broad-roles`,
      title: 'No identity of the review holds Owner or Contributor',
      weight: 3,
      objectives: [O.overPrivileged, O.interpret, O.az500Assignments],
      async run(ctx) {
        const broad: string[] = [];
        const ids: string[] = [];
        for (const role of ['app', 'deploy', 'web', 'report']) {
          const held = (await rolesOf(ctx, facts[`${role}Principal`])).filter((r) => BROAD.has(r.roleGuid));
          if (held.length > 0) broad.push(`${who(ctx, role)}: ${rolesWords(ctx.names, held)}`);
          ids.push(...held.map((r) => r.assignmentId));
        }
        if (broad.length === 0) return pass();
        return fail({
          found: broad.join('; '),
          expected: 'none of them with Owner or Contributor: code running as an identity can do everything its roles allow, so a leaked token of one of these could change or delete every resource in the subscription (Owner: and grant that power to others)',
          fix: `Remove them: \`${deleteCommand(ids)}\` (TypeScript: \`await clients.authorization.roleAssignments.deleteById(id)\` for each).`,
        });
      },
    },
    {
      id: `${NAME}.app-keeps-reader`,
      title: 'The app identity still has exactly Reader at the subscription',
      weight: 2,
      objectives: [O.builtIn, O.az500Assignments, O.sc500Assignments],
      async run(ctx) {
        const held = await rolesOf(ctx, facts.appPrincipal);
        if (exactlyReaderAt(held, ctx.names.subscriptionScope)) return pass({ details: 'Reader at the subscription, and nothing else' });
        const reader = held.some((r) => r.roleGuid === ROLE_IDS.Reader);
        return fail({
          found: `${who(ctx, 'app')} has ${rolesWords(ctx.names, held)}`,
          expected: 'exactly Reader at the subscription: the app reads every resource group, so without Reader it breaks, and anything more is more than it needs',
          fix: reader
            ? `Keep its Reader and remove the rest: \`${deleteCommand(held.filter((r) => r.roleGuid !== ROLE_IDS.Reader).map((r) => r.assignmentId))}\`.`
            : `You removed the Reader the app needs: grant it again: \`${grantReaderCommand(facts.appPrincipal ?? '', ctx.names.subscriptionScope)}\`${held.length > 0 ? `, and remove the rest: \`${deleteCommand(held.map((r) => r.assignmentId))}\`` : ''}.`,
        });
      },
    },
    {
      id: `${NAME}.no-orphan`,
      title: 'No role assignment is left on a deleted identity',
      objectives: [O.overPrivileged, O.interpret],
      async run(ctx) {
        const left = await rolesOf(ctx, facts.orphanPrincipal);
        if (left.length === 0) return pass();
        return fail({
          found: `${rolesWords(ctx.names, left)} for principal ${facts.orphanPrincipal}, an identity that was deleted (the Portal lists it as "Identity not found")`,
          expected: 'no assignment for a principal that no longer exists: it is dead weight in every review, counts against the assignment limit, and hides what really has access',
          fix: `Remove it: \`${deleteCommand(left.map((r) => r.assignmentId))}\`.`,
        });
      },
    },
    {
      id: `${NAME}.reader-to-report`,
      title: "The report job's identity has exactly Reader on the resource group",
      weight: 2,
      objectives: [O.atScopes, O.interpret],
      async run(ctx) {
        const held = await rolesOf(ctx, facts.reportPrincipal);
        if (exactlyReaderAt(held, ctx.names.resourceGroupScope)) return pass();
        return fail({
          found: `${who(ctx, 'report')} has ${rolesWords(ctx.names, held)}`,
          expected: `exactly Reader at ${scopeWords(ctx.names, ctx.names.resourceGroupScope)}, the one group the report reads`,
          fix: `Grant it: \`${grantReaderCommand(facts.reportPrincipal ?? '', ctx.names.resourceGroupScope)}\`${held.length > 0 ? `, and remove the rest: \`${deleteCommand(held.map((r) => r.assignmentId))}\`` : ''}.`,
        });
      },
    },
    {
      id: `${NAME}.web-has-none`,
      title: 'The web identity, which was given the report job\'s Reader by mistake, has no role',
      objectives: [O.interpret, O.overPrivileged],
      async run(ctx) {
        const held = await rolesOf(ctx, facts.webPrincipal);
        if (held.length === 0) return pass();
        return fail({
          found: `${who(ctx, 'web')} has ${rolesWords(ctx.names, held)}`,
          expected: "no role: the web front end calls no Azure API; its Reader was meant for the report job (a grant to the wrong principal: the names look alike in the Portal's picker)",
          fix: `Remove it: \`${deleteCommand(held.map((r) => r.assignmentId))}\`.`,
        });
      },
    },
  ];
}

export const leastPrivilegeAudit: Challenge = {
  name: NAME,
  title: 'Least-privilege audit',
  minutes: 25,
  scenario: (names, ch) =>
    [
      `From: the security team`,
      ``,
      `Our access review of subscription ${names.subscriptionId} flagged the identities of the inventory project (all in ${names.resourceGroup}, named ${ch.identity('…')}).`,
      `Please fix every finding before the review closes:`,
      `- two of them hold Owner or Contributor at the subscription; nothing in the project needs more than read access;`,
      `- an assignment is left behind by an identity we deleted;`,
      `- the report job (${ch.identity('report')}) needs Reader on ${names.resourceGroup}, but it went to someone else.`,
      `The app (${ch.identity('app')}) reads every resource group and must keep working: it needs Reader at the subscription, and nothing more.`,
      `Do not delete the identities: other teams reference them.`,
      ``,
      `(Own subscription only: the grants this review starts from are made at the subscription, where you are Owner.)`,
    ].join('\n'),
  unsupported: (names) =>
    names.mode === 'shared'
      ? 'it starts from Owner and Contributor grants, and in a class your role may assign Reader and nothing else (not even in your resource group), so its starting world cannot be made for you; try wire-up-an-app or app-cannot-get-a-token'
      : undefined,
  hints: [
    { text: 'List every assignment of the subscription with the principal names: `az role assignment list --all --include-inherited -o table`; an empty principal name is a deleted identity.', cost: 10 },
    { text: 'An identity can hold several assignments: removing Contributor from the app must leave its Reader. Delete by assignment id, not by role and principal.', cost: 10 },
    { text: 'Look at the Reader on the resource group: compare its principal id with the report identity\'s `principalId` (`az identity show -g RG -n NAME --query principalId`).', cost: 15 },
  ],
  plan: (names, ch) => [
    `identities ${['app', 'deploy', 'web', 'report', 'old'].map((r) => ch.identity(r)).join(', ')} in ${names.resourceGroup}`,
    `role assignments at the subscription: Reader and Contributor for ${ch.identity('app')}, Owner for ${ch.identity('deploy')}, Reader for ${ch.identity('old')}`,
    `a Reader assignment on ${names.resourceGroup} for ${ch.identity('web')}`,
    `then ${ch.identity('old')} is deleted (its Reader stays behind, orphaned)`,
  ],
  async setup(ws) {
    const { names } = ws;
    const [app, deploy, web, report, old] = await Promise.all(['app', 'deploy', 'web', 'report', 'old'].map((role) => makeIdentity(ws, role)));
    await grant(ws, names.subscriptionScope, 'Reader', app!.principalId);
    await grant(ws, names.subscriptionScope, 'Contributor', app!.principalId);
    await grant(ws, names.subscriptionScope, 'Owner', deploy!.principalId);
    await grant(ws, names.resourceGroupScope, 'Reader', web!.principalId);
    await grant(ws, names.subscriptionScope, 'Reader', old!.principalId);
    // Deleting the identity leaves its assignment behind, orphaned (the Portal shows "Identity
    // not found"; Microsoft Learn, "Troubleshoot Azure RBAC",
    // https://learn.microsoft.com/azure/role-based-access-control/troubleshooting, and
    // /work/shared/azure-facts.md).
    await ws.clients.msi.userAssignedIdentities.delete(names.resourceGroup, ws.ch.identity('old'));
    return {
      appPrincipal: app!.principalId,
      deployPrincipal: deploy!.principalId,
      webPrincipal: web!.principalId,
      reportPrincipal: report!.principalId,
      orphanPrincipal: old!.principalId,
    };
  },
  checks: (facts) => checks(facts),
};
