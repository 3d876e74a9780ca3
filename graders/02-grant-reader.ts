#!/usr/bin/env -S node --conditions=source --import tsx
// Grader for lab 02: the identity holds Reader at the lab's scope (names.readerScope: the
// subscription; in a class that shares one subscription, the learner's resource group), and
// nothing more. There is no check of the assignment's principalType: ARM records the principal's
// real type whatever the request said (left out, it looks it up; a wrong one it refuses with 400
// UnmatchedPrincipalType, "The PrincipalId '…' has type 'ServicePrincipal' , which is different
// from specified PrincipalType 'User'.", Azure/modern-web-app-pattern-dotnet#129), so a stored
// assignment of the identity always says ServicePrincipal and such a check could never fail. The
// lab still teaches principalType: it avoids PrincipalNotFound right after the identity is created,
// and in a class the delegation condition refuses a request without it. When Reader is missing it says where it went instead: to
// the resource group, to another principal (you, the VM's system identity), or to the principal
// of an identity that was deleted and re-created (an orphaned assignment). Reads only.
// Run alone: node --conditions=source --import tsx graders/02-grant-reader.ts [--json] [--junit FILE]
import { fail, pass, skip, type Check, type CheckOutcome } from '@milab/grading';
import { ROLE_IDS, sameArmId, type LabNames } from '@milab/labs';
import grader01 from './01-create-identity.js';
import { atScope, lastSegment, type AssignmentView, type GraderContext, type IdentityView } from './lib/context.js';
import { both, deleteAssignment, grantReader } from './lib/fixes.js';
import { defineGrader, labDone } from './lib/grader.js';
import { runGraderIfMain } from './lib/main.js';

/** RBAC changes can take this long to take effect everywhere (Azure documents up to 10 minutes). */
export const RBAC_PROPAGATION_SECONDS = 600;

/** The az command that grants the lab's assignment. */
export function grantReaderCommand(names: LabNames, principalId: string): string {
  return grantReader(names, principalId).az;
}

const isReader = (a: AssignmentView) => a.roleGuid === ROLE_IDS.Reader;

/** The lab's scope in words: the subscription, or (shared mode) the learner's resource group. */
export function readerScopeWords(names: LabNames): string {
  return names.mode === 'shared' ? `your resource group ${names.resourceGroup}` : 'the subscription';
}

/** Why the lab's scope is what it is, for an "expected" text. */
function whyThisScope(names: LabNames): string {
  return names.mode === 'shared'
    ? `Reader at your resource group's scope ${names.readerScope}: in a class that shares one subscription your group is the lab's scope (the identity reads your resources, not every learner's), and the only scope where you may assign Reader`
    : `Reader at the subscription scope ${names.subscriptionScope}, as the lab asks (the identity reads every resource group, not one)`;
}

/**
 * The scopes where a Reader given to the wrong principal, or an orphan, can be the learner's
 * doing: the subscription and the lab group; in shared mode only the learner's own group (the
 * subscription and the other groups hold other people's assignments, which are never judged).
 */
function learnerScopes(names: LabNames): string[] {
  return names.mode === 'shared' ? [names.resourceGroupScope] : [names.subscriptionScope, names.resourceGroupScope];
}

const atAnyOf = (a: AssignmentView, scopes: readonly string[]) => scopes.some((scope) => atScope(a, scope));

/** Whether `scope` is `parent` or below it (a resource in the group). */
function within(scope: string, parent: string): boolean {
  const s = scope.toLowerCase().replace(/\/+$/, '');
  const p = parent.toLowerCase().replace(/\/+$/, '');
  return s === p || s.startsWith(`${p}/`);
}

function describeScope(names: LabNames, scope: string): string {
  if (sameArmId(scope, names.subscriptionScope)) return `the subscription (${scope})`;
  const group = /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)$/i.exec(scope)?.[1];
  if (group) return `resource group ${group} (${scope})`;
  return scope;
}

/** The identity the lab-02 checks judge, or a skip when it does not exist (lab 01 not done). */
async function requireIdentity(ctx: GraderContext): Promise<IdentityView | CheckOutcome> {
  const identity = await ctx.identity();
  if (!identity?.principalId) return skip({ reason: `the identity ${ctx.names.identity} does not exist (lab 01)` });
  return identity;
}

/** Who an assignment's principal is, when it is not the learner's identity and the grader can tell. */
async function whoIs(ctx: GraderContext, a: AssignmentView): Promise<{ kind: 'you' | 'vm-system' | 'identity' | 'known' | 'gone'; label: string }> {
  const learner = await ctx.learnerObjectId();
  if (learner !== undefined && a.principalId === learner) return { kind: 'you', label: `you (the signed-in learner, principal ${a.principalId})` };
  // Only an assignment the learner made can be the learner's mistake (when ARM says who made it):
  // a shared subscription holds other people's assignments, and orphans, too.
  if (learner !== undefined && a.createdBy !== undefined && a.createdBy !== learner) return { kind: 'known', label: `principal ${a.principalId}` };
  if (a.principalType === 'User' || (a.createdBy !== undefined && a.principalId === a.createdBy)) {
    return { kind: 'you', label: `you (the signed-in learner, principal ${a.principalId})` };
  }
  // Both lists are read at once (one after the other, they would double the wait on ARM).
  const [vms, identities] = await Promise.all([ctx.vmsInSubscription(), ctx.identitiesInSubscription()]);
  const vm = vms.find((v) => v.systemPrincipalId === a.principalId);
  if (vm) return { kind: 'vm-system', label: `the system-assigned identity of the VM ${vm.name} (principal ${a.principalId})` };
  const other = identities.find((i) => i.principalId === a.principalId);
  if (other) return { kind: 'identity', label: `another identity, ${other.name} in ${other.resourceGroup} (principal ${a.principalId})` };
  const known = (await ctx.knownPrincipals()).get(a.principalId);
  if (known) return { kind: 'known', label: known };
  return { kind: 'gone', label: `principal ${a.principalId}, which is no identity in this subscription any more` };
}

/** What went wrong when the identity has no Reader at the lab's scope. */
async function explainMissingReader(ctx: GraderContext, identity: IdentityView, mine: AssignmentView[]): Promise<CheckOutcome> {
  const { names } = ctx;
  const principalId = identity.principalId ?? '';
  const grant = both(grantReader(names, principalId));
  const readerElsewhere = mine.find(isReader);
  if (readerElsewhere) {
    const remove = both(deleteAssignment(readerElsewhere.id));
    const elsewhere = describeScope(names, readerElsewhere.scope);
    // In a class, the learner manages Reader in their own group only: one anywhere else (the
    // subscription) is the instructor's to remove.
    const fix =
      names.mode === 'shared' && !within(readerElsewhere.scope, names.resourceGroupScope)
        ? `Assign it at ${readerScopeWords(names)}: ${grant}. The one at ${elsewhere} you cannot remove yourself (your role lets you manage Reader in your group only): ask your instructor to remove it: ${remove}.`
        : `Assign it at ${readerScopeWords(names)}: ${grant}, then remove the ${within(readerElsewhere.scope, names.readerScope) ? 'narrower' : 'misplaced'} one: ${remove}.`;
    return fail({
      found: `${identity.name} has Reader at ${elsewhere}, not at ${readerScopeWords(names)} (${names.readerScope})`,
      expected: whyThisScope(names),
      fix,
    });
  }
  const broader = mine.find((a) => atScope(a, names.readerScope));
  if (broader) {
    const role = await ctx.role(broader.roleGuid);
    return fail({
      found: `${identity.name} has ${role.name} at ${readerScopeWords(names)} instead of Reader`,
      expected: 'Reader: the identity only needs to read',
      fix: `Assign Reader (${grant}) and remove ${role.name}: ${both(deleteAssignment(broader.id))}.`,
    });
  }
  // Reader granted, but not to this identity's principal: say to whom.
  const readers = (await ctx.roleAssignments()).filter(
    (a) => isReader(a) && a.principalId !== principalId && atAnyOf(a, learnerScopes(names)),
  );
  const candidates = await Promise.all(readers.map(async (a) => ({ a, who: await whoIs(ctx, a) })));
  const orphan = candidates.find((c) => c.who.kind === 'gone');
  if (orphan) {
    return fail({
      found: `Reader at ${describeScope(names, orphan.a.scope)} is assigned to ${orphan.who.label}: the principal of an identity that was deleted. ${identity.name} was deleted and re-created, so its principal id changed (it is now ${principalId}) and the old assignment is orphaned (the Portal shows it as "Identity not found")`,
      expected: `Reader at ${readerScopeWords(names)} for the current principal id ${principalId}`,
      fix: `Assign Reader to the new principal id: ${grant}; then remove the orphan: ${both(deleteAssignment(orphan.a.id))}.`,
    });
  }
  const misdirected = candidates.find((c) => c.who.kind === 'you' || c.who.kind === 'vm-system');
  if (misdirected) {
    return fail({
      found: `Reader was granted to ${misdirected.who.label}, not to ${identity.name} (principal ${principalId})`,
      expected: `Reader at ${readerScopeWords(names)} for ${identity.name}'s principal id ${principalId} (not its client id, not you, not the VM's system-assigned identity)`,
      fix: `Assign it to the identity: ${grant}; then remove the misdirected one: ${both(deleteAssignment(misdirected.a.id))}.`,
    });
  }
  return fail({
    found: `${identity.name} (principal ${principalId}) has no role assignment${mine.length > 0 ? ' with Reader' : ''}`,
    expected: `Reader at ${names.mode === 'shared' ? "your resource group's scope" : 'the subscription scope'} ${names.readerScope}, principalType ServicePrincipal`,
    fix: `Assign it: ${grant}, or complete labs/02-grant-reader/starter/index.ts and run it (see the lab README).${
      names.mode === 'shared' ? ' In a class the principal type is required: your role only lets you assign Reader to service principals.' : ''
    }`,
  });
}

const readerAtSubscription: Check<GraderContext> = {
  id: '02.reader-at-subscription',
  title: 'The identity has Reader at the lab scope: the subscription, or in a class your resource group',
  weight: 2,
  dependsOn: ['02.identity-ready'],
  async run(ctx) {
    const identity = await requireIdentity(ctx);
    if ('status' in identity) return identity;
    const mine = (await ctx.roleAssignments()).filter((a) => a.principalId === identity.principalId);
    const reader = mine.find((a) => isReader(a) && atScope(a, ctx.names.readerScope));
    if (!reader) return explainMissingReader(ctx, identity, mine);
    const ageSeconds = reader.createdOn ? Math.round((Date.now() - Date.parse(reader.createdOn)) / 1000) : undefined;
    const recent = ageSeconds !== undefined && ageSeconds < RBAC_PROPAGATION_SECONDS;
    return pass({
      details: `${lastSegment(reader.id)} at ${reader.scope}${recent ? ` (granted ${ageSeconds} s ago: RBAC can take up to 10 minutes to take effect, so a call with a fresh token may still be refused for a while)` : ''}`,
    });
  },
};

const notOverPrivileged: Check<GraderContext> = {
  id: '02.not-over-privileged',
  title: 'The identity has no role beyond Reader',
  dependsOn: ['02.identity-ready'],
  // It holds for an identity with no role at all: it earns its point with the Reader grant.
  earnsWith: ['02.reader-at-subscription'],
  async run(ctx) {
    const identity = await requireIdentity(ctx);
    if ('status' in identity) return identity;
    const mine = (await ctx.roleAssignments()).filter((a) => a.principalId === identity.principalId);
    const extra: { a: AssignmentView; role: string }[] = [];
    for (const a of mine) {
      const role = await ctx.role(a.roleGuid);
      if (!role.readOnly) extra.push({ a, role: role.name });
    }
    if (extra.length === 0) return pass({ details: `${mine.length} assignment(s), all read-only` });
    const list = extra.map(({ a, role }) => `${role} at ${describeScope(ctx.names, a.scope)}`).join('; ');
    return fail({
      found: `${identity.name} also holds ${list}`,
      expected:
        'Reader only (least privilege): anything running on the VM can use the identity, so Contributor or Owner would let that code change or delete resources (Owner: and grant access to others), where the lab needs only reads',
      fix: `Remove ${extra.length === 1 ? 'it' : 'them'}: ${extra.map(({ a }) => both(deleteAssignment(a.id))).join(', ')}${mine.some((a) => isReader(a) && atScope(a, ctx.names.readerScope)) ? '' : `, and assign Reader: ${both(grantReader(ctx.names, identity.principalId ?? ''))}`}.`,
    });
  },
};

/** Role assignments the learner made whose principal no longer exists (left by a deleted identity). */
async function orphans(ctx: GraderContext): Promise<AssignmentView[]> {
  const { names } = ctx;
  const inLab = (await ctx.roleAssignments()).filter((a) => atAnyOf(a, learnerScopes(names)));
  const found: AssignmentView[] = [];
  for (const a of inLab) if ((await whoIs(ctx, a)).kind === 'gone') found.push(a);
  return found;
}

const noOrphans: Check<GraderContext> = {
  id: '02.no-orphaned-assignment',
  title: 'No role assignment is left on a deleted identity',
  dependsOn: ['02.reader-at-subscription'],
  async run(ctx) {
    const left = await orphans(ctx);
    if (left.length === 0) return pass();
    const roles = await Promise.all(left.map(async (a) => `${(await ctx.role(a.roleGuid)).name} for principal ${a.principalId} at ${describeScope(ctx.names, a.scope)}`));
    return fail({
      found: `${roles.join('; ')}: ${left.length === 1 ? 'its principal no longer exists' : 'their principals no longer exist'} (an identity was deleted, e.g. ${ctx.names.identity} before it was re-created), so ${left.length === 1 ? 'the assignment is' : 'they are'} orphaned`,
      expected: 'no orphaned role assignments (the Portal lists them as "Identity not found"; they count against the subscription\'s assignment limit and confuse every access review)',
      fix: `Remove ${left.length === 1 ? 'it' : 'them'}: ${left.map((a) => both(deleteAssignment(a.id))).join(', ')}.`,
    });
  },
};

export const checks: readonly Check<GraderContext>[] = [labDone('02.identity-ready', grader01), readerAtSubscription, notOverPrivileged, noOrphans];

export const grader = defineGrader('02', checks, readerAtSubscription.id);
export default grader;

await runGraderIfMain(import.meta.url, grader);
