// The snapshot context grades exactly as the live one: for labs 01–03 solved, and for worlds
// with the common mistakes, grading through createSnapshotContext(takeSnapshot(…)) gives the same
// check results — ids, statuses, found / expected / fix text, points — as `milab grade`'s live
// context, on the real emulator with the real SDK clients. And the snapshot's ARM reads do not
// grow with the number of learners.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { labTags, loadConfig, ThrottleBuckets, type ArmClients } from '@milab/core';
import { readAudit } from '@milab/emulator';
import { ROLE_IDS, roleDefinitionId } from '@milab/labs';
import type { CheckResult, GradeReport } from '@milab/grading';
import { createGraderContext, createSnapshotContext, GRADERS, gradeLabs, takeSnapshot, type ClassSnapshot, type GraderContext } from '../index.js';
import { leaveOtherPrincipalsOrphan, LEARNER, startLabWorld, type LabWorld } from './support.js';

let world: LabWorld;
let learner: ArmClients;
let instructor: ArmClients;

beforeAll(async () => {
  world = await startLabWorld();
  learner = await world.as('learner');
  instructor = await world.as('instructor');
});
afterAll(async () => {
  await world?.stop();
});
beforeEach(() => world.reset());

const LABS = GRADERS.filter((g) => ['01', '02', '03'].includes(g.lab.id));

/**
 * A result as a learner reads it: everything but the time it took. The one text that depends on
 * the clock — how long ago a fresh Reader assignment was granted — is normalised, since the two
 * gradings run a moment apart.
 */
function readable(result: CheckResult): Record<string, unknown> {
  const { durationMs: _duration, ...rest } = result;
  return JSON.parse(JSON.stringify(rest).replace(/granted \d+ s ago/g, 'granted N s ago')) as Record<string, unknown>;
}

function summary(report: GradeReport): Record<string, unknown> {
  return { status: report.status, score: report.score, results: report.results.map(readable) };
}

/** The live context's principals, as the class would pass them. */
async function classKnows(live: GraderContext): Promise<{ learnerObjectId: string | undefined; knownPrincipals: ReadonlyMap<string, string> }> {
  return { learnerObjectId: await live.learnerObjectId(), knownPrincipals: await live.knownPrincipals() };
}

/** Grades labs 01–03 live and from a snapshot taken now; returns both reports and the snapshot. */
async function gradeBothWays(): Promise<{ live: GradeReport; snap: GradeReport; snapshot: ClassSnapshot }> {
  const liveCtx = await createGraderContext({ config: world.config, env: world.env });
  const { report: live } = await gradeLabs(LABS, { ctx: liveCtx });
  const snapshot = await takeSnapshot({ config: world.config, env: world.env });
  // Through JSON, as a class saves it: the snapshot must be plain data.
  const saved = JSON.parse(JSON.stringify(snapshot)) as ClassSnapshot;
  const ctx = createSnapshotContext(saved, { config: world.config, env: world.env, ...(await classKnows(liveCtx)) });
  const { report: snap } = await gradeLabs(LABS, { ctx });
  return { live, snap, snapshot };
}

async function expectSameGrades(): Promise<GradeReport> {
  const { live, snap } = await gradeBothWays();
  expect(summary(snap)).toEqual(summary(live));
  return live;
}

const myPrincipalId = async () => (await learner.msi.userAssignedIdentities.get(world.names.resourceGroup, world.names.identity)).principalId!;
const assign = (scope: string, principalId: string, role: string) =>
  learner.authorization.roleAssignments.create(scope, randomUUID(), {
    roleDefinitionId: roleDefinitionId(world.names.subscriptionId, role),
    principalId,
    principalType: 'ServicePrincipal',
  });
const createIdentity = (group: string, name: string, tags: Record<string, string> | undefined = labTags(LEARNER, '01')) =>
  learner.msi.userAssignedIdentities.createOrUpdate(group, name, { location: world.names.location, ...(tags ? { tags } : {}) });

describe('the snapshot context grades labs 01–03 as the live context does', () => {
  it('labs 01–03 solved: all pass, both ways', async () => {
    await world.solve('01', '02', '03');
    const live = await expectSameGrades();
    expect(live.status).toBe('passed');
  });

  it('nothing done', async () => {
    const live = await expectSameGrades();
    expect(live.results.find((r) => r.id === '01.identity-exists')?.status).toBe('fail');
  });

  it('lab 01: the identity in another group, and one wrongly named', async () => {
    await learner.resources.resourceGroups.createOrUpdate('Sandbox', { location: 'westus' });
    await createIdentity('Sandbox', world.names.identity);
    await expectSameGrades();
    await learner.msi.userAssignedIdentities.delete('Sandbox', world.names.identity);
    await createIdentity(world.names.resourceGroup, 'ada-identity');
    await expectSameGrades();
  });

  it('lab 01: untagged, then in another location (the name in another case)', async () => {
    await createIdentity(world.names.resourceGroup, world.names.identity, undefined);
    await expectSameGrades();
    await learner.msi.userAssignedIdentities.delete(world.names.resourceGroup, world.names.identity);
    await learner.msi.userAssignedIdentities.createOrUpdate(world.names.resourceGroup, world.names.identity.toUpperCase(), {
      location: 'eastus',
      tags: labTags(LEARNER, '01'),
    });
    await expectSameGrades();
  });

  it('lab 02: Reader at the group, Contributor at the subscription, Owner on top', async () => {
    await world.solve('01');
    await assign(world.names.resourceGroupScope, await myPrincipalId(), ROLE_IDS.Reader);
    await expectSameGrades();
    await assign(world.names.subscriptionScope, await myPrincipalId(), ROLE_IDS.Contributor);
    await expectSameGrades();
    await world.solve('02');
    await assign(world.names.resourceGroupScope, await myPrincipalId(), ROLE_IDS.Owner);
    await expectSameGrades();
  });

  it('lab 02: the identity deleted and re-created (an orphan), and a Reader to the learner and to the VM', async () => {
    await world.solve('01', '02');
    await learner.msi.userAssignedIdentities.delete(world.names.resourceGroup, world.names.identity);
    await world.solve('01');
    await expectSameGrades();
    await world.solve('02');
    await expectSameGrades();

    world.reset();
    await world.solve('01');
    await assign(world.names.subscriptionScope, world.emulator.connection().principals.learner.objectId, ROLE_IDS.Reader);
    const vm = await learner.compute.virtualMachines.update(world.names.resourceGroup, world.names.vm, { identity: { type: 'SystemAssigned' } });
    await assign(world.names.subscriptionScope, vm.identity!.principalId!, ROLE_IDS.Reader);
    await expectSameGrades();
  });

  it("lab 02: another principal's orphan is not blamed on the learner", async () => {
    await world.solve('01');
    await leaveOtherPrincipalsOrphan(instructor, world.names);
    await expectSameGrades();
  });

  it('lab 03: not attached, system-assigned instead, the other identity detached, a stale attachment', async () => {
    await world.solve('01', '02');
    await world.prepare('03');
    await expectSameGrades();
    await learner.compute.virtualMachines.update(world.names.resourceGroup, world.names.vm, { identity: { type: 'SystemAssigned, UserAssigned' } });
    await expectSameGrades();

    world.reset();
    await world.solve('01', '02');
    await world.prepare('03');
    const { resourceGroup, vm: vmName } = world.names;
    const mine = await learner.msi.userAssignedIdentities.get(resourceGroup, world.names.identity);
    const vm = await learner.compute.virtualMachines.get(resourceGroup, vmName);
    await learner.compute.virtualMachines.createOrUpdate(resourceGroup, vmName, { ...vm, identity: { type: 'UserAssigned', userAssignedIdentities: { [mine.id!]: {} } } });
    await expectSameGrades();

    world.reset();
    await world.solve('01', '02', '03');
    await learner.msi.userAssignedIdentities.delete(resourceGroup, world.names.identity);
    await world.solve('01', '02');
    await expectSameGrades();
  });
});

describe('every read of the snapshot context answers as the live one', () => {
  it('for the lab names, another case, a missing name and a missing resource group', async () => {
    await world.solve('01', '02', '03');
    const live = await createGraderContext({ config: world.config, env: world.env });
    const snapshot = await takeSnapshot({ config: world.config, env: world.env });
    const snap = createSnapshotContext(snapshot, { config: world.config, env: world.env, ...(await classKnows(live)) });
    const reads = (ctx: GraderContext) =>
      Promise.all([
        ctx.identity(),
        ctx.identityNamed(world.names.identity.toUpperCase()),
        ctx.identityNamed(world.names.appIdentity),
        ctx.identityNamed('id-nobody'),
        ctx.identitiesInSubscription(),
        ctx.roleAssignments(),
        ctx.vm(),
        ctx.vmsInSubscription(),
        ctx.role(ROLE_IDS.Reader),
        ctx.role(ROLE_IDS.Owner.toUpperCase()),
        ctx.knownPrincipals(),
        ctx.learnerObjectId(),
        ctx.resourceGroup(),
        ctx.resourcesInGroup(),
      ]);
    expect(await reads(snap)).toEqual(await reads(live));

    // A learner whose resource group does not exist: the group is undefined, its resources refused as ARM refuses them.
    const env = { ...world.env, MILAB_RESOURCE_GROUP: 'rg-nobody' };
    const config = loadConfig({ env });
    const liveElsewhere = await createGraderContext({ config, env });
    const snapElsewhere = createSnapshotContext(snapshot, { config, env });
    expect(await snapElsewhere.resourceGroup()).toBeUndefined();
    expect(await liveElsewhere.resourceGroup()).toBeUndefined();
    expect(await snapElsewhere.identity()).toBeUndefined();
    const refusal = (ctx: GraderContext) => ctx.resourcesInGroup().then(() => undefined, (e: { code?: string; status?: number; message?: string; hint?: string }) => ({ code: e.code, status: e.status, message: e.message, hint: e.hint }));
    const refused = await refusal(liveElsewhere);
    expect(refused).toMatchObject({ code: 'ResourceGroupNotFound', status: 404 });
    expect(await refusal(snapElsewhere)).toEqual(refused);
  });

  it("refuses a snapshot of another subscription, naming both, and one of another version", async () => {
    const snapshot = await takeSnapshot({ config: world.config, env: world.env });
    const other = { ...snapshot, subscriptionId: '0b1f6471-1bf0-4dda-aec3-cb9272f09590' };
    expect(() => createSnapshotContext(other, { config: world.config, env: world.env })).toThrow(
      `The snapshot is of subscription 0b1f6471-1bf0-4dda-aec3-cb9272f09590, but the learner's configuration names ${world.names.subscriptionId}.`,
    );
    expect(() => createSnapshotContext({ ...snapshot, version: 2 as never }, { config: world.config, env: world.env })).toThrow(/version 2; this milab reads version 1/);
  });
});

describe('takeSnapshot', () => {
  /** Learners in one shared subscription, each with a resource group and an identity with Reader on it, made by the instructor. */
  async function addLearners(ids: string[]): Promise<void> {
    for (const id of ids) {
      const group = `rg-milab-class-${id}`;
      await instructor.resources.resourceGroups.createOrUpdate(group, { location: 'westus', tags: { workshop: 'milab', learner: id } });
      const identity = await instructor.msi.userAssignedIdentities.createOrUpdate(group, `id-milab-${id}`, { location: 'westus', tags: labTags(id, '01') });
      await instructor.authorization.roleAssignments.create(`/subscriptions/${world.names.subscriptionId}/resourceGroups/${group}`, randomUUID(), {
        roleDefinitionId: roleDefinitionId(world.names.subscriptionId, ROLE_IDS.Reader),
        principalId: identity.principalId!,
        principalType: 'ServicePrincipal',
      });
    }
  }

  it('reads the subscription in the same handful of pages for 1 learner as for 8, and counts them as the emulator saw them', async () => {
    const counts: number[] = [];
    for (const learners of [['l1'], ['l2', 'l3', 'l4', 'l5', 'l6', 'l7', 'l8']]) {
      await addLearners(learners);
      const before = readAudit(world.stateDir, { principal: 'grader' }).length;
      const reads: string[] = [];
      const snapshot = await takeSnapshot({ config: world.config, env: world.env, onRead: (what) => reads.push(what) });
      const seen = readAudit(world.stateDir, { principal: 'grader' }).length - before;
      expect(snapshot.armReads).toBe(reads.length);
      expect(snapshot.armReads).toBe(seen);
      expect(reads.every((r) => r.startsWith(`GET /subscriptions/${world.names.subscriptionId}/`))).toBe(true);
      counts.push(snapshot.armReads);
    }
    // identities, role assignments, VMs, resource groups, resources, key vaults, container groups,
    // deleted vaults: one page each at this size.
    expect(counts).toEqual([8, 8]);
  });

  it('reads within the throttle buckets it is given (one token per page)', async () => {
    const buckets = new ThrottleBuckets();
    const snapshot = await takeSnapshot({ config: world.config, env: world.env, throttle: buckets });
    expect(buckets.stats.requests).toBe(snapshot.armReads);
    expect(buckets.stats.throttled).toBe(0);
  });
});
