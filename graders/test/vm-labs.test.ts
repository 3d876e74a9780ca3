// Labs 04 and 05, whose programs run on the lab VM: the starters leave their graders failing, the
// solutions pass them, the solutions of 01-05 in order pass `grade all`, and each common mistake
// — a variant of the solution written to a temporary folder — fails the right check with the right
// message. On an in-process emulator; the programs run in child processes "on" labvm.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { callProfileAdmin, readAudit } from '@milab/emulator';
import { findLab } from '@milab/labs';
import type { GradeReport } from '@milab/grading';
import { createGrader04 } from '../04-imds-token.js';
import { createGrader05 } from '../05-call-arm.js';
import { createGraderContext, GRADERS, gradeLabs, type GraderContext } from '../index.js';
import { getTokenSource, runOnLabVm } from '../lib/vm.js';
import { failed, type LabWorld, result, said, useVmLabWorld, type VmLabWorld } from './support.js';

let vm: VmLabWorld;
let world: LabWorld;
let dir: string;
const lab04 = findLab('04');
const lab05 = findLab('05');

// One world for the file, labs 01–03 solved once: the tests share the grading context's runs.
useVmLabWorld(
  'test-',
  (started) => {
    vm = started;
    ({ world, dir } = started);
  },
  { reset: 'once' },
);

const grade = (...graders: Parameters<typeof gradeLabs>[0]): Promise<GradeReport> => vm.grade(...graders);
/** One grading context for several lab 05 grades: lab 04's run on the VM (the same program each time) is made once. */
let shared: GraderContext | undefined;
const gradeShared = async (...graders: Parameters<typeof gradeLabs>[0]): Promise<GradeReport> => {
  shared ??= await createGraderContext({ config: world.config, env: world.env });
  return (await gradeLabs(graders, { ctx: shared })).report;
};

/** Writes a variant of lab 04's solution with `edit` applied; returns its path. */
function variant04(name: string, edit: (source: string) => string): string {
  const source = readFileSync(lab04.solution, 'utf8');
  const changed = edit(source);
  expect(changed, `the ${name} edit changes the solution`).not.toBe(source);
  const file = join(dir, `${name}.ts`);
  writeFileSync(file, changed);
  return file;
}

/** The lab 04 mistakes, as edits of its solution: labs 04 and 05 are graded with each. */
const MISTAKES: Record<string, (source: string) => string> = {
  'no-metadata': (s) => s.replace("headers: { Metadata: 'true' }", 'headers: {}'),
  'graph': (s) => s.replace("url.searchParams.set('resource', resource)", "url.searchParams.set('resource', 'https://graph.microsoft.com/')"),
  'no-client-id': (s) => s.replace("if (clientId) url.searchParams.set('client_id', clientId);", ''),
  'printed': (s) => s.replace("const accessToken = String(body.access_token ?? '');", "const accessToken = String(body.access_token ?? '');\n      console.log('got token', accessToken);"),
  'no-retry': (s) => s.replace('if (!RETRIABLE(response.statusCode) || attempt >= MAX_ATTEMPTS) throw error;', 'throw error;'),
};
/** Lab 04's solution with a named mistake (the same file each time, so a shared context runs it once). */
const mistake04 = (name: string) => variant04(name, MISTAKES[name]!);

/** Writes a variant of lab 05's solution (importing lab 04's solution, or `getTokenFrom`) with `edit` applied. */
function variant05(name: string, edit: (source: string) => string, getTokenFrom = lab04.solution): string {
  const source = readFileSync(lab05.solution, 'utf8');
  const changed = edit(source);
  expect(changed, `the ${name} edit changes the solution`).not.toBe(source);
  const file = join(dir, `${name}.ts`);
  writeFileSync(file, changed.replace("'../../04-imds-token/solution/index.js'", JSON.stringify(getTokenFrom).replaceAll('"', "'")));
  return file;
}

/** Grades lab 04 with `program` in the shared context; returns the report. */
const grade04 = (program: string) => gradeShared(createGrader04(program));

describe('lab 04', () => {
  it('the starter fails 04.token-obtained with its TODO; the solution passes every check', async () => {
    const before = await grade(createGrader04(lab04.starter));
    expect(result(before, '04.token-obtained').status).toBe('fail');
    expect(said(result(before, '04.token-obtained'))).toContain("getToken still throws the starter's TODO");
    // Nothing to judge without a token: no vacuous pass.
    expect(result(before, '04.no-token-in-output').status).toBe('skip');
    // A learner practising with IMDS faults gets them back after grading, which queues its own.
    const connection = world.emulator.connection();
    await callProfileAdmin(connection, { set: { imdsFaults: '5%:410' } });
    const after = await grade(createGrader04(lab04.solution));
    expect(failed(after)).toEqual([]);
    expect(after.status).toBe('passed');
    expect(JSON.stringify(after)).not.toMatch(/eyJ[\w-]+\.eyJ/);
    expect((await callProfileAdmin(connection)).body.profile?.imdsFaults).toEqual({ sequence: [], rate: 0.05, statuses: [410] });
    await callProfileAdmin(connection, { set: { imdsFaults: 'off' } });
  }, 60_000);
});

describe('the whole course', () => {
  it('the solutions of 01-05 in order pass every lab graded together', async () => {
    world.reset();
    await world.solve('01', '02', '03');
    const graders = [...GRADERS.filter((g) => g.lab.runsOn === 'local' && !g.lab.vmProgram && g.lab.id <= '05'), createGrader04(lab04.solution), createGrader05(lab05.solution, createGrader04(lab04.solution))];
    // Labs 01-05 (lab 06 builds on them: test/lab06.test.ts).
    expect(graders.map((g) => g.lab.id)).toEqual(GRADERS.map((g) => g.lab.id).filter((id) => id <= '05'));
    const before = readAudit(world.stateDir).length;
    // The first grade in the shared context (after the reset): later tests reuse its runs of the solutions.
    expect(shared).toBeUndefined();
    const report = await gradeShared(...graders);
    expect(failed(report)).toEqual([]);
    expect(report.labs?.map((l) => [l.lab, l.status])).toEqual(['01', '02', '03', '04', '05'].map((id) => [id, 'passed']));
    // Grading only read: the grader, and the learner's lab 05 program on the VM as the identity.
    const calls = readAudit(world.stateDir).slice(before);
    expect(calls.filter((c) => c.method !== 'GET')).toEqual([]);
    expect(new Set(calls.map((c) => c.principal))).toEqual(new Set(['grader', world.names.identity]));
    expect(calls.filter((c) => c.principal === world.names.identity).map((c) => c.path.toLowerCase())).toEqual([
      `${world.names.resourceGroupScope}`.toLowerCase(),
      `${world.names.resourceGroupScope}/resources`.toLowerCase(),
    ]);
    // The IMDS faults' back-off was paid once: by lab 04's run, whose getToken got through them;
    // lab 05's program imports that getToken, so its run met none.
    const run04 = await runOnLabVm(shared!, '04', lab04.solution);
    expect(run04.kind === 'ran' && run04.faultsInjected && run04.output.faults?.ok).toBe(true);
    const run05 = await runOnLabVm(shared!, '05', lab05.solution);
    expect(run05).toMatchObject({ kind: 'ran', faultsInjected: false });
  }, 60_000);

  it("reads which lab 04 program lab 05's getToken comes from, or says it cannot tell", () => {
    expect(getTokenSource(lab05.solution)).toBe(lab04.solution);
    expect(getTokenSource(lab05.starter)).toBe(lab04.starter);
    // An absolute path, as the variants below write it.
    const variant = variant05('import-check', (s) => `${s}\n`, join(dir, 'elsewhere.ts'));
    expect(getTokenSource(variant)).toBe(join(dir, 'elsewhere.ts'));
    // Its own getToken (no import of one): faults are injected as before.
    const own = join(dir, 'own-get-token.ts');
    writeFileSync(own, "export async function getToken() { return 'x'; }\nexport async function main() {}\n");
    expect(getTokenSource(own)).toBeUndefined();
    expect(getTokenSource(join(dir, 'missing.ts'))).toBeUndefined();
  });
});

describe('lab 04 mistakes', () => {
  it('no Metadata header', async () => {
    const report = await grade04(mistake04('no-metadata'));
    const check = result(report, '04.token-obtained');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('the request to IMDS had no `Metadata: true` header');
    expect(said(check)).toContain('Required metadata header not specified');
    expect(said(check)).toContain("headers: { Metadata: 'true' }");
    expect(said(check)).toContain('SSRF');
  }, 30_000);

  it('the wrong resource (Microsoft Graph)', async () => {
    const report = await grade04(mistake04('graph'));
    expect(result(report, '04.token-obtained').status).toBe('pass');
    const check = result(report, '04.audience');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain("the token's aud is https://graph.microsoft.com/ (Microsoft Graph): getToken asked IMDS for the wrong resource");
    expect(said(check)).toContain("url.searchParams.set('resource', resource)");
  }, 30_000);

  it('no client id while two identities are attached: IMDS refuses', async () => {
    const report = await grade04(mistake04('no-client-id'));
    const check = result(report, '04.token-obtained');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('the request did not choose an identity (no client_id) while the VM has several attached');
    expect(said(check)).toContain('Multiple user assigned identities exist');
    const identity = await (await world.as('grader')).msi.userAssignedIdentities.get('DevTest', world.names.identity);
    expect(said(check)).toContain(`client_id=${identity.clientId}`);
  }, 30_000);

  it('no client id with a system-assigned identity on: a token for the wrong identity', async () => {
    const learner = await world.as('learner');
    const { resourceGroup, vm } = world.names;
    const on = await learner.compute.virtualMachines.update(resourceGroup, vm, { identity: { type: 'SystemAssigned, UserAssigned' } });
    try {
      const report = await grade(createGrader04(variant04('system-assigned', (s) => s.replace("if (clientId) url.searchParams.set('client_id', clientId);", ''))));
      expect(result(report, '04.token-obtained').status).toBe('pass');
      const check = result(report, '04.identity');
      expect(check.status).toBe('fail');
      expect(said(check)).toContain(`the token is for the system-assigned identity of labvm (oid ${on.identity!.principalId})`);
      expect(said(check)).toContain('Choose your identity: put client_id=');
    } finally {
      await learner.compute.virtualMachines.update(resourceGroup, vm, { identity: { type: 'UserAssigned' } });
    }
  }, 30_000);

  it('the token printed in full', async () => {
    const report = await grade04(mistake04('printed'));
    expect(result(report, '04.identity').status).toBe('pass');
    const check = result(report, '04.no-token-in-output');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('a token appeared (in full, encoded, reversed or in pieces) in getToken under IMDS faults (stdout), getToken (stdout), main (stdout)');
    expect(said(check)).toContain('decodeClaims');
    expect(JSON.stringify(report)).not.toMatch(/eyJ[\w-]+\.eyJ/);
  }, 30_000);

  it('the token written straight to file descriptor 2', async () => {
    const file = variant04('fd2', (s) =>
      s.replace("const accessToken = String(body.access_token ?? '');", "const accessToken = String(body.access_token ?? '');\n      (await import('node:fs')).writeSync(2, `${accessToken}\\n`);"),
    );
    const check = result(await grade04(file), '04.no-token-in-output');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('the process output on the VM');
  }, 30_000);

  it('no retry', async () => {
    const report = await grade04(mistake04('no-retry'));
    expect(result(report, '04.identity').status).toBe('pass');
    const check = result(report, '04.retries');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('getToken gave up when IMDS answered 429 Too Many Requests (then 503), after 1 request');
    expect(said(check)).toContain('Retry 404, 410, 429 and 5xx with exponential backoff');
  }, 30_000);

  it('a retry without backoff', async () => {
    const report = await grade04(variant04('no-backoff', (s) => s.replace(/await sleep\([^;]*\);/, '')));
    const check = result(report, '04.retries');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('getToken retried at once');
  }, 30_000);

  it('an IMDS 400 turned into "[object Object]"', async () => {
    const report = await grade04(
      variant04('unclear', (s) => s.replace('if (!RETRIABLE(response.statusCode) || attempt >= MAX_ATTEMPTS) throw error;', 'if (!RETRIABLE(response.statusCode) || attempt >= MAX_ATTEMPTS) throw new Error(`IMDS failed: ${String(body)}`);')),
    );
    const check = result(report, '04.clear-errors');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('getToken threw Error: "IMDS failed: [object Object]"');
    expect(said(check)).toContain('400 invalid_resource: AADSTS500011');
  }, 30_000);
});

describe('lab 05', () => {
  it('the starter fails 05.program-runs with its TODO; the solution passes every check', async () => {
    const before = await gradeShared(createGrader05(lab05.starter, createGrader04(lab04.solution)));
    expect(result(before, '05.lab-04-done').status).toBe('pass');
    expect(said(result(before, '05.program-runs'))).toContain("the program still throws the starter's TODO");
    const after = await gradeShared(createGrader05(lab05.solution, createGrader04(lab04.solution)));
    expect(failed(after)).toEqual([]);
    expect(after.status).toBe('passed');
  }, 30_000);

  it('lab 04 not done: lab 05 is skipped, naming 04.identity', async () => {
    const report = await grade(createGrader05(lab05.solution, createGrader04(lab04.starter)));
    const check = result(report, '05.lab-04-done');
    expect(check.status).toBe('skip');
    expect(said(check)).toContain('lab 04 is not done: 04.identity');
  }, 30_000);
});

describe('lab 05 mistakes', () => {
  const grade05 = (program: string) => gradeShared(createGrader05(program, createGrader04(lab04.solution)));

  it('the resources not listed', async () => {
    const report = await grade05(variant05('no-list', (s) => s.replace(/while \(next\) \{[\s\S]*?\n {2}\}\n/, '')));
    expect(result(report, '05.resource-group').status).toBe('pass');
    const check = result(report, '05.resources');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('0 resources printed; missing');
    expect(said(check)).toContain('labvm');
    expect(said(check)).toContain('follow `nextLink`');
  }, 30_000);

  it('the Authorization header logged', async () => {
    const report = await grade05(variant05('logged', (s) => s.replace('const url = new URL(pathOrUrl, ctx.armEndpoint);', 'const url = new URL(pathOrUrl, ctx.armEndpoint);\n  ctx.log(`Authorization: Bearer ${accessToken}`);')));
    const check = result(report, '05.no-token-in-output');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('a token appeared (in full, encoded, reversed or in pieces) in main (stderr)');
    expect(JSON.stringify(report)).not.toMatch(/eyJ[\w-]+\.eyJ/);
  }, 30_000);

  it('no Reader role: ARM answers 403 AuthorizationFailed, explained', async () => {
    const instructor = await world.as('instructor');
    const identity = await instructor.msi.userAssignedIdentities.get('DevTest', world.names.identity);
    const removed: { scope: string; name: string; roleDefinitionId: string }[] = [];
    for await (const a of instructor.authorization.roleAssignments.listForSubscription({ filter: `principalId eq '${identity.principalId}'` })) {
      removed.push({ scope: a.scope!, name: a.name!, roleDefinitionId: a.roleDefinitionId! });
      await instructor.authorization.roleAssignments.deleteById(a.id!);
    }
    try {
      // A copy of the solution: the shared context already holds the solution's passing run.
      const report = await grade05(variant05('no-reader', (s) => `${s}\n// the solution, unchanged\n`));
      const check = result(report, '05.program-runs');
      expect(check.status).toBe('fail');
      expect(said(check)).toContain('ARM refused the identity (403 AuthorizationFailed)');
      expect(said(check)).toContain('get a fresh token');
    } finally {
      for (const a of removed) {
        await instructor.authorization.roleAssignments.create(a.scope, a.name, { roleDefinitionId: a.roleDefinitionId, principalId: identity.principalId!, principalType: 'ServicePrincipal' });
      }
    }
  }, 30_000);
});

describe("lab 04's mistakes seen from lab 05 (its program imports lab 04's getToken)", () => {
  const grade05With = (name: string) => gradeShared(createGrader05(variant05(`05-with-${name}`, (s) => `${s}\n`, mistake04(name)), createGrader04(mistake04(name))));

  it('no Metadata header: lab 05 is skipped, quoting why', async () => {
    const check = result(await grade05With('no-metadata'), '05.lab-04-done');
    expect(check.status).toBe('skip');
    expect(said(check)).toContain('lab 04 is not done: 04.identity');
    expect(said(check)).toContain('the request to IMDS had no `Metadata: true` header');
  }, 30_000);

  it('no client id while two identities are attached: lab 05 is skipped, quoting why', async () => {
    const check = result(await grade05With('no-client-id'), '05.lab-04-done');
    expect(check.status).toBe('skip');
    expect(said(check)).toContain('did not choose an identity (no client_id)');
  }, 30_000);

  it('the wrong resource: ARM refuses the token', async () => {
    const check = result(await grade05With('graph'), '05.program-runs');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('ARM refused the token (401)');
    expect(said(check)).toContain('https://management.azure.com/');
  }, 30_000);

  it('no retry: lab 05 runs with IMDS answering 429 then 503 too', async () => {
    const check = result(await grade05With('no-retry'), '05.program-runs');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('getToken (lab 04) gave up when IMDS answered 429 then 503');
  }, 30_000);

  it('the token printed by getToken', async () => {
    const report = await grade05With('printed');
    const check = result(report, '05.no-token-in-output');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('a token appeared (in full, encoded, reversed or in pieces) in main (stdout)');
    expect(JSON.stringify(report)).not.toMatch(/eyJ[\w-]+\.eyJ/);
  }, 30_000);
});
