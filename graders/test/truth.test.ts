// What the graders tell the learner is true: each case a learner met, working through labs 01–05
// from the READMEs, where a grader said something wrong or said nothing — a stale VM attachment
// passed, a misspelled tag key unmentioned, points for doing nothing, the word a fix needs
// redacted away, az commands that cannot sign in to the emulator. On an in-process emulator with
// the real SDK clients; labs 04 and 05 run their programs "on" labvm.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labTags, type ArmClients } from '@milab/core';
import { createTerminalReporter, formatJson, type CheckResult, type GradeReport } from '@milab/grading';
import { findLab, LABS_DIR } from '@milab/labs';
import { diagnose } from '../04-imds-token.js';
import { createGrader04 } from '../04-imds-token.js';
import { createGrader05 } from '../05-call-arm.js';
import { gradeLabs } from '../index.js';
import { fixesWithoutTypeScript, LEARNER, result, runTypeScriptSteps, said, type LabWorld, useLabWorld } from './support.js';

let world: LabWorld;
let learner: ArmClients;
let dir: string;

useLabWorld((started, as) => {
  world = started;
  learner = as;
});
beforeAll(() => {
  // Program variants live in labs/.milab/ (gitignored, not a lab) so that their imports resolve.
  mkdirSync(join(LABS_DIR, '.milab'), { recursive: true });
  dir = mkdtempSync(join(LABS_DIR, '.milab', 'truth-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** What the terminal shows for a report (redacted, as `milab grade` prints it). */
function terminal(report: GradeReport): string {
  const chunks: string[] = [];
  const reporter = createTerminalReporter({ stream: { write: (chunk: string) => chunks.push(chunk) }, env: {} });
  for (const [index, r] of report.results.entries()) reporter.onEvent({ type: 'finish', result: r, index, total: report.results.length });
  reporter.summary(report);
  return chunks.join('');
}

const fixOf = (check: CheckResult): string => (check.status === 'fail' ? check.fix : '');

/** Labs 01–03 done, then the identity deleted and re-created, and lab 02 redone for the new principal. */
async function recreateIdentityAfterLab03(): Promise<{ before: { principalId: string; clientId: string }; after: { principalId: string; clientId: string } }> {
  await world.solve('01', '02', '03');
  const { resourceGroup, identity } = world.names;
  const old = await learner.msi.userAssignedIdentities.get(resourceGroup, identity);
  await learner.msi.userAssignedIdentities.delete(resourceGroup, identity);
  await world.solve('01', '02');
  const now = await learner.msi.userAssignedIdentities.get(resourceGroup, identity);
  expect(now.principalId).not.toBe(old.principalId);
  return { before: { principalId: old.principalId!, clientId: old.clientId! }, after: { principalId: now.principalId!, clientId: now.clientId! } };
}

describe('a stale attachment: the identity deleted and re-created after lab 03', () => {
  it('lab 03 fails it, naming the old and new ids, with the fix both ways; the TypeScript way fixes it', async () => {
    const { before, after } = await recreateIdentityAfterLab03();
    const report = await world.grade('03');
    const check = result(report, '03.identity-attached');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('labvm holds id-milab-ada as it was before it was deleted and re-created');
    expect(said(check)).toContain(`principal id ${before.principalId.toLowerCase()} (client id ${before.clientId.toLowerCase()})`);
    expect(said(check)).toContain(`now has principal id ${after.principalId.toLowerCase()}`);
    expect(said(check)).toContain('Identity not found');
    expect(said(check)).toContain('Detach the stale entry, then attach the identity again');
    expect(said(check)).toContain('az vm identity remove -g DevTest -n labvm --identities /subscriptions/');
    expect(said(check)).toContain('az vm identity assign -g DevTest -n labvm --identities /subscriptions/');
    expect(said(check)).toContain('TypeScript: `await clients.compute.virtualMachines.update(');
    expect(report.status).toBe('failed');

    // The TypeScript steps, as given, fix it on the emulator (where az cannot sign in).
    expect(await runTypeScriptSteps(fixOf(check), learner)).toBe(2);
    const fixed = await world.grade('03');
    expect(fixed.status).toBe('passed');
    const vm = await learner.compute.virtualMachines.get(world.names.resourceGroup, world.names.vm);
    expect(Object.keys(vm.identity?.userAssignedIdentities ?? {}).map((id) => id.split('/').pop()).sort()).toEqual(['id-milab-ada', 'id-milab-ada-app']);
  });

  it('lab 04 names the stale attachment and points to lab 03 instead of blaming correct code', async () => {
    await recreateIdentityAfterLab03();
    const report = (await gradeLabs([createGrader04(findLab('04').solution)], { config: world.config, env: world.env })).report;
    const text = JSON.stringify(report.results);
    expect(text).not.toContain('Send the clientId you are given');
    const first = result(report, '04.lab-03-done');
    expect(first.status).toBe('skip');
    expect(said(first)).toContain('lab 03 is not done: 03.identity-attached');
    expect(said(first)).toContain('deleted and re-created');
    expect(said(first)).toContain('./milab grade 03');
  }, 60_000);

  it("lab 04's diagnosis of IMDS's \"Identity not found\" with a stale attachment says the code is right and points to lab 03", () => {
    const call = { ok: false as const, errorName: 'ImdsTokenError', message: 'IMDS answered 400 invalid_request: Identity not found', elapsedMs: 5, requests: [{ metadataHeader: true, clientId: true, resource: 'https://management.azure.com/' }], timedOut: false };
    const stale = diagnose(call, 'c1', 'labvm holds id-milab-ada as it was before it was deleted and re-created');
    expect(stale.found).toContain('not because of your code');
    expect(stale.found).toContain('deleted and re-created');
    expect(stale.fix).toContain('Your getToken sends the right client id');
    expect(stale.fix).toContain('./milab grade 03');
    expect(stale.fix).not.toContain('Send the clientId you are given');
    // Without a stale attachment, an unknown identity is still the code's client id.
    expect(diagnose(call, 'c1').fix).toContain('Send the clientId you are given');
  });
});

describe('near-miss tags are named', () => {
  it('`leaner=root` — did you mean `learner`?; the fix, run as TypeScript, replaces the tags', async () => {
    await learner.msi.userAssignedIdentities.createOrUpdate(world.names.resourceGroup, world.names.identity, {
      location: world.names.location,
      tags: { workshop: 'milab', leaner: 'root', lab: '01' },
    });
    const check = result(await world.grade('01'), '01.identity-tags');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('`leaner=root` — did you mean `learner`? (with the value ada)');
    expect(said(check)).not.toContain('no learner tag');
    expect(await runTypeScriptSteps(fixOf(check), learner)).toBe(1);
    const fixed = await world.grade('01');
    expect(fixed.status).toBe('passed');
    const identity = await learner.msi.userAssignedIdentities.get(world.names.resourceGroup, world.names.identity);
    expect(identity.tags).toEqual(labTags(LEARNER, '01'));
  });

  it('a key that differs in case, and a value one slip away, are named too', async () => {
    await learner.msi.userAssignedIdentities.createOrUpdate(world.names.resourceGroup, world.names.identity, {
      location: world.names.location,
      tags: { workshop: 'milba', Learner: 'ada', lab: '01' },
    });
    const check = result(await world.grade('01'), '01.identity-tags');
    expect(said(check)).toContain('`workshop=milba` — did you mean `milab`?');
    expect(said(check)).toContain('`Learner=ada` — did you mean `learner`?');
  });

  it('a wrong value that is no slip is reported as it is', async () => {
    await learner.msi.userAssignedIdentities.createOrUpdate(world.names.resourceGroup, world.names.identity, {
      location: world.names.location,
      tags: { ...labTags(LEARNER, '01'), learner: 'bob' },
    });
    expect(said(result(await world.grade('01'), '01.identity-tags'))).toContain('tagged wrongly: learner=bob');
  });
});

describe('no free points: an untouched lab scores 0 %', () => {
  it('lab 02 with lab 01 done and nothing else: 0 %, and the terminal says why', async () => {
    await world.solve('01');
    const report = await world.grade('02');
    expect(result(report, '02.identity-ready')).toMatchObject({ status: 'pass', points: 0, weight: 0 });
    expect(result(report, '02.not-over-privileged')).toMatchObject({ status: 'pass', points: 0 });
    expect(report.score).toMatchObject({ earned: 0, percent: 0 });
    const text = terminal(report);
    expect(text).toContain('✔ Lab 01 is done (01.identity-exists) · prerequisite, no points');
    expect(text).toContain('✔ The identity has no role beyond Reader · 0/1 point until 02.reader-at-subscription passes');
    expect(text).toContain(`score 0% (0/${report.score.possible} points)`);
  });

  it('lab 03 prepared and not started: 0 %', async () => {
    await world.solve('01', '02');
    await world.prepare('03');
    const report = await world.grade('03');
    expect(result(report, '03.other-identities-kept')).toMatchObject({ status: 'pass', points: 0 });
    expect(report.score.percent).toBe(0);
  });

  it('nothing done at all: every local lab scores 0 %', async () => {
    const report = await world.grade('01', '02', '03');
    expect(report.labs?.map((lab) => [lab.lab, lab.score.percent])).toEqual([
      ['01', 0],
      ['02', 0],
      ['03', 0],
    ]);
  });

  it('lab 05 with its starter (lab 04 done): 0 %, although the starter prints no token', async () => {
    await world.solve('01', '02', '03');
    const lab04 = findLab('04');
    const report = (await gradeLabs([createGrader05(findLab('05').starter, createGrader04(lab04.solution))], { config: world.config, env: world.env })).report;
    expect(result(report, '05.no-token-in-output')).toMatchObject({ status: 'pass', points: 0 });
    expect(report.score.percent).toBe(0);
  }, 60_000);
});

describe('redaction keeps the words a fix needs', () => {
  it('lab 05 with `Authorization: <token>` (no Bearer): found, expected and fix survive redaction, and name the missing Bearer', async () => {
    await world.solve('01', '02', '03');
    const lab05 = findLab('05');
    const source = readFileSync(lab05.solution, 'utf8');
    const changed = source.replace('Authorization: `Bearer ${accessToken}`', 'Authorization: accessToken');
    expect(changed).not.toBe(source);
    const file = join(dir, 'no-bearer.ts');
    writeFileSync(file, changed.replace("'../../04-imds-token/solution/index.js'", `'${findLab('04').solution}'`));
    const report = (await gradeLabs([createGrader05(file, createGrader04(findLab('04').solution))], { config: world.config, env: world.env })).report;
    const check = result(report, '05.program-runs');
    expect(check.status).toBe('fail');
    const text = terminal(report);
    expect(text).toContain('the word Bearer and a space before the token are missing');
    expect(text).toContain('the header `Authorization: Bearer <token>`');
    expect(text).toContain('Send the header exactly `Authorization: Bearer ${accessToken}`');
    expect(text).not.toContain('Authorization: [REDACTED]');
    expect(formatJson(report)).toContain('Send the header exactly `Authorization: Bearer ${accessToken}`');
    expect(text).not.toMatch(/eyJ[\w-]+\.eyJ/);
  }, 60_000);
});

describe('every az command in a fix line comes with the TypeScript way', () => {
  it('the checker itself: an az-only fix is found', () => {
    const report = { results: [{ id: 'x', status: 'fail', found: 'f', expected: 'e', fix: 'Run `az identity delete -g a -n b`.' }] } as unknown as GradeReport;
    expect(fixesWithoutTypeScript(report)).toEqual(['x: Run `az identity delete -g a -n b`.']);
  });

  it('the fixes of labs 01–03 for a run of mistakes (world.grade checks every grade the tests make)', async () => {
    // Misplaced identity, wrong location and tags (lab 01); orphaned and over-privileged (lab 02);
    // system-assigned instead, not attached (lab 03). world.grade throws on an az-only fix.
    await learner.resources.resourceGroups.createOrUpdate('Sandbox', { location: 'westus' });
    await learner.msi.userAssignedIdentities.createOrUpdate('Sandbox', world.names.identity, { location: 'westus' });
    expect(result(await world.grade('01'), '01.identity-exists').status).toBe('fail');
    await learner.msi.userAssignedIdentities.createOrUpdate(world.names.resourceGroup, world.names.identity, { location: 'eastus' });
    const lab01 = await world.grade('01');
    expect(result(lab01, '01.identity-location').status).toBe('fail');
    expect(result(lab01, '01.identity-tags').status).toBe('fail');
    await world.solve('02');
    await learner.compute.virtualMachines.update(world.names.resourceGroup, world.names.vm, { identity: { type: 'SystemAssigned' } });
    const lab03 = await world.grade('03');
    expect(lab03.results.some((r) => r.status === 'fail')).toBe(true);
  });
});
