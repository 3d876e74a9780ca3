#!/usr/bin/env -S node --conditions=source --import tsx
// Grader for lab 04: runs the learner's getToken *on the lab VM* (graders/lib/vm.ts) and checks
// the token it returns without ever printing it: `aud` is ARM, `oid` and `xms_mirid` are the
// lab 01 identity's, `tid` the tenant, not expired; that nothing the program writes contains a
// token; that it survives IMDS answering 429 then 503 (emulator only: faults cannot be injected on
// Azure); and that a 400 from IMDS reaches the caller as IMDS's own words. Reads only (on the
// emulator it queues IMDS faults through the emulator's profile endpoint while it runs).
// Run alone: node --conditions=source --import tsx graders/04-imds-token.ts [--json] [--junit FILE]
import { fail, pass, skip, type Check } from '@milab/grading';
import { findLab, sameArmId } from '@milab/labs';
import grader03, { describeStale, staleAttachment } from './03-attach-to-vm.js';
import type { GraderContext } from './lib/context.js';
import { defineGrader, labDone, type Grader } from './lib/grader.js';
import { runGraderIfMain } from './lib/main.js';
import { FAULTS, noTokenInOutputCheck, notRanOutcome, runCommand, runOnLabVm } from './lib/vm.js';
import type { CallOutcome } from './lib/vm-protocol.js';

const lab = findLab('04');
const RUN = runCommand('04');

/** Known names of principals a token may wrongly be for. */
async function whoIs(ctx: GraderContext, oid: string): Promise<string> {
  const vm = await ctx.vm();
  if (vm?.systemPrincipalId && vm.systemPrincipalId === oid.toLowerCase()) return `the system-assigned identity of ${vm.name}`;
  const app = await ctx.identityNamed(ctx.names.appIdentity);
  if (app?.principalId === oid.toLowerCase()) return `${app.name}, the other identity attached to ${ctx.names.vm}`;
  return `principal ${oid}`;
}

/**
 * Why a getToken call failed, in the learner's terms. `stale` is set when the VM holds the
 * identity as it was before it was deleted and re-created (what lab 03 checks): IMDS then does
 * not know the client id the code correctly sends, and the code is not to blame.
 */
export function diagnose(
  call: Extract<CallOutcome, { ok: false }>,
  clientId: string | undefined,
  stale?: string,
): { found: string; expected: string; fix: string } {
  const said = `getToken threw ${call.errorName}: "${call.message}"`;
  if (/TODO:/.test(call.message)) {
    return { found: 'getToken still throws the starter\'s TODO', expected: 'getToken to request a token from IMDS', fix: 'Complete the TODOs in labs/04-imds-token/starter/index.ts (`./milab hint 04`).' };
  }
  if (call.requests.some((r) => !r.metadataHeader) || /metadata header/i.test(call.message)) {
    return {
      found: `the request to IMDS had no \`Metadata: true\` header, and IMDS refused it (400 "Required metadata header not specified"); ${said}`,
      expected: 'every IMDS request to carry the header `Metadata: true`',
      fix: "Add it: `request(url, { method: 'GET', headers: { Metadata: 'true' } })`. IMDS requires it so that a server tricked into fetching a URL (SSRF) cannot get tokens: such requests cannot set headers.",
    };
  }
  if (/multiple user assigned identities/i.test(call.message) || (call.requests.length > 0 && call.requests.every((r) => !r.clientId))) {
    return {
      found: `the request did not choose an identity (no client_id) while the VM has several attached; ${said}`,
      expected: `client_id=${clientId ?? '<your identity\'s client id>'} in the query, so that IMDS returns a token for your identity`,
      fix: "Put the client id in the query: `if (clientId) url.searchParams.set('client_id', clientId)`.",
    };
  }
  if (/identity not found/i.test(call.message) && stale !== undefined) {
    return {
      found: `IMDS does not know the identity asked for (${said}), and not because of your code: ${stale}. IMDS on the VM knows only the old identity`,
      expected: `the VM to hold your identity as it is now (lab 03), so that IMDS knows client_id=${clientId ?? '<client id>'}`,
      fix: 'Your getToken sends the right client id. Attach the identity to the VM again: `./milab grade 03` says how (detach the stale entry, attach the identity); then grade lab 04 again.',
    };
  }
  if (/identity not found/i.test(call.message)) {
    return { found: `IMDS does not know the identity asked for; ${said}`, expected: `client_id=${clientId ?? '<client id>'} (your identity's client id, not its principal id)`, fix: 'Send the clientId you are given as client_id, unchanged.' };
  }
  if (call.timedOut) return { found: `getToken did not return: ${call.message}`, expected: 'a token within a few seconds', fix: 'Check that the loop ends: give up after a few attempts, and only retry 404, 410, 429 and 5xx.' };
  return { found: said, expected: 'a token from IMDS for https://management.azure.com/', fix: `Run it on the VM to see the whole error: \`${RUN}\`.` };
}

/** The lab's checks, grading `program` (default: the learner's starter). */
export function checks04(program: string = lab.starter): Check<GraderContext>[] {
  const run = (ctx: GraderContext) => runOnLabVm(ctx, '04', program);
  const token = async (ctx: GraderContext) => {
    const r = await run(ctx);
    return r.kind === 'ran' && r.output.token?.ok ? r.output.token : undefined;
  };

  const tokenObtained: Check<GraderContext> = {
    id: '04.token-obtained',
    title: 'getToken gets a token from IMDS on the VM',
    weight: 2,
    dependsOn: ['04.lab-03-done'],
    async run(ctx) {
      const r = await run(ctx);
      const stopped = notRanOutcome(r, '04');
      if (stopped || r.kind !== 'ran') return stopped ?? skip({ reason: 'not run' });
      const call = r.output.token;
      if (!call) return fail({ found: 'the harness made no call', expected: 'a getToken call', fix: 'Report this as a milab bug.' });
      if (call.ok) return pass({ details: `token sha256:${call.fingerprint} (aud ${String(call.claims.aud)})` });
      const identity = await ctx.identity();
      const vm = await ctx.vm();
      const stale = vm && identity ? staleAttachment(vm, identity) : undefined;
      return fail(diagnose(call, identity?.clientId, vm && stale ? describeStale(vm, stale) : undefined));
    },
  };

  const audience: Check<GraderContext> = {
    id: '04.audience',
    title: 'The token is for Azure Resource Manager (aud)',
    dependsOn: ['04.token-obtained'],
    async run(ctx) {
      const call = await token(ctx);
      if (!call) return skip({ reason: 'no token' });
      const aud = String(call.claims.aud ?? '');
      if (/^https:\/\/management\.azure\.com\/?$/i.test(aud)) return pass({ details: `aud ${aud}` });
      const what = /graph\.microsoft\.com/i.test(aud) ? ' (Microsoft Graph)' : '';
      return fail({
        found: `the token's aud is ${aud || 'missing'}${what}: getToken asked IMDS for the wrong resource`,
        expected: 'aud https://management.azure.com/ (ARM): lab 05 calls ARM with it, and ARM refuses a token meant for another service',
        fix: "Send the resource you are given: `url.searchParams.set('resource', resource)` (main passes https://management.azure.com/).",
      });
    },
  };

  const identityCheck: Check<GraderContext> = {
    id: '04.identity',
    title: 'The token is for your identity (oid, xms_mirid, tid)',
    weight: 2,
    dependsOn: ['04.token-obtained'],
    async run(ctx, tools) {
      const call = await token(ctx);
      // No token: say why, as 04.token-obtained does (lab 05's "lab 04 is done" check quotes it).
      if (!call) return tokenObtained.run(ctx, tools);
      const identity = await ctx.identity();
      if (!identity) return skip({ reason: `the identity ${ctx.names.identity} does not exist (lab 01)` });
      const oid = String(call.claims.oid ?? '');
      const mirid = String(call.claims.xms_mirid ?? '');
      const tid = String(call.claims.tid ?? '');
      if (oid.toLowerCase() !== identity.principalId) {
        return fail({
          found: `the token is for ${await whoIs(ctx, oid)} (oid ${oid}), not for ${identity.name} (principal ${identity.principalId})`,
          expected: `oid ${identity.principalId} and xms_mirid ${identity.id}`,
          fix: `Choose your identity: put client_id=${identity.clientId ?? '<client id>'} in the query (\`url.searchParams.set('client_id', clientId)\`). Without it IMDS picks the system-assigned identity, or refuses when several are attached.`,
        });
      }
      if (!sameArmId(mirid, identity.id)) {
        return fail({ found: `xms_mirid is ${mirid || 'missing'}`, expected: `xms_mirid ${identity.id}`, fix: 'Request the token through IMDS on the VM, for your user-assigned identity.' });
      }
      const tenant = ctx.config.tenantId;
      if (tenant && tid.toLowerCase() !== tenant.toLowerCase()) {
        return fail({ found: `tid is ${tid}`, expected: `the tenant ${tenant}`, fix: 'Grade on the VM of the configured subscription and tenant (`./milab config show`).' });
      }
      return pass({ details: `oid ${oid}, xms_mirid ${mirid}, tid ${tid}` });
    },
  };

  const notExpired: Check<GraderContext> = {
    id: '04.not-expired',
    title: 'The token is valid now (nbf, exp)',
    dependsOn: ['04.token-obtained'],
    async run(ctx) {
      const call = await token(ctx);
      if (!call) return skip({ reason: 'no token' });
      const now = Date.now() / 1000;
      const exp = Number(call.claims.exp);
      const nbf = Number(call.claims.nbf ?? 0);
      if (Number.isFinite(exp) && exp > now + 60 && nbf <= now + 300) return pass({ details: `expires ${new Date(exp * 1000).toISOString()}` });
      return fail({
        found: Number.isFinite(exp) ? `the token expires ${new Date(exp * 1000).toISOString()} (not before ${new Date(nbf * 1000).toISOString()})` : 'the token has no exp claim',
        expected: 'a token valid for at least another minute',
        fix: 'Return the token IMDS just issued; do not keep old tokens past expires_on.',
      });
    },
  };

  const noTokenInOutput = noTokenInOutputCheck(
    '04',
    program,
    '04.token-obtained',
    'Remove the console.log of the token or of the whole IMDS answer; print `decodeClaims(token.accessToken)` (the claims) instead, as main does.',
  );

  const retries: Check<GraderContext> = {
    id: '04.retries',
    title: `getToken survives IMDS answering ${FAULTS.join(' then ')} (retry with backoff)`,
    dependsOn: ['04.token-obtained'],
    async run(ctx) {
      const r = await run(ctx);
      if (r.kind !== 'ran') return skip({ reason: 'not run' });
      if (!r.faultsInjected || !r.output.faults) return skip({ reason: 'IMDS faults can only be injected on the emulator; on Azure this check is not made' });
      const call = r.output.faults;
      if (call.ok && call.elapsedMs >= 1000) return pass({ details: `a token after ${call.requests.length || 'several'} requests in ${(call.elapsedMs / 1000).toFixed(1)} s` });
      if (call.ok) {
        return fail({
          found: `getToken retried at once: it got a token ${call.elapsedMs} ms after IMDS answered ${FAULTS.join(' then ')}`,
          expected: 'a wait between attempts: at least 1 s after a 5xx, and Retry-After after a 429',
          fix: 'Wait before each retry with exponential backoff: `await sleep(Math.max(retryAfterMs, 1000 * 2 ** (attempt - 1)))`.',
        });
      }
      if (call.timedOut) {
        return fail({
          found: `getToken had no token ${call.message} while IMDS answered ${FAULTS.join(' then ')} and then recovered`,
          expected: 'a token within a few seconds: IMDS recovers from a throttle or an outage in about a second',
          fix: 'Start the backoff at about a second and double it (1 s, 2 s, 4 s …), honouring Retry-After; give up after a few attempts.',
        });
      }
      return fail({
        found: `getToken gave up when IMDS answered ${FAULTS[0]} Too Many Requests (then ${FAULTS[1]}), after ${call.requests.length || 'one'} request${call.requests.length > 1 ? 's' : ''}: "${call.message}"`,
        expected: `a token in the end: IMDS answers 429 over 20 requests/s or 5 at once per VM, and 5xx or 410 while it is updating`,
        fix: 'Retry 404, 410, 429 and 5xx with exponential backoff (1 s, 2 s, 4 s …, honouring Retry-After), a few times; never retry other 4xx.',
      });
    },
  };

  const clearErrors: Check<GraderContext> = {
    id: '04.clear-errors',
    title: "An IMDS 400 reaches the caller in IMDS's words",
    dependsOn: ['04.token-obtained'],
    async run(ctx) {
      const r = await run(ctx);
      if (r.kind !== 'ran' || !r.output.badResource) return skip({ reason: 'not run' });
      const call = r.output.badResource;
      if (call.ok) return fail({ found: 'getToken returned a token for a resource that does not exist', expected: 'an error', fix: 'Send the resource you are given.' });
      if (/invalid_resource|AADSTS500011|400/.test(call.message) && !/\[object Object\]/.test(call.message)) return pass({ details: `"${call.message.slice(0, 160)}"` });
      return fail({
        found: `asked for a resource Entra does not know, getToken threw ${call.errorName}: "${call.message}"`,
        expected: "the status and IMDS's error and error_description in the message (400 invalid_resource: AADSTS500011 …), so that whoever reads it knows what to fix",
        fix: 'On a status other than 200, parse the body and throw `new ImdsTokenError(status, body.error, body.error_description, attempt)`.',
      });
    },
  };

  return [labDone('04.lab-03-done', grader03), tokenObtained, audience, identityCheck, notExpired, noTokenInOutput, retries, clearErrors];
}

/** Lab 04's grader for `program` (default: the learner's starter). */
export function createGrader04(program?: string): Grader {
  return defineGrader('04', checks04(program), '04.identity');
}

export const grader = createGrader04();
export default grader;

await runGraderIfMain(import.meta.url, grader);
