#!/usr/bin/env -S node --conditions=source --import tsx
// Grader for lab 05: runs the learner's program *on the lab VM* (graders/lib/vm.ts), with the
// lab 04 getToken it imports, and checks that what it prints is the lab resource group and the
// resources in it, as the grader reads them; and that it prints no token. Reads only.
// Run alone: node --conditions=source --import tsx graders/05-call-arm.ts [--json] [--junit FILE]
import { fail, pass, skip, type Check } from '@milab/grading';
import { findLab, sameArmId } from '@milab/labs';
import grader04 from './04-imds-token.js';
import type { GraderContext } from './lib/context.js';
import { defineGrader, labDone, type Grader } from './lib/grader.js';
import { runGraderIfMain } from './lib/main.js';
import { FAULTS, noTokenInOutputCheck, notRanOutcome, runCommand, runOnLabVm } from './lib/vm.js';

const lab = findLab('05');
const RUN = runCommand('05');

/** The JSON the program printed on stdout, or why it is not there. */
function printed(stdout: string): { value: { resourceGroup?: { id?: string; name?: string; location?: string }; resources?: { id?: string }[] } } | { problem: string } {
  const text = stdout.trim();
  if (text === '') return { problem: 'the program printed nothing on stdout' };
  for (const candidate of [text, text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1)]) {
    try {
      return { value: JSON.parse(candidate) as never };
    } catch {
      // Try the next reading.
    }
  }
  return { problem: `what the program printed on stdout is not JSON: "${text.slice(0, 120)}…"` };
}

/** Why main failed, in the learner's terms. */
function diagnose(error: string): { found: string; expected: string; fix: string } {
  const found = `main threw: "${error}"`;
  if (/TODO:/.test(error)) return { found: "the program still throws the starter's TODO", expected: 'main to call ARM', fix: 'Complete the TODOs in labs/05-call-arm/starter/index.ts (`./milab hint 05`).' };
  if (/AuthorizationFailed|403/.test(error)) {
    return {
      found: `${found}: ARM refused the identity (403 AuthorizationFailed)`,
      expected: 'the identity to hold Reader on the subscription (lab 02)',
      fix: 'Check lab 02 (`./milab grade 02`). If Reader was granted just now, RBAC can take minutes to apply and a token issued before the grant still carries the old view: get a fresh token (bypass_cache=true, or wait for the cached one to expire) and try again.',
    };
  }
  if (/\b(429|503)\b|too many requests|temporarily unavailable/i.test(error)) {
    return {
      found: `${found}: getToken (lab 04) gave up when IMDS answered ${FAULTS.join(' then ')}`,
      expected: `a token in the end: the grader runs the program with IMDS answering ${FAULTS.join(' then ')} first, as on a busy VM`,
      fix: 'Retry 404, 410, 429 and 5xx with exponential backoff in getToken (lab 04, `04.retries`).',
    };
  }
  // ARM's words for a header that is not `Bearer <token>` (the emulator's, quoted from ARM in
  // packages/emulator/src/errors.ts): "The 'Authorization' header is provided in an invalid format."
  if (/AuthenticationFailed/.test(error) && /invalid format/i.test(error)) {
    return {
      found: `${found}: ARM refused the request (401 AuthenticationFailed) because the Authorization header is not in the form \`Bearer <token>\`: the word Bearer and a space before the token are missing`,
      expected: 'the header `Authorization: Bearer <token>`: the scheme, a space, then the access token',
      fix: 'Send the header exactly `Authorization: Bearer ${accessToken}`: the word Bearer, a space, then the token.',
    };
  }
  if (/InvalidAuthenticationToken|401/.test(error)) {
    return { found: `${found}: ARM refused the token (401)`, expected: 'a token for https://management.azure.com/ in `Authorization: Bearer <token>`', fix: 'Send the header exactly `Authorization: Bearer ${token.accessToken}`, with a token for ARM (lab 04).' };
  }
  return { found, expected: 'main to print the resource group and its resources', fix: `Run it on the VM to see the whole error: \`${RUN}\`.` };
}

/** The lab's checks, grading `program` (default: the learner's starter) and lab 04 with `grader04`. */
export function checks05(program: string = lab.starter, previous: Grader = grader04): Check<GraderContext>[] {
  const run = (ctx: GraderContext) => runOnLabVm(ctx, '05', program);
  const output = async (ctx: GraderContext) => {
    const r = await run(ctx);
    if (r.kind !== 'ran' || !r.output.main?.ok) return undefined;
    return printed(r.output.main.stdout);
  };

  const programRuns: Check<GraderContext> = {
    id: '05.program-runs',
    title: 'The program calls ARM on the VM and prints JSON',
    dependsOn: ['05.lab-04-done'],
    async run(ctx) {
      const r = await run(ctx);
      const stopped = notRanOutcome(r, '05');
      if (stopped || r.kind !== 'ran') return stopped ?? skip({ reason: 'not run' });
      const main = r.output.main;
      if (!main?.ok) return fail(diagnose(main?.error ?? 'no result'));
      const json = printed(main.stdout);
      if ('problem' in json) return fail({ found: json.problem, expected: 'one JSON document on stdout: { "resourceGroup": …, "resources": [ … ] } (progress lines go to stderr with ctx.log)', fix: 'Print only `JSON.stringify({ resourceGroup, resources }, null, 2)` with console.log.' });
      return pass({ details: `printed ${main.stdout.length} characters of JSON` });
    },
  };

  const resourceGroup: Check<GraderContext> = {
    id: '05.resource-group',
    title: 'It printed the lab resource group, as ARM has it',
    dependsOn: ['05.program-runs'],
    async run(ctx) {
      const json = await output(ctx);
      if (!json || 'problem' in json) return skip({ reason: 'no JSON printed' });
      const expected = await ctx.resourceGroup();
      if (!expected) return skip({ reason: `the grader cannot read the resource group ${ctx.names.resourceGroup}` });
      const got = json.value.resourceGroup;
      if (got && sameArmId(got.id, expected.id) && got.name?.toLowerCase() === expected.name.toLowerCase() && got.location === expected.location) {
        return pass({ details: `${expected.id} (${expected.location})` });
      }
      return fail({
        found: got ? `resourceGroup ${JSON.stringify({ id: got.id, name: got.name, location: got.location })}` : 'no resourceGroup in the JSON',
        expected: `the answer of GET ${expected.id}: ${JSON.stringify(expected)}`,
        fix: 'GET `/subscriptions/${ctx.names.subscriptionId}/resourceGroups/${ctx.names.resourceGroup}?api-version=2016-06-01` and print the body as `resourceGroup`.',
      });
    },
  };

  const resources: Check<GraderContext> = {
    id: '05.resources',
    title: 'It printed every resource in the group',
    weight: 2,
    dependsOn: ['05.program-runs'],
    async run(ctx) {
      const json = await output(ctx);
      if (!json || 'problem' in json) return skip({ reason: 'no JSON printed' });
      const expected = await ctx.resourcesInGroup();
      const got = Array.isArray(json.value.resources) ? json.value.resources.map((r) => String(r?.id ?? '')) : undefined;
      const missing = expected.filter((id) => !got?.some((g) => sameArmId(g, id)));
      const extra = (got ?? []).filter((g) => !expected.some((id) => sameArmId(g, id)));
      if (got && missing.length === 0 && extra.length === 0) return pass({ details: `${expected.length} resources` });
      return fail({
        found: got ? `${got.length} resources printed; missing ${missing.length}${missing.length ? ` (${missing.map((id) => id.split('/').pop()).join(', ')})` : ''}${extra.length ? `; not in the group: ${extra.join(', ')}` : ''}` : 'no resources list in the JSON',
        expected: `the ${expected.length} resources of ${ctx.names.resourceGroup}: ${expected.map((id) => id.split('/').pop()).join(', ')}`,
        fix: 'GET `${groupPath}/resources?api-version=2021-04-01`, collect `value` and follow `nextLink` until there is none; print them as `resources`.',
      });
    },
  };

  const noTokenInOutput: Check<GraderContext> = {
    ...noTokenInOutputCheck('05', program, '05.lab-04-done', 'Do not log the request headers (an Authorization header holds the token) or the token; log the URL and the status instead.'),
    // A program that does not run yet prints no token either: the point comes with the work.
    earnsWith: ['05.program-runs'],
  };

  return [labDone('05.lab-04-done', previous), programRuns, resourceGroup, resources, noTokenInOutput];
}

/** Lab 05's grader for `program` (default: the learner's starter), with lab 04's grader `previous`. */
export function createGrader05(program?: string, previous?: Grader): Grader {
  return defineGrader('05', checks05(program, previous), '05.resources');
}

export const grader = createGrader05();
export default grader;

await runGraderIfMain(import.meta.url, grader);
