// Shared mode (a class in one subscription, one resource group per learner): lab 02's scope is
// the learner's resource group. On the real emulator: Reader at the group passes, Reader at the
// subscription fails naming both scopes, other learners' assignments and orphans are never the
// learner's, the snapshot context grades shared mode as the live one does, and lab 02's programs
// run as a learner runs them — the starter fails, the solution passes — also as a class
// principal holding only what a class gives (Role Based Access Control Administrator on the
// group under the Reader-to-service-principals condition, Managed Identity Contributor).
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { createArmClients, createArmContext, labTags, loadConfig, type ArmClients, type MilabConfig } from '@milab/core';
import { callPrincipalsAdmin, type ClassPrincipal } from '@milab/emulator';
import { createLabContext, findLab, labNames, ROLE_IDS, roleDefinitionId, runLabProgram, type LabContext, type LabNames } from '@milab/labs';
import type { GradeReport } from '@milab/grading';
import { createGraderContext, createSnapshotContext, GRADERS, gradeLabs, takeSnapshot } from '../index.js';
import { failed, fixesWithoutTypeScript, grantOnGroup, type LabWorld, LEARNER, result, said, useLabWorld } from './support.js';

const GROUP = `rg-milab-cls-${LEARNER}`;
const LABS_01_02 = GRADERS.filter((g) => ['01', '02'].includes(g.lab.id));

let world: LabWorld;
let instructor: ArmClients;
let learner: ArmClients;
let env: Record<string, string>;
let config: MilabConfig;
let names: LabNames;

useLabWorld(async (started, as) => {
  world = started;
  learner = as;
  instructor = await world.as('instructor');
  env = { ...world.env, MILAB_MODE: 'shared', MILAB_RESOURCE_GROUP: GROUP };
  config = loadConfig({ env });
  names = labNames(config, env);
});
beforeEach(async () => {
  // After the reset, as the instructor provisions a class: the learner's own resource group.
  await instructor.resources.resourceGroups.createOrUpdate(GROUP, { location: names.location, tags: { workshop: 'milab', class: 'cls', learner: LEARNER } });
});

/** Runs a lab's solution in shared mode, as the (seeded) learner. */
const solve = (...ids: string[]): Promise<void> => solveSignedIn({}, ...ids);

/** Runs a lab's solution in shared mode, in-process, signed in as `signIn` says (AZURE_CLIENT_ID…; none: the seeded learner). */
async function solveSignedIn(signIn: Record<string, string>, ...ids: string[]): Promise<void> {
  for (const id of ids) {
    const lab = findLab(id);
    const ctx = await createLabContext(lab, { config, env: { ...env, ...signIn }, log: () => undefined });
    const { main } = (await import(pathToFileURL(lab.solution).href)) as { main: (ctx: LabContext) => Promise<void> };
    await main(ctx);
  }
}

async function grade(): Promise<GradeReport> {
  const { report } = await gradeLabs(LABS_01_02, { config, env });
  expect(fixesWithoutTypeScript(report)).toEqual([]);
  return report;
}

const myPrincipalId = async () => (await learner.msi.userAssignedIdentities.get(GROUP, names.identity)).principalId!;
const readerFor = (clients: ArmClients, scope: string, principalId: string) =>
  clients.authorization.roleAssignments.create(scope, randomUUID(), {
    roleDefinitionId: roleDefinitionId(names.subscriptionId, ROLE_IDS.Reader),
    principalId,
    principalType: 'ServicePrincipal',
  });

describe('shared mode: lab 02 at the resource group', () => {
  it('names the resource group as the Reader scope', () => {
    expect(names.mode).toBe('shared');
    expect(names.readerScope).toBe(`/subscriptions/${names.subscriptionId}/resourceGroups/${GROUP}`);
    expect(labNames(world.config, world.env).readerScope).toBe(`/subscriptions/${names.subscriptionId}`);
  });

  it("lab 02's solution assigns Reader at the group, and that passes", async () => {
    await solve('01', '02');
    const scopes: string[] = [];
    const principal = await myPrincipalId();
    for await (const a of learner.authorization.roleAssignments.listForSubscription()) if (a.principalId === principal) scopes.push(a.scope ?? '');
    expect(scopes).toEqual([names.readerScope]);
    const report = await grade();
    expect(failed(report)).toEqual([]);
    expect(report.status).toBe('passed');
    expect(said(result(report, '02.reader-at-subscription'))).toContain(`at ${names.readerScope}`);
  });

  it('Reader at the subscription fails, saying what was found and the scope expected', async () => {
    await solve('01');
    // What a learner cannot even create in a class: made by the instructor.
    const atSubscription = await readerFor(instructor, names.subscriptionScope, await myPrincipalId());
    const report = await grade();
    const check = result(report, '02.reader-at-subscription');
    expect(check.status).toBe('fail');
    const text = said(check);
    expect(text).toContain(`has Reader at the subscription (${names.subscriptionScope}), not at your resource group ${GROUP} (${names.readerScope})`);
    expect(text).toContain(`Reader at your resource group's scope ${names.readerScope}`);
    expect(text).toContain(`--scope ${names.readerScope}`);
    expect(text).toContain(`roleAssignments.create('${names.readerScope}'`);
    expect(text).toContain(`ask your instructor to remove it: \`az role assignment delete --ids ${atSubscription.id}\``);
    // Nothing at the group: the fix line says where, with the principal type the class requires.
    world.reset();
    await instructor.resources.resourceGroups.createOrUpdate(GROUP, { location: names.location });
    await solve('01');
    const none = said(result(await grade(), '02.reader-at-subscription'));
    expect(none).toContain(`Reader at your resource group's scope ${names.readerScope}, principalType ServicePrincipal`);
    expect(none).toContain('--assignee-principal-type ServicePrincipal');
    expect(none).toContain('your role only lets you assign Reader to service principals');
  });

  it("other learners' assignments and orphans, and the subscription's, are never this learner's", async () => {
    // Another learner in the class: their group, an identity with Reader there, then deleted (an orphan in their group).
    await instructor.resources.resourceGroups.createOrUpdate('rg-milab-cls-bob', { location: names.location });
    const bob = await instructor.msi.userAssignedIdentities.createOrUpdate('rg-milab-cls-bob', 'id-milab-bob', { location: names.location, tags: labTags('bob', '01') });
    await readerFor(instructor, '/subscriptions/' + names.subscriptionId + '/resourceGroups/rg-milab-cls-bob', bob.principalId!);
    await instructor.msi.userAssignedIdentities.delete('rg-milab-cls-bob', 'id-milab-bob');
    // An orphan at the subscription, left by someone with rights there.
    const gone = await instructor.msi.userAssignedIdentities.createOrUpdate(GROUP, 'id-old-monitor', { location: names.location });
    await readerFor(instructor, names.subscriptionScope, gone.principalId!);
    await instructor.msi.userAssignedIdentities.delete(GROUP, 'id-old-monitor');

    await solve('01', '02');
    const report = await grade();
    expect(result(report, '02.no-orphaned-assignment').status).toBe('pass');
    expect(report.status).toBe('passed');

    // The same world through one class snapshot: the same results.
    const live = await createGraderContext({ config, env });
    const snapshot = await takeSnapshot({ config, env });
    const ctx = createSnapshotContext(snapshot, { config, env, learnerObjectId: await live.learnerObjectId(), knownPrincipals: await live.knownPrincipals() });
    const strip = (r: GradeReport) => r.results.map(({ durationMs: _d, ...rest }) => JSON.stringify(rest).replace(/granted \d+ s ago/g, 'granted N s ago'));
    expect(strip((await gradeLabs(LABS_01_02, { ctx })).report)).toEqual(strip(report));
    // A class that cannot tell who the learner is: the subscription's orphan is still not theirs.
    const unknown = createSnapshotContext(snapshot, { config, env });
    expect(result((await gradeLabs(LABS_01_02, { ctx: unknown })).report, '02.no-orphaned-assignment').status).toBe('pass');
  });

  it('a learner whose group does not exist: live and snapshot refuse the same way', async () => {
    const missingEnv = { ...env, MILAB_RESOURCE_GROUP: 'rg-milab-cls-nobody' };
    const missing = loadConfig({ env: missingEnv });
    const live = await createGraderContext({ config: missing, env: missingEnv });
    const snap = createSnapshotContext(await takeSnapshot({ config, env }), { config: missing, env: missingEnv });
    const refusal = (ctx: typeof live) =>
      ctx.roleAssignments().then(
        () => undefined,
        (e: { code?: string; status?: number; message?: string; hint?: string }) => ({ code: e.code, status: e.status, message: e.message, hint: e.hint }),
      );
    const refused = await refusal(live);
    expect(refused).toMatchObject({ code: 'ResourceGroupNotFound', status: 404 });
    expect(await refusal(snap)).toEqual(refused);
  });

  it('the snapshot context grades the subscription-scope mistake as the live one does', async () => {
    await solve('01');
    await readerFor(instructor, names.subscriptionScope, await myPrincipalId());
    const liveCtx = await createGraderContext({ config, env });
    const live = (await gradeLabs(LABS_01_02, { ctx: liveCtx })).report;
    const snapshot = JSON.parse(JSON.stringify(await takeSnapshot({ config, env }))) as Parameters<typeof createSnapshotContext>[0];
    const ctx = createSnapshotContext(snapshot, { config, env, learnerObjectId: await liveCtx.learnerObjectId(), knownPrincipals: await liveCtx.knownPrincipals() });
    const snap = (await gradeLabs(LABS_01_02, { ctx })).report;
    const strip = (r: GradeReport) => r.results.map(({ durationMs: _d, ...rest }) => rest);
    expect(strip(snap)).toEqual(strip(live));
    expect(result(snap, '02.reader-at-subscription').status).toBe('fail');
  });
});

describe("shared mode: lab 02's programs, run as a learner runs them", () => {
  /** The environment a learner's shell has in a class (no Azure sign-in variables but those given). */
  function programEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const base: NodeJS.ProcessEnv = { ...process.env, ...env, AZURE_POD_IDENTITY_AUTHORITY_HOST: 'http://127.0.0.1:9' };
    for (const name of Object.keys(base)) if (/^AZURE_(CLIENT|TENANT)_/.test(name)) delete base[name];
    return { ...base, ...extra };
  }

  it('the starter fails naming the group scope; the solution passes', async () => {
    await solve('01');
    const lab = findLab('02');
    const starter = await runLabProgram(lab, 'starter', { env: programEnv(), timeoutMs: 60_000 });
    expect(starter.exitCode).toBe(1);
    expect(starter.stderr).toContain(`TODO: assign Reader at ${names.readerScope}`);
    expect((await grade()).status).toBe('failed');
    const solution = await runLabProgram(lab, 'solution', { env: programEnv(), timeoutMs: 60_000 });
    expect(solution.stderr).toBe('');
    expect(solution.exitCode).toBe(0);
    expect(solution.stdout).toContain(`at ${names.readerScope}`);
    expect((await grade()).status).toBe('passed');
  }, 120_000); // child processes (each lab program starts tsx): slow on a loaded machine

  describe('as a class principal with only the roles a class gives', () => {
    let principal: ClassPrincipal;
    let signIn: Record<string, string>;

    beforeEach(async () => {
      const connection = world.emulator.connection();
      [principal] = (await callPrincipalsAdmin(connection, { ensure: [{ name: `cls-${LEARNER}`, displayName: `cls ${LEARNER}`, tags: { class: 'cls', learner: LEARNER } }] }))
        .principals as [ClassPrincipal];
      signIn = { AZURE_CLIENT_ID: principal.clientId, AZURE_CLIENT_SECRET: principal.clientSecret, AZURE_TENANT_ID: connection.tenantId };
      await grantOnGroup(instructor, names, principal.objectId, ['Role Based Access Control Administrator', 'Managed Identity Contributor']);
    });

    it('lab 01 and 02 solutions pass; Reader at the subscription or without the principal type is refused', async () => {
      const lab01 = await runLabProgram(findLab('01'), 'solution', { env: programEnv(signIn), timeoutMs: 60_000 });
      expect(lab01.stderr).toBe('');
      const starter = await runLabProgram(findLab('02'), 'starter', { env: programEnv(signIn), timeoutMs: 60_000 });
      expect(starter.exitCode).toBe(1);
      expect((await grade()).status).toBe('failed');

      // The class principal's own clients: what its role refuses.
      const asLearner = await createArmClients(createArmContext(config, { env: { ...env, ...signIn } }));
      const identity = await asLearner.msi.userAssignedIdentities.get(GROUP, names.identity);
      await expect(readerFor(asLearner, names.subscriptionScope, identity.principalId!)).rejects.toMatchObject({ code: 'AuthorizationFailed' });
      await expect(
        asLearner.authorization.roleAssignments.create(names.readerScope, randomUUID(), {
          roleDefinitionId: roleDefinitionId(names.subscriptionId, ROLE_IDS.Reader),
          principalId: identity.principalId!,
        }),
      ).rejects.toMatchObject({ code: 'AuthorizationFailed' });

      const solution = await runLabProgram(findLab('02'), 'solution', { env: programEnv(signIn), timeoutMs: 60_000 });
      expect(solution.stderr).toBe('');
      expect(solution.exitCode).toBe(0);
      const report = await grade();
      expect(failed(report)).toEqual([]);
      expect(report.status).toBe('passed');

      // `./milab grade` after `eval "$(milab class env ada)"`: the grader reads with the learner's
      // own sign-in, which may list role assignments for its group only: the same grades.
      const own = (await gradeLabs(LABS_01_02, { config, env: { ...env, ...signIn } })).report;
      expect(own.results.map((r) => [r.id, r.status])).toEqual(report.results.map((r) => [r.id, r.status]));
      expect(own.status).toBe('passed');
    }, 120_000);

    it('with its own sign-in, a Reader at the subscription fails as it does for the grader, and the learner is known', async () => {
      // Lab 01 done as the class principal (in-process: the test before runs it as a program).
      await solveSignedIn(signIn, '01');
      const identity = await learner.msi.userAssignedIdentities.get(GROUP, names.identity);
      await readerFor(instructor, names.subscriptionScope, identity.principalId!);
      const ctx = await createGraderContext({ config, env: { ...env, ...signIn } });
      expect(await ctx.learnerObjectId()).toBe(principal.objectId.toLowerCase());
      const check = result((await gradeLabs(LABS_01_02, { ctx })).report, '02.reader-at-subscription');
      expect(check.status).toBe('fail');
      expect(said(check)).toContain(`has Reader at the subscription (${names.subscriptionScope}), not at your resource group ${GROUP}`);
    });
  });
});
