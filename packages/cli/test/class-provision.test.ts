// Provisioning and tearing down a class of 5 on a real emulator (in process, the SDK clients on
// the wire): the plan, what --what-if writes (nothing: the audit log), a second run that creates
// nothing, a learner signed in with `class env`'s exports working in their group and refused in
// another's, and a teardown surrounded by decoys of every kind: 100 % of the class gone, 0 decoys.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArmError, createArmClients, createArmContext, labTags, loadConfig, ThrottleBuckets, type ArmClients } from '@milab/core';
import { BUILTIN_ROLE_IDS, callPrincipalsAdmin, createEmulator, parseConfig, readAudit, SEED, type Emulator } from '@milab/emulator';
import { classLearnerEnv } from '../src/class/env.js';
import { classLearnerNames, loadClass, writeClassFolder, type ClassFolder } from '../src/class/folder.js';
import { applyProvision, planProvision, stepsToCreate } from '../src/class/provision.js';
import { openClassSession } from '../src/class/session.js';
import { applyTeardown, planTeardown } from '../src/class/teardown.js';

const CLASS = 'c5';
const LEARNERS = ['ann', 'bob', 'cy', 'dee', 'eve'];
const sub = SEED.subscriptionId;
const rgId = (rg: string) => `/subscriptions/${sub}/resourceGroups/${rg}`;
const roleDef = (role: keyof typeof BUILTIN_ROLE_IDS) => `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${BUILTIN_ROLE_IDS[role]}`;

let home: string;
let stateDir: string;
let emulator: Emulator;
let env: Record<string, string>;
let folder: ClassFolder;
let instructor: ArmClients;

/** Writes (non-GET) the emulator recorded so far. */
function writes(): number {
  emulator.flushAudit();
  return readAudit(stateDir).filter((e) => e.method !== 'GET' && e.method !== 'HEAD').length;
}

/** The ARM clients of a learner signed in with the exports of `milab class env`. */
async function learnerClients(learner: string): Promise<ArmClients> {
  const vars = await classLearnerEnv(openClassSession(folder, { env }), learner);
  const learnerEnv = { ...env, ...vars };
  return createArmClients(createArmContext(loadConfig({ env: learnerEnv }), { env: learnerEnv }));
}

async function refusal(promise: Promise<unknown>): Promise<ArmError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ArmError) return error;
    throw error;
  }
  throw new Error('the call was not refused');
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'milab-class-provision-'));
  stateDir = join(home, 'emulator');
  env = { MILAB_HOME: home };
  emulator = createEmulator(parseConfig({ stateDir, port: 0, log: () => undefined }));
  await emulator.listen();
  writeClassFolder(join(home, 'class'), { classId: CLASS, target: 'emulator', mode: 'shared', subscriptionId: sub, learners: LEARNERS.map((learner) => ({ learner })) });
  folder = loadClass(join(home, 'class'));
  instructor = await createArmClients(createArmContext(loadConfig({ env }), { as: 'instructor', env }));
});
afterAll(async () => {
  await emulator?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('class provision on the emulator', () => {
  it('--what-if plans every resource, role and principal, and writes nothing', async () => {
    const before = writes();
    const plan = await planProvision(openClassSession(folder, { env }));
    // Per learner: principal, group, app identity, VM, 6 roles; the grader's Reader is seeded.
    expect(stepsToCreate(plan)).toBe(LEARNERS.length * 10);
    expect(plan.steps.find((s) => s.learner === undefined)).toMatchObject({ what: expect.stringMatching(/^role Reader for the grading principal/), action: 'exists' });
    expect(plan.notes.join(' ')).toMatch(/auto-shutdown schedules are skipped/);
    expect(plan.cost).toBeUndefined();
    expect(writes()).toBe(before);
    const principals = await callPrincipalsAdmin(emulator.connection(), { list: { tags: { class: CLASS } } });
    expect(principals.principals).toEqual([]);
  });

  it("refuses a class that would pass the subscription's role assignment limit, naming the numbers (--what-if notes it)", async () => {
    const before = writes();
    const session = openClassSession(folder, { env });
    // The seeded world's assignments + 6 per learner + lab 02's Reader per learner: one past this limit.
    const seeded = (await planProvision(session, { whatIf: true })).steps.filter((s) => s.kind === 'roleAssignment' && s.action === 'create').length;
    expect(seeded).toBe(LEARNERS.length * 6);
    const existing = await (async () => {
      let n = 0;
      for await (const _ of instructor.authorization.roleAssignments.listForSubscription()) n += 1;
      return n;
    })();
    const limit = existing + seeded + LEARNERS.length - 1;
    const plan = await planProvision(openClassSession(folder, { env }), { whatIf: true, roleAssignmentLimit: limit });
    expect(plan.notes.join(' ')).toContain(`would hold ${limit + 1} role assignments (${existing} there now, ${seeded} this plan makes, ${LEARNERS.length} lab 02 Readers the learners make): Azure allows ${limit} per subscription; provisioning will refuse`);
    await expect(planProvision(openClassSession(folder, { env }), { roleAssignmentLimit: limit })).rejects.toMatchObject({
      message: expect.stringContaining(`would hold ${limit + 1} role assignments`),
      hint: expect.stringMatching(/^Split the roster across subscriptions/),
    });
    // One more allowed: the class fits.
    expect((await planProvision(openClassSession(folder, { env }), { roleAssignmentLimit: limit + 1 })).notes.join(' ')).not.toContain('role assignments (');
    expect(writes()).toBe(before);
  });

  it('creates everything, tagged, with the roles at each learner group only', async () => {
    const session = openClassSession(folder, { env });
    const plan = await planProvision(session);
    const result = await applyProvision(plan, { concurrency: 3 });
    expect(result.failed).toEqual([]);
    expect(result.created).toBe(LEARNERS.length * 10);

    const tags = (l: string) => ({ workshop: 'milab', class: CLASS, learner: l });
    const principals = new Map((await callPrincipalsAdmin(emulator.connection(), { list: { tags: { class: CLASS } } })).principals.map((p) => [p.tags.learner, p]));
    expect([...principals.keys()].sort()).toEqual([...LEARNERS].sort());
    const assignments = [];
    for await (const a of instructor.authorization.roleAssignments.listForSubscription()) assignments.push(a);
    for (const l of LEARNERS) {
      const n = classLearnerNames(folder, l);
      expect((await instructor.resources.resourceGroups.get(n.resourceGroup)).tags).toEqual(tags(l));
      const app = await instructor.msi.userAssignedIdentities.get(n.resourceGroup, n.appIdentity);
      expect(app.tags).toMatchObject({ ...tags(l), purpose: 'existing-app' });
      const vm = await instructor.compute.virtualMachines.get(n.resourceGroup, n.vm);
      expect(vm.tags).toEqual(tags(l));
      expect(Object.keys(vm.identity?.userAssignedIdentities ?? {}).map((k) => k.toLowerCase())).toEqual([app.id?.toLowerCase()]);
      const mine = assignments.filter((a) => a.principalId === principals.get(l)?.objectId);
      expect(mine.map((a) => [a.scope?.toLowerCase(), a.roleDefinitionId?.split('/').pop()]).sort()).toEqual(
        [BUILTIN_ROLE_IDS['Role Based Access Control Administrator'], BUILTIN_ROLE_IDS['Managed Identity Contributor'], BUILTIN_ROLE_IDS['Managed Identity Operator'], BUILTIN_ROLE_IDS['Virtual Machine Contributor'], BUILTIN_ROLE_IDS['Key Vault Contributor'], BUILTIN_ROLE_IDS['Azure Container Instances Contributor Role']]
          .map((r) => [rgId(n.resourceGroup).toLowerCase(), r])
          .sort(),
      );
      const delegation = mine.find((a) => a.roleDefinitionId?.endsWith(BUILTIN_ROLE_IDS['Role Based Access Control Administrator']));
      expect(delegation?.conditionVersion).toBe('2.0');
      expect(delegation?.condition).toMatch(/acdd72a7-3385-48ef-bd42-f606fba81ae7/);
      // Key Vault Secrets Officer for this learner's own principal only (lab 09).
      expect(delegation?.condition).toContain(`PrincipalId] ForAnyOfAnyValues:GuidEquals {${principals.get(l)?.objectId.toLowerCase()}}`);
    }
    expect(session.throttle.stats.throttled).toBe(0);
  });

  it('a second run creates nothing', async () => {
    const before = writes();
    const plan = await planProvision(openClassSession(folder, { env }));
    expect(stepsToCreate(plan)).toBe(0);
    const result = await applyProvision(plan, { concurrency: 4 });
    expect(result).toMatchObject({ created: 0, failed: [] });
    expect(writes()).toBe(before);
  });

  it('resumes: what was deleted since is made again, and only that', async () => {
    const n = classLearnerNames(folder, 'cy');
    await instructor.msi.userAssignedIdentities.delete(n.resourceGroup, n.appIdentity);
    const plan = await planProvision(openClassSession(folder, { env }));
    expect(plan.steps.filter((s) => s.action === 'create').map((s) => [s.learner, s.kind])).toEqual([
      ['cy', 'identity'],
      ['cy', 'attachIdentity'],
    ]);
    expect((await applyProvision(plan, { concurrency: 4 })).failed).toEqual([]);
    const vm = await instructor.compute.virtualMachines.get(n.resourceGroup, n.vm);
    expect(Object.keys(vm.identity?.userAssignedIdentities ?? {}).some((k) => k.toLowerCase().endsWith(`/${n.appIdentity}`))).toBe(true);
  });
});

describe("a learner signed in with `class env`'s exports", () => {
  it('does lab 01 and 02 in their own group', async () => {
    const ann = await learnerClients('ann');
    const n = classLearnerNames(folder, 'ann');
    const identity = await ann.msi.userAssignedIdentities.createOrUpdate(n.resourceGroup, n.identity, { location: n.location, tags: labTags('ann', '01') });
    expect(identity.principalId).toBeTruthy();
    // Lab 02 in shared mode: Reader for their identity at their group (the condition allows it).
    await ann.authorization.roleAssignments.create(rgId(n.resourceGroup), '3c0f3e2d-4b5a-4c69-8d7e-0f1a2b3c4d99', {
      roleDefinitionId: roleDef('Reader'),
      principalId: identity.principalId!,
      principalType: 'ServicePrincipal',
    });
  });

  it("cannot touch another learner's group, nor the subscription", async () => {
    const ann = await learnerClients('ann');
    const bob = classLearnerNames(folder, 'bob');
    const denied = await refusal(ann.msi.userAssignedIdentities.createOrUpdate(bob.resourceGroup, 'id-milab-ann', { location: bob.location }));
    expect(denied.code).toBe('AuthorizationFailed');
    const read = await refusal(ann.compute.virtualMachines.get(bob.resourceGroup, bob.vm));
    expect(read.code).toBe('AuthorizationFailed');
    const atSubscription = await refusal(ann.resources.resourceGroups.createOrUpdate('rg-ann-elsewhere', { location: 'westus' }));
    expect(atSubscription.code).toBe('AuthorizationFailed');
  });

  it('cannot grant anything but Reader to a service principal, even in their own group', async () => {
    const ann = await learnerClients('ann');
    const n = classLearnerNames(folder, 'ann');
    const identity = await ann.msi.userAssignedIdentities.get(n.resourceGroup, n.identity);
    // The condition on their Role Based Access Control Administrator: Owner is refused …
    const owner = await refusal(
      ann.authorization.roleAssignments.create(rgId(n.resourceGroup), '3c0f3e2d-4b5a-4c69-8d7e-0f1a2b3c4d97', {
        roleDefinitionId: roleDef('Owner'),
        principalId: identity.principalId!,
        principalType: 'ServicePrincipal',
      }),
    );
    expect(owner.status).toBe(403);
    // … and so is Reader for a user.
    const user = await refusal(
      ann.authorization.roleAssignments.create(rgId(n.resourceGroup), '3c0f3e2d-4b5a-4c69-8d7e-0f1a2b3c4d96', {
        roleDefinitionId: roleDef('Reader'),
        principalId: SEED.principals.learner.objectId,
        principalType: 'User',
      }),
    );
    expect(user.status).toBe(403);
  });
});

describe('class teardown among decoys', () => {
  it('deletes 100 % of the class and 0 decoys', async () => {
    const ann = classLearnerNames(folder, 'ann');
    const bob = classLearnerNames(folder, 'bob');
    // Decoys: an untagged resource in a class group; one tagged for another class in a class
    // group; one tagged with this class in a group that is not the class's; another class's
    // group; a role assignment outside the class groups; and the seeded world.
    const decoys = [
      await instructor.msi.userAssignedIdentities.createOrUpdate(ann.resourceGroup, 'decoy-untagged', { location: 'westus' }),
      await instructor.msi.userAssignedIdentities.createOrUpdate(bob.resourceGroup, 'decoy-other-class', { location: 'westus', tags: { workshop: 'milab', class: 'other', learner: 'bob' } }),
      await instructor.msi.userAssignedIdentities.createOrUpdate(SEED.resourceGroup, 'decoy-outside', { location: 'westus', tags: { workshop: 'milab', class: CLASS, learner: 'ann' } }),
      // Lab-tagged (no class tag) for someone not in the roster, in a class group.
      await instructor.msi.userAssignedIdentities.createOrUpdate(bob.resourceGroup, 'decoy-stranger', { location: 'westus', tags: { workshop: 'milab', learner: 'zed', lab: '01' } }),
    ];
    // Not a decoy: made by a lab in bob's group for a roster learner (bob typed ann's id): the class's.
    await instructor.msi.userAssignedIdentities.createOrUpdate(bob.resourceGroup, 'id-milab-ann', { location: 'westus', tags: { workshop: 'milab', learner: 'ann', lab: '01' } });
    await instructor.resources.resourceGroups.createOrUpdate('rg-milab-other-ann', { location: 'westus', tags: { workshop: 'milab', class: 'other', learner: 'ann' } });
    decoys.push(await instructor.msi.userAssignedIdentities.createOrUpdate('rg-milab-other-ann', 'id-milab-ann-app', { location: 'westus', tags: { workshop: 'milab', class: 'other', learner: 'ann' } }));
    const decoyAssignment = await instructor.authorization.roleAssignments.create(rgId(SEED.resourceGroup), '3c0f3e2d-4b5a-4c69-8d7e-0f1a2b3c4d98', {
      roleDefinitionId: roleDef('Reader'),
      principalId: SEED.principals.grader.objectId,
      principalType: 'ServicePrincipal',
    });
    // An orphaned class assignment: ann's lab 02 Reader after ann deleted her identity.
    const annClients = await learnerClients('ann');
    await annClients.msi.userAssignedIdentities.delete(ann.resourceGroup, ann.identity);

    const seededAssignments: string[] = [];
    for await (const a of instructor.authorization.roleAssignments.listForSubscription()) {
      if (SEED.assignments.some((s) => a.name === s.name)) seededAssignments.push(a.id!);
    }
    expect(seededAssignments).toHaveLength(3);

    const before = writes();
    const plan = await planTeardown(openClassSession(folder, { env }));
    expect(writes()).toBe(before);
    const kept = plan.steps.filter((s) => s.action === 'keep').map((s) => s.what);
    expect(kept).toEqual(
      expect.arrayContaining([
        'Microsoft.ManagedIdentity/userAssignedIdentities decoy-untagged',
        'Microsoft.ManagedIdentity/userAssignedIdentities decoy-other-class',
        'Microsoft.ManagedIdentity/userAssignedIdentities decoy-stranger',
        `resource group ${ann.resourceGroup}`,
        `resource group ${bob.resourceGroup}`,
      ]),
    );

    const result = await applyTeardown(plan, { concurrency: 4 });
    expect(result.failed).toEqual([]);

    // 100 % of the class gone.
    const assignments: { id?: string; principalId?: string; scope?: string; description?: string }[] = [];
    for await (const a of instructor.authorization.roleAssignments.listForSubscription()) assignments.push(a);
    const groups: string[] = [];
    for await (const g of instructor.resources.resourceGroups.list()) groups.push(g.name!);
    for (const l of LEARNERS) {
      const n = classLearnerNames(folder, l);
      if (l === 'ann' || l === 'bob') {
        // Kept: they hold decoys. Everything of the class in them is gone.
        const left: string[] = [];
        for await (const r of instructor.resources.resources.listByResourceGroup(n.resourceGroup)) left.push(r.name!);
        expect(left.sort()).toEqual(l === 'ann' ? ['decoy-untagged'] : ['decoy-other-class', 'decoy-stranger']);
      } else {
        expect(groups).not.toContain(n.resourceGroup);
      }
      expect(assignments.filter((a) => a.scope?.toLowerCase().startsWith(rgId(n.resourceGroup).toLowerCase()))).toEqual([]);
    }
    expect(assignments.filter((a) => a.description?.startsWith(`milab class ${CLASS}:`))).toEqual([]);
    expect((await callPrincipalsAdmin(emulator.connection(), { list: { tags: { class: CLASS } } })).principals).toEqual([]);

    // 0 decoys touched.
    for (const d of decoys) expect((await instructor.msi.userAssignedIdentities.get(d.id!.split('/')[4]!, d.name!)).tags).toEqual(d.tags);
    expect(groups).toEqual(expect.arrayContaining([SEED.resourceGroup, 'rg-milab-other-ann', ann.resourceGroup, bob.resourceGroup]));
    expect(assignments.map((a) => a.id)).toEqual(expect.arrayContaining([decoyAssignment.id, ...seededAssignments]));
    expect((await instructor.compute.virtualMachines.get(SEED.resourceGroup, SEED.vmName)).name).toBe(SEED.vmName);
    // The seeded principals still sign in and read.
    const grader = await createArmClients(createArmContext(loadConfig({ env }), { as: 'grader', env }));
    expect((await grader.resources.resourceGroups.get(SEED.resourceGroup)).name).toBe(SEED.resourceGroup);

    // A second teardown finds nothing of the class left to delete.
    const again = await planTeardown(openClassSession(folder, { env }));
    expect(again.steps.filter((s) => s.action === 'delete')).toEqual([]);
  });
});

describe('class provision and teardown under ARM throttling', () => {
  // An emulator whose buckets are small (10 writes at once, 5 more a second; 10 deletes, 2 more a
  // second, so that the teardown's first dozen deletes meet a 429 even on a loaded machine): a
  // class of 3 needs 30 writes to provision, 27 ARM deletes to tear down.
  const LIMITS = { reads: { capacity: 40, refillPerSecond: 20 }, writes: { capacity: 10, refillPerSecond: 5 }, deletes: { capacity: 10, refillPerSecond: 2 } };
  let throttledHome: string;
  let throttled: Emulator;
  let throttledEnv: Record<string, string>;
  let small: ClassFolder;

  beforeAll(async () => {
    throttledHome = mkdtempSync(join(tmpdir(), 'milab-class-throttle-'));
    throttledEnv = { MILAB_HOME: throttledHome };
    throttled = createEmulator(parseConfig({ stateDir: join(throttledHome, 'emulator'), port: 0, log: () => undefined, profile: { throttle: 'reads=40/20,writes=10/5,deletes=10/2' } }));
    await throttled.listen();
    writeClassFolder(join(throttledHome, 'class'), { classId: 't3', target: 'emulator', mode: 'shared', learners: ['ann', 'bob', 'cy'].map((learner) => ({ learner })) });
    small = loadClass(join(throttledHome, 'class'));
  });
  afterAll(async () => {
    await throttled?.close();
    rmSync(throttledHome, { recursive: true, force: true });
  });

  const answered429 = () => {
    throttled.flushAudit();
    return readAudit(join(throttledHome, 'emulator')).filter((e) => e.status === 429).length;
  };

  it('with the client buckets at the limits, provisioning meets no 429', async () => {
    const session = openClassSession(small, { env: throttledEnv, throttle: new ThrottleBuckets(LIMITS) });
    const result = await applyProvision(await planProvision(session), { concurrency: 4 });
    expect(result.failed).toEqual([]);
    expect(result.created).toBe(30);
    expect(answered429()).toBe(0);
    // Over the write capacity: some calls waited for their token instead.
    expect(session.throttle.stats.waited).toBeGreaterThan(0);
  });

  it('when ARM answers 429 anyway (limits above the real ones), Retry-After is honoured and nothing fails', async () => {
    const session = openClassSession(small, { env: throttledEnv, throttle: new ThrottleBuckets({ ...LIMITS, writes: { capacity: 200, refillPerSecond: 10 }, deletes: { capacity: 200, refillPerSecond: 10 } }) });
    const result = await applyTeardown(await planTeardown(session), { concurrency: 8 });
    expect(result.failed).toEqual([]);
    expect(result.deleted).toBe(30);
    expect(answered429()).toBeGreaterThan(0);
    expect(session.throttle.stats.throttled).toBeGreaterThan(0);
  });
});
