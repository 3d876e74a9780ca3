// Lab 07's part of running a learner's program on the lab VM (vm.ts): what the harness asks its
// readWhenGranted to read, and, on the emulator, the RBAC hold that makes the app identity's role
// assignments — made long before grading — "not in effect yet" for a few seconds from its first
// request, as a new assignment is on Azure while it propagates (up to about 10 minutes). The hold
// goes through the emulator's profile endpoint (packages/emulator/src/rbac-holds.ts) and changes
// nothing of the world; it ends when the run ends, or by itself. On Azure nothing can be held
// back: the grader reads what it can (the read, giving up on a resource never granted, a token
// refused) and says so for the rest.
import { requireEmulator } from '@milab/core';
import type { callProfileAdmin as CallProfileAdmin } from '@milab/emulator';
import type { GraderContext } from './context.js';
import type { Lab07Input } from './vm-protocol.js';

/** The emulator's admin client, loaded only when lab 07 is graded there (as imds-front.ts does). */
const callProfileAdmin: typeof CallProfileAdmin = async (...args) => (await import('@milab/emulator')).callProfileAdmin(...args);

/** How long the emulator holds the app identity's assignments back, from its first request. */
export const HOLD_SECONDS = 4;
/**
 * The deadlines the harness gives readWhenGranted, and the grace past them: the held read must
 * get through a 4 s hold with waits of 1 s, 2 s, 4 s (done at about 7 s); the read of the group,
 * never granted, must give up within 2 s and the grace. The run fits in RUN_TIMEOUT_MS (27 s)
 * even when every call uses its full time.
 */
export const LAB07_TIMES = { grantedDeadlineMs: 8_000, deniedDeadlineMs: 2_000, staleDeadlineMs: 4_000, graceMs: 1_500 } as const;
/** The time limit of lab 07's main in the harness (it reads what the first call read already). */
export const LAB07_MAIN_TIMEOUT_MS = 3_000;
/** A resource IMDS gives tokens for that is not ARM: ARM refuses its tokens with 401 InvalidAuthenticationTokenAudience. */
export const OTHER_RESOURCE = 'https://storage.azure.com/';
/** The api-versions of the reads (a VM, a resource group). */
export const VM_API_VERSION = '2024-07-01';
export const GROUP_API_VERSION = '2021-04-01';

/** The app identity's ARM id (lab 03's setup creates it: `id-milab-<learner>-app`). */
export function appIdentityId(ctx: Pick<GraderContext, 'names'>): string {
  return `${ctx.names.resourceGroupScope}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${ctx.names.appIdentity}`;
}

/** What the harness asks lab 07's readWhenGranted to read, with ARM at `armEndpoint`. */
export function lab07Input(ctx: GraderContext, armEndpoint: string, holding: boolean): Lab07Input {
  const arm = armEndpoint.replace(/\/+$/, '');
  return {
    appIdentityId: appIdentityId(ctx),
    grantedUrl: `${arm}${ctx.names.vmId}?api-version=${VM_API_VERSION}`,
    deniedUrl: `${arm}${ctx.names.resourceGroupScope}?api-version=${GROUP_API_VERSION}`,
    otherResource: OTHER_RESOURCE,
    holdSeconds: holding ? HOLD_SECONDS : 0,
    ...LAB07_TIMES,
  };
}

/**
 * On the emulator, holds the app identity's role assignments back for {@link HOLD_SECONDS} from
 * its first request; returns how to end the hold, or `undefined` when there is nothing to hold
 * (another target, or no app identity).
 */
export async function holdAppAssignments(ctx: GraderContext): Promise<(() => Promise<void>) | undefined> {
  if (ctx.config.target !== 'emulator') return undefined;
  const app = await ctx.identityNamed(ctx.names.appIdentity);
  if (!app?.principalId) return undefined;
  const connection = requireEmulator(ctx.config);
  const answer = await callProfileAdmin(connection, { scope: { rbacHold: { principalId: app.principalId, seconds: HOLD_SECONDS }, ttlSeconds: 60 } });
  const id = answer.body.scope?.id;
  if (answer.status !== 200 || !id) {
    throw new Error(
      `the emulator did not hold ${ctx.names.appIdentity}'s role assignments back (${answer.status}: ${answer.body.error?.message ?? 'no hold in the answer'}); an emulator older than lab 07 has no RBAC holds: restart it: \`./milab emulator stop\`, then \`./milab emulator start --detach\``,
    );
  }
  return async () => {
    await callProfileAdmin(connection, { scope: { close: id } }).catch(() => undefined);
  };
}
