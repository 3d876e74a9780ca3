#!/usr/bin/env -S node --conditions=source --import tsx
// Grader for lab 07: the app identity (id-milab-<learner>-app) may read the lab VM, with nothing
// more than Reader on that VM; and the learner's readWhenGranted (starter/vm.ts), run on the VM
// (graders/lib/vm.ts) with the harness's own token source, (1) reads the VM while the emulator
// holds the assignment back for a few seconds — so it must take 403 AuthorizationFailed as "not
// granted (yet)", say so and wait it out with backoff; (2) gives up on a resource never granted
// (the lab resource group) at its time limit, saying why; (3) gets a new token when ARM refuses
// the one it has (401: a token for another resource), instead of sending the refused one again.
// On Azure no assignment can be held back (lab 04 cannot inject IMDS faults there either): (1)
// then checks the read alone, and the backoff is judged only if ARM happened to answer 403.
// Reads only (on the emulator the hold goes through the emulator's profile endpoint).
// Run alone: node --conditions=source --import tsx graders/07-authorization-is-separate.ts [--json] [--junit FILE]
import { fail, pass, skip, type Check, type CheckOutcome } from '@milab/grading';
import { findLab, ROLE_IDS, sameArmId } from '@milab/labs';
import grader03 from './03-attach-to-vm.js';
import { atScope, type AssignmentView, type GraderContext, type IdentityView } from './lib/context.js';
import { both, deleteAssignment, grantReaderAt } from './lib/fixes.js';
import { defineGrader, labDone, type Grader } from './lib/grader.js';
import { runGraderIfMain } from './lib/main.js';
import { noTokenInOutputCheck, notRanOutcome, runCommand, runOnLabVm, type VmRun } from './lib/vm.js';
import { HOLD_SECONDS, LAB07_TIMES, OTHER_RESOURCE } from './lib/vm-lab07.js';
import type { ArmAttempt, ReadOutcome } from './lib/vm-protocol.js';

const lab = findLab('07');
const RUN = runCommand('07');
const FILE = 'labs/07-authorization-is-separate/starter/vm.ts';
/** The most 403s a read may take during the hold (waits of 1 s, 2 s … give 3 in 4 s), and the shortest wait after one. */
export const MAX_403_DURING_HOLD = 10;
export const MIN_WAIT_AFTER_403_MS = 400;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const forbidden = (a: ArmAttempt) => a.status === 403;

/** The app identity, or the failure saying it is missing. */
async function requireApp(ctx: GraderContext): Promise<IdentityView | CheckOutcome> {
  const app = await ctx.identityNamed(ctx.names.appIdentity);
  if (app?.principalId) return app;
  return fail({
    found: `there is no identity ${ctx.names.appIdentity} in resource group ${ctx.names.resourceGroup}`,
    expected: `the app identity ${ctx.names.appIdentity}, attached to ${ctx.names.vm} (lab 03's starting state)`,
    fix: '`./milab start` prepares it (it creates the identity and attaches it to the VM, as a running app would have).',
  });
}

/** The app identity's role assignments the grader can see, with their role names. */
async function appAssignments(ctx: GraderContext, app: IdentityView): Promise<(AssignmentView & { role: string; readOnly: boolean })[]> {
  const mine = (await ctx.roleAssignments()).filter((a) => a.principalId === app.principalId);
  return Promise.all(mine.map(async (a) => ({ ...a, ...(await ctx.role(a.roleGuid).then((r) => ({ role: r.name, readOnly: r.readOnly }))) })));
}

/** Whether an assignment at `scope` applies to `resourceId` (at it or above it, whole segments). */
function covers(scope: string, resourceId: string): boolean {
  const s = scope.toLowerCase().replace(/\/+$/, '');
  const r = resourceId.toLowerCase();
  return s === '' || r === s || r.startsWith(`${s}/`);
}

/** Where an assignment sits, in words. */
function whereIs(ctx: GraderContext, scope: string): string {
  const { names } = ctx;
  if (sameArmId(scope, names.vmId)) return `the VM ${names.vm}`;
  if (sameArmId(scope, names.resourceGroupScope)) return `resource group ${names.resourceGroup}`;
  if (sameArmId(scope, names.subscriptionScope)) return 'the subscription';
  return scope;
}

/** The statuses of a call's ARM requests, shortened: `403 ×3, 200`. */
function statuses(attempts: readonly ArmAttempt[]): string {
  const runs: [number, number][] = [];
  for (const a of attempts) {
    const last = runs.at(-1);
    if (last && last[0] === a.status) last[1] += 1;
    else runs.push([a.status, 1]);
  }
  return runs.map(([status, n]) => `${status || 'no answer'}${n > 1 ? ` ×${n}` : ''}`).join(', ') || 'none';
}

/** The waits after each 403 that was followed by another request, in ms. */
function waitsAfter403(attempts: readonly ArmAttempt[]): number[] {
  const waits: number[] = [];
  for (let i = 0; i + 1 < attempts.length; i++) if (forbidden(attempts[i]!)) waits.push(attempts[i + 1]!.atMs - attempts[i]!.atMs);
  return waits;
}

/** Whether the code sent a token the harness did not hand it (it got its own, not from getAccessToken). */
const ownToken = (outcome: ReadOutcome) => outcome.attempts.some((a) => a.token.startsWith('own:'));
const OWN_TOKEN = {
  expected: 'every request made with a token from the getAccessToken it is given (the caller decides which identity reads)',
  fix: 'In readWhenGranted, call `await getAccessToken()` for the token of every attempt; do not ask IMDS yourself there (main passes `() => appToken(ctx)`).',
};

/** The outcome of a lab 07 run, or the failure or skip when there is nothing to judge. */
function reads(r: VmRun): { granted: ReadOutcome; denied: ReadOutcome; stale: ReadOutcome } | CheckOutcome {
  const stopped = notRanOutcome(r, '07');
  if (stopped || r.kind !== 'ran') return stopped ?? skip({ reason: 'not run' });
  const { granted, denied, stale } = r.output.lab07 ?? {};
  if (!granted || !denied || !stale) return fail({ found: 'the harness made no readWhenGranted call', expected: 'three readWhenGranted calls', fix: 'Report this as a milab bug.' });
  return { granted, denied, stale };
}

/** The lab's checks, grading `program` (default: the learner's starter/vm.ts) after lab 03's `previous`. */
export function checks07(program: string = lab.vmProgram?.starter ?? lab.starter, previous: Grader = grader03): Check<GraderContext>[] {
  const run = (ctx: GraderContext) => runOnLabVm(ctx, '07', program);

  const canRead: Check<GraderContext> = {
    id: '07.can-read',
    title: 'The app identity holds a role that lets it read the lab VM',
    weight: 2,
    dependsOn: ['07.lab-03-done'],
    async run(ctx) {
      const { names } = ctx;
      const app = await requireApp(ctx);
      if ('status' in app) return app;
      const assignments = await appAssignments(ctx, app);
      const covering = assignments.filter((a) => covers(a.scope, names.vmId));
      if (covering.length > 0) return pass({ details: covering.map((a) => `${a.role} at ${whereIs(ctx, a.scope)}`).join('; ') });
      const elsewhere = assignments;
      const grant = both(grantReaderAt(names, names.vmId, app.principalId!));
      return fail({
        found: `${names.appIdentity} (principal ${app.principalId}) holds no role on ${names.vm}${
          elsewhere.length > 0 ? `: its ${elsewhere.map((a) => `${a.role} at ${whereIs(ctx, a.scope)}`).join(', ')} does not cover the VM` : ''
        }. It gets tokens all the same: a token proves who calls, and ARM decides what the caller may do from role assignments, so it answers 403 AuthorizationFailed`,
        expected: `Reader at the VM's own scope, ${names.vmId}, for principal ${app.principalId} (principalType ServicePrincipal)`,
        fix: `Assign it: ${grant}, or complete the TODO in labs/07-authorization-is-separate/starter/index.ts and run it (see the lab README).`,
      });
    },
  };

  const leastPrivilege: Check<GraderContext> = {
    id: '07.least-privilege',
    title: 'Nothing more than Reader on that one VM (least privilege)',
    weight: 2,
    dependsOn: ['07.can-read'],
    async run(ctx) {
      const { names } = ctx;
      const app = await requireApp(ctx);
      if ('status' in app) return app;
      const assignments = await appAssignments(ctx, app);
      const narrow = (a: AssignmentView) => a.roleGuid === ROLE_IDS.Reader && atScope(a, names.vmId);
      const extra = assignments.filter((a) => !narrow(a));
      if (extra.length === 0) return pass({ details: `Reader at ${names.vmId}, and no other role` });
      const grant = assignments.some(narrow) ? '' : `Assign Reader on the VM (${both(grantReaderAt(names, names.vmId, app.principalId!))}), then remove `;
      const removals = extra.map((a) => both(deleteAssignment(a.id))).join(', ');
      const powerful = extra.filter((a) => a.roleGuid === ROLE_IDS.Owner || a.roleGuid === ROLE_IDS.Contributor);
      const wider = extra.filter((a) => a.roleGuid === ROLE_IDS.Reader && !atScope(a, names.vmId));
      const described = extra.map((a) => `${a.role} at ${whereIs(ctx, a.scope)}`).join(', ');
      let why: string;
      if (powerful.length > 0) {
        why = `${powerful.map((a) => a.role).join(' and ')} where Reader suffices: ${powerful.some((a) => a.roleGuid === ROLE_IDS.Owner) ? 'Owner may change and delete everything in its scope and grant access to anyone' : 'Contributor may change and delete everything in its scope'} — and anything that runs on the VM can use the identity`;
      } else if (wider.length > 0) {
        why = `Reader at a wider scope than the one resource the app reads: ${wider.map((a) => whereIs(ctx, a.scope)).join(' and ')} lets it read every resource there`;
      } else {
        why = `${extra.map((a) => a.role).join(', ')}: ${extra.every((a) => a.readOnly) ? 'more reading than the app needs' : 'a role that allows more than reading'}`;
      }
      return fail({
        found: `${names.appIdentity} holds ${described}: ${why}`,
        expected: `only Reader at ${names.vmId}: the read-only role at the narrowest scope that makes the app's one read succeed`,
        fix: `${grant ? grant : 'Remove '}${extra.length === 1 ? 'it' : 'them'}: ${removals}.`,
      });
    },
  };

  const readsWhenGranted: Check<GraderContext> = {
    id: '07.reads-when-granted',
    title: 'readWhenGranted reads the VM, waiting out an assignment not in effect yet',
    weight: 2,
    dependsOn: ['07.can-read'],
    async run(ctx) {
      const got = reads(await run(ctx));
      if ('status' in got) return got;
      const call = got.granted;
      const holding = ctx.config.target === 'emulator';
      const under = holding ? ` while the emulator held its Reader assignment back for ${HOLD_SECONDS} s from the first request (as a new assignment is, on Azure, for up to about 10 minutes)` : '';
      const seen = `${call.attempts.length} request${call.attempts.length === 1 ? '' : 's'} to ARM (${statuses(call.attempts)}) in ${seconds(call.elapsedMs)}`;
      if (call.ok) {
        if (ownToken(call)) return fail({ found: `readWhenGranted read the VM with a token it got itself, not from getAccessToken: ${seen}`, ...OWN_TOKEN });
        if (call.resourceId !== undefined && !sameArmId(call.resourceId, ctx.names.vmId)) {
          return fail({ found: `readWhenGranted returned ${call.resourceId}`, expected: `the JSON ARM answers for ${ctx.names.vmId}`, fix: 'Return the body of the 200 answer, as it came.' });
        }
        return pass({ details: `${seen}${holding ? `, the assignment held back ${HOLD_SECONDS} s` : ' (on Azure nothing can be held back: only the read is checked)'}` });
      }
      if (/exports no readWhenGranted/.test(call.message ?? '')) {
        return fail({ found: call.message ?? 'no readWhenGranted', expected: `${FILE} to export readWhenGranted(ctx, url, getAccessToken, options)`, fix: `Restore it from the starter: \`./milab reset 07\`.` });
      }
      const forbiddenCount = call.attempts.filter(forbidden).length;
      if (call.timedOut) {
        return fail({
          found: `readWhenGranted did not return within ${seconds(LAB07_TIMES.grantedDeadlineMs + LAB07_TIMES.graceMs)} (its deadline was ${seconds(LAB07_TIMES.grantedDeadlineMs)})${under}: ${seen}`,
          expected: `the VM once the assignment is in effect (after ${HOLD_SECONDS} s), or a NotGrantedError at the deadline`,
          fix: 'Keep the waits short at first and doubling (1 s, 2 s, 4 s …), never sleep past the deadline (`Math.min(wait, deadline - Date.now())`), and return the body of the first 200.',
        });
      }
      const said = `readWhenGranted threw ${call.errorName}: "${call.message}"`;
      if (forbiddenCount === 1 && call.attempts.length === 1) {
        return fail({
          found: `403 treated as fatal: ${said} — after one request (${seconds(call.elapsedMs)})${under ? `,${under}` : ''}`,
          expected: '403 AuthorizationFailed taken as "not granted (yet)": said so, waited, asked again, until the deadline',
          fix: `In ${FILE}, loop: on 403 AuthorizationFailed \`ctx.log\` that it is not granted (yet), \`await sleep(wait)\`, double the wait, and try again with a new token; throw NotGrantedError only once the deadline has passed.`,
        });
      }
      if (forbiddenCount > 1 && call.elapsedMs < LAB07_TIMES.grantedDeadlineMs - 500) {
        return fail({
          found: `readWhenGranted gave up after ${seconds(call.elapsedMs)}, before its deadline of ${seconds(LAB07_TIMES.grantedDeadlineMs)}${under}: ${said}; ${seen}`,
          expected: 'retries until the deadline it is given (options.deadlineMs): a new assignment takes its time',
          fix: 'Give up only when `Date.now()` has passed `started + options.deadlineMs`, not after a fixed number of attempts.',
        });
      }
      if (forbiddenCount > 0 && !holding) {
        return fail({
          found: `ARM refused the read for as long as readWhenGranted tried: ${said}; ${seen}`,
          expected: 'the read to succeed once the Reader assignment is in effect',
          fix: 'If you granted Reader on the VM just now, it can take up to 10 minutes to take effect: grade again then. Else check `07.can-read`.',
        });
      }
      return fail({ found: `${said}; ${seen}${under}`, expected: 'the JSON of the lab VM', fix: `Run it on the VM to see the whole error: \`${RUN}\`.` });
    },
  };

  const backoff: Check<GraderContext> = {
    id: '07.backoff',
    title: 'It says "not granted (yet)" and backs off between attempts',
    dependsOn: ['07.reads-when-granted'],
    async run(ctx) {
      const got = reads(await run(ctx));
      if ('status' in got) return got;
      const attempts = [...got.granted.attempts, ...got.denied.attempts];
      const refused = got.granted.attempts.filter(forbidden).length;
      if (refused === 0) {
        return skip({
          reason: ctx.config.target === 'emulator' ? 'ARM answered no 403 to the read (no ARM request was seen)' : 'on Azure no assignment can be held back, and ARM answered no 403 this time: the backoff is judged on the emulator',
        });
      }
      const waits = [...waitsAfter403(got.granted.attempts), ...waitsAfter403(got.denied.attempts)];
      const shortest = waits.length > 0 ? Math.min(...waits) : Infinity;
      if (refused > MAX_403_DURING_HOLD || shortest < MIN_WAIT_AFTER_403_MS) {
        return fail({
          found: `403 retried without backoff: ${refused} requests answered 403 AuthorizationFailed in ${seconds(got.granted.elapsedMs)} (the shortest wait after a 403: ${Number.isFinite(shortest) ? `${shortest} ms` : 'none'}); ${attempts.filter(forbidden).length} in all`,
          expected: `a wait after every 403, growing: 1 s, 2 s, 4 s … (at most ${MAX_403_DURING_HOLD} requests in a ${HOLD_SECONDS} s wait). Hammering ARM gets the identity throttled (429) and does not make the assignment arrive sooner`,
          fix: 'After each 403: `await sleep(wait); wait = Math.min(wait * 2, 60_000)`, starting at 1 s.',
        });
      }
      if (!/not (yet )?granted|authori[sz]ation|403/i.test(got.granted.logged)) {
        return fail({
          found: `readWhenGranted waited through ${refused} 403s without a word (nothing on stderr said so)`,
          expected: 'a line for each 403 saying the identity is not granted (yet) and when it tries again: whoever watches the program must know it is waiting for a role, not hanging',
          fix: "On each 403: `ctx.log(`403 AuthorizationFailed: not granted (yet) — trying again in ${wait / 1000} s`)`.",
        });
      }
      return pass({ details: `${refused} × 403, waits of ${waitsAfter403(got.granted.attempts).map((w) => seconds(w)).join(', ')}` });
    },
  };

  const givesUp: Check<GraderContext> = {
    id: '07.gives-up',
    title: 'On a resource never granted, it gives up at its time limit and says why',
    dependsOn: ['07.can-read'],
    async run(ctx) {
      const got = reads(await run(ctx));
      if ('status' in got) return got;
      const call = got.denied;
      const { names } = ctx;
      const limit = LAB07_TIMES.deniedDeadlineMs;
      const seen = `${call.attempts.length} request${call.attempts.length === 1 ? '' : 's'} (${statuses(call.attempts)}) in ${seconds(call.elapsedMs)}`;
      if (call.ok) {
        return fail({
          found: `readWhenGranted read resource group ${names.resourceGroup}: ${names.appIdentity} may read more than its VM`,
          expected: `403 AuthorizationFailed for the group, where the app identity has no role`,
          fix: 'Remove the wider assignment (`07.least-privilege` gives the command).',
        });
      }
      if (ownToken(call)) return fail({ found: `readWhenGranted used a token it got itself, not from getAccessToken: ${seen}`, ...OWN_TOKEN });
      if (call.timedOut) {
        return fail({
          found: `403 retried forever: readWhenGranted was still trying ${seconds(limit + LAB07_TIMES.graceMs)} after it was called with a deadline of ${seconds(limit)}, for ${names.resourceGroup}, where the identity has no role: ${seen}`,
          expected: `a NotGrantedError soon after ${seconds(limit)}: a role that was never granted never arrives, and a program that waits forever hides that`,
          fix: 'Stop at the deadline: before each wait, `if (Date.now() >= deadline) throw new NotGrantedError(attempt, Date.now() - started, error.message)`.',
        });
      }
      if (call.elapsedMs < limit * 0.75) {
        return fail({
          found: `readWhenGranted gave up after ${seconds(call.elapsedMs)}, before its deadline of ${seconds(limit)}: ${seen}`,
          expected: 'retries until the deadline it is given, then a NotGrantedError',
          fix: 'Retry 403 until `options.deadlineMs` has passed (see `07.reads-when-granted`).',
        });
      }
      const message = call.message ?? '';
      if (!/not (yet )?granted|AuthorizationFailed|403/i.test(message) || /\[object Object\]/.test(message)) {
        return fail({
          found: `readWhenGranted gave up in time, but its error does not say why: ${call.errorName}: "${message}"`,
          expected: "an error that says the identity is not granted (yet), with ARM's 403 AuthorizationFailed message (it names the client, the action and the scope)",
          fix: 'Throw `new NotGrantedError(attempt, waitedMs, error.message)`.',
        });
      }
      return pass({ details: `${call.errorName} after ${seen}: "${message.slice(0, 120)}…"` });
    },
  };

  const freshToken: Check<GraderContext> = {
    id: '07.fresh-token',
    title: 'When ARM refuses the token itself (401), it gets a new one',
    dependsOn: ['07.reads-when-granted'],
    async run(ctx) {
      const got = reads(await run(ctx));
      if ('status' in got) return got;
      const call = got.stale;
      if (call.attempts.length === 0) return skip({ reason: `no ARM request of readWhenGranted was seen${call.ok ? '' : ` (it ended with ${call.errorName}: "${call.message}")`}` });
      if (ownToken(call)) return fail({ found: 'readWhenGranted used a token it got itself, not from getAccessToken', ...OWN_TOKEN });
      const tokens = new Set(call.attempts.map((a) => a.token));
      const seen = `${call.attempts.length} request${call.attempts.length === 1 ? '' : 's'} (${statuses(call.attempts)}) with ${tokens.size} token${tokens.size === 1 ? '' : 's'} in ${seconds(call.elapsedMs)}`;
      const scene = `getAccessToken's first token was for ${OTHER_RESOURCE} (as a token cache keyed by identity alone hands out), and ARM refused it: 401 InvalidAuthenticationTokenAudience`;
      if (call.ok && tokens.size > 1) return pass({ details: `${seen}: a new token after the 401` });
      if (call.ok) return pass({ details: seen });
      if (tokens.size === 1 && call.attempts.length > 1) {
        return fail({
          found: `the token cached past the refusal: ${scene}, and readWhenGranted sent that same token again ${call.attempts.length - 1} time${call.attempts.length > 2 ? 's' : ''}${call.timedOut ? ' until the harness stopped waiting' : `, then threw ${call.errorName}: "${call.message}"`}`,
          expected: 'a new token from getAccessToken for every attempt: when the token itself is the problem (401: expired, another audience, an identity deleted and re-created) no wait and no role grant fixes it, a new token does',
          fix: 'Move `const token = await getAccessToken()` inside the loop, at the top of each attempt; on 401 try again at once, once.',
        });
      }
      return fail({
        found: `gave up on the 401: ${scene}, and readWhenGranted threw ${call.errorName}: "${call.message}" (${seen})`,
        expected: 'a 401 taken as "the token is refused": ask getAccessToken for a new one and try again, once, at once (a 403 is the other case: the token is fine, the role is missing)',
        fix: 'On 401: `continue` the loop once, so that the next attempt gets a new token; give up on a second 401.',
      });
    },
  };

  const noTokenInOutput: Check<GraderContext> = {
    ...noTokenInOutputCheck('07', program, '07.can-read', 'Log the status and ARM\'s error code, never the request headers (the Authorization header holds the token) or the token.'),
    // A program that does not run yet prints no token either: the point comes with the work.
    earnsWith: ['07.reads-when-granted'],
  };

  return [labDone('07.lab-03-done', previous), canRead, leastPrivilege, readsWhenGranted, backoff, givesUp, freshToken, noTokenInOutput];
}

/** Lab 07's grader for `program` (its VM part; default: the learner's starter/vm.ts), after lab 03's `previous`. */
export function createGrader07(program?: string, previous?: Grader): Grader {
  return defineGrader('07', checks07(program, previous), '07.reads-when-granted');
}

export const grader = createGrader07();
export default grader;

await runGraderIfMain(import.meta.url, grader);
