// `milab class grade` on the real emulator, in-process: a small class whose groups and work an
// instructor made by hand (no provisioning), graded from one snapshot — each learner's true state
// check by check, a handful of ARM reads for the whole class — and through the command itself
// (CSV, HTML, JSON, JUnit, exit code). And the refusal to grade as a principal that can write.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArmClients, createArmContext, labTags, loadConfig, ThrottleBuckets, type ArmClients } from '@milab/core';
import { createEmulator, parseConfig, SEED, type Emulator } from '@milab/emulator';
import { labNames, ROLE_IDS, roleDefinitionId } from '@milab/labs';
import { classTags, learnerEnv, loadClass, writeClassFolder, type ClassFolder } from '../src/class/folder.js';
import { ClassGradeError, gradeClass } from '../src/class/grade.js';
import { parseClassJson } from '../src/class/report-json.js';
import type { ClassResult } from '../src/class/scoreboard.js';
import { registerClassGrade } from '../src/commands/class-grade.js';
import { runProgram } from './in-process.js';
import { repo } from './support.js';

let home: string;
let emulator: Emulator;
let folder: ClassFolder;
let instructor: ArmClients;
const saved = { ...process.env };
const CLASS = 'c1';
const LEARNERS = ['ada', 'bob', 'cy'];

const env = () => ({ ...process.env });
const namesOf = (learner: string) => labNames(loadConfig({ env: { ...env(), ...learnerEnv(folder, learner) } }), { ...env(), ...learnerEnv(folder, learner) });

async function identity(learner: string, tags: Record<string, string>) {
  const n = namesOf(learner);
  return instructor.msi.userAssignedIdentities.createOrUpdate(n.resourceGroup, n.identity, { location: n.location, tags });
}
const assign = (scope: string, principalId: string, role: string) =>
  instructor.authorization.roleAssignments.create(scope, randomUUID(), {
    roleDefinitionId: roleDefinitionId(SEED.subscriptionId, role),
    principalId,
    principalType: 'ServicePrincipal',
  });

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'milab-class-grade-'));
  emulator = createEmulator(parseConfig({ stateDir: join(home, 'emulator'), port: 0, log: () => undefined }));
  await emulator.listen();
  await emulator.ready();
  for (const name of Object.keys(process.env)) if (/^(AZURE_|MILAB_)/.test(name)) delete process.env[name];
  Object.assign(process.env, { MILAB_HOME: home, AZURE_POD_IDENTITY_AUTHORITY_HOST: 'http://127.0.0.1:9' });
  writeClassFolder(join(home, 'class'), { classId: CLASS, target: 'emulator', mode: 'shared', learners: LEARNERS.map((learner) => ({ learner, displayName: `${learner} <${learner}@example.org>` })) });
  folder = loadClass(join(home, 'class'));
  instructor = await createArmClients(createArmContext(loadConfig({ env: env() }), { as: 'instructor', env: env() }));
  for (const learner of LEARNERS) {
    await instructor.resources.resourceGroups.createOrUpdate(namesOf(learner).resourceGroup, { location: 'westus', tags: classTags(CLASS, learner) });
  }
  // ada: labs 01 and 02 done right (Reader at her group: the lab's scope in a shared class).
  const ada = await identity('ada', labTags('ada', '01'));
  await assign(namesOf('ada').readerScope, ada.principalId!, ROLE_IDS.Reader);
  // bob: a wrong tag (learner=ada), and Reader at the subscription instead of his group.
  const bob = await identity('bob', { ...labTags('bob', '01'), learner: 'ada' });
  await assign(namesOf('bob').subscriptionScope, bob.principalId!, ROLE_IDS.Reader);
  // cy: nothing yet.
});

afterAll(async () => {
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
  Object.assign(process.env, saved);
  await emulator?.close();
  rmSync(home, { recursive: true, force: true });
});

const statuses = (result: ClassResult, learner: string) =>
  Object.fromEntries(result.learners.find((l) => l.learner === learner)!.labs.flatMap((lab) => lab.results.map((r) => [r.id, r.status])));

describe('milab class grade on the emulator', () => {
  it("grades every learner from one snapshot, each learner's true state check by check", async () => {
    const throttle = new ThrottleBuckets();
    const reads: string[] = [];
    const { result, graderObjectId } = await gradeClass({ folder, labs: ['01', '02'], throttle, onRead: (what) => reads.push(what) });
    expect(graderObjectId).toBe(SEED.principals.grader.objectId.toLowerCase());
    expect(result.learners.map((l) => l.learner)).toEqual(LEARNERS);
    expect(statuses(result, 'ada')).toMatchObject({ '01.identity-exists': 'pass', '01.identity-tags': 'pass', '02.reader-at-subscription': 'pass', '02.not-over-privileged': 'pass' });
    expect(statuses(result, 'bob')).toMatchObject({ '01.identity-exists': 'pass', '01.identity-tags': 'fail', '02.reader-at-subscription': 'fail' });
    const bobReader = result.learners[1]!.labs[1]!.results.find((r) => r.id === '02.reader-at-subscription');
    expect(bobReader).toMatchObject({ status: 'fail', found: expect.stringContaining('rg-milab-c1-bob') });
    expect(statuses(result, 'cy')).toMatchObject({ '01.identity-exists': 'fail', '02.identity-ready': 'skip' });
    expect(result.learners.map((l) => l.labs.map((lab) => lab.mark))).toEqual([['pass', 'pass'], ['fail', 'fail'], ['fail', 'waiting']]);
    // One snapshot for the class: a handful of paged lists, whatever the number of learners,
    // every one through the job's buckets.
    expect(result.armReads).toBe(reads.length);
    expect(result.armReads).toBeLessThanOrEqual(LEARNERS.length * 3);
    expect(throttle.stats.requests).toBeGreaterThanOrEqual(result.armReads!);
    expect(result.mistakes[0]).toMatchObject({ checkId: '01.identity-exists', learners: ['cy'] });
  });

  it('the command writes the CSV, the HTML, JUnit and JSON, and exits 1 when something is to fix', async () => {
    const csv = join(home, 'out', 'grades.csv');
    const html = join(home, 'out', 'grades.html');
    const junit = join(home, 'out', 'junit');
    const { code, stdout, stderr } = await runClass(['grade', '--class', folder.dir, '--lab', '01', '02', '--csv', csv, '--html', html, '--junit', junit, '--json']);
    expect(stderr).toContain('Learner');
    expect(code).toBe(1);
    const json = parseClassJson(stdout);
    expect(json.learners.map((l) => [l.learner, l.status])).toEqual([['ada', 'passed'], ['bob', 'failed'], ['cy', 'failed']]);
    const rows = parse(readFileSync(csv, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r['SIS User ID'], r['01.identity-tags'], r['score %']])).toEqual([['ada', '1', '100'], ['bob', '0', expect.any(String)], ['cy', '0', '0']]);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('ada &lt;ada@example.org&gt;');
    expect(page).not.toContain('<ada@example.org>');
    for (const learner of LEARNERS) expect(existsSync(join(junit, `${learner}.xml`))).toBe(true);
  });

  it("runs lab 04's program on each learner's own VM, with that learner's identity", async () => {
    // ada's VM has her identity attached (lab 03 done); bob's has none.
    for (const [learner, attach] of [['ada', true], ['bob', false]] as const) {
      const n = namesOf(learner);
      const mine = await instructor.msi.userAssignedIdentities.get(n.resourceGroup, n.identity);
      await instructor.compute.virtualMachines.beginCreateOrUpdateAndWait(n.resourceGroup, n.vm, {
        location: n.location,
        tags: classTags(CLASS, learner),
        hardwareProfile: { vmSize: 'Standard_B1s' },
        storageProfile: { imageReference: { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: 'latest' } },
        osProfile: { computerName: n.vm, adminUsername: 'azureuser', linuxConfiguration: { disablePasswordAuthentication: true } },
        networkProfile: { networkInterfaces: [{ id: `${n.resourceGroupScope}/providers/Microsoft.Network/networkInterfaces/${n.vm}-nic` }] },
        ...(attach ? { identity: { type: 'UserAssigned', userAssignedIdentities: { [mine.id!]: {} } } } : {}),
      });
    }
    const program = join(repo, 'labs/04-imds-token/solution/index.ts');
    const { result } = await gradeClass({ folder, labs: ['03', '04'], programs: { '04': program }, concurrency: 2 });
    const ada = statuses(result, 'ada');
    expect(ada).toMatchObject({ '03.identity-attached': 'pass', '04.token-obtained': 'pass', '04.identity': 'pass', '04.no-token-in-output': 'pass' });
    const adaIdentity = await instructor.msi.userAssignedIdentities.get(namesOf('ada').resourceGroup, namesOf('ada').identity);
    const identityCheck = result.learners[0]!.labs[1]!.results.find((r) => r.id === '04.identity');
    expect(identityCheck).toMatchObject({ details: expect.stringContaining(`oid ${adaIdentity.principalId!}`) });
    // bob's Reader is at the wrong scope (lab 02 not done): lab 03 waits for it, and lab 04 runs nothing.
    expect(statuses(result, 'bob')).toMatchObject({ '03.lab-02-done': 'skip', '03.identity-attached': 'skip', '04.token-obtained': 'skip' });
    // cy never got past lab 01: lab 03 waits, and nothing runs on a VM cy does not have.
    expect(statuses(result, 'cy')['04.token-obtained']).toBe('skip');
  }, 120_000);

  it('refuses to grade as a principal that can write at the subscription, naming the role and the fix', async () => {
    const grader = SEED.principals.grader.objectId;
    const extra = await assign(`/subscriptions/${SEED.subscriptionId}`, grader, ROLE_IDS.Contributor);
    try {
      const error = await gradeClass({ folder, labs: ['01'] }).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(ClassGradeError);
      expect((error as ClassGradeError).message).toMatch(new RegExp(`holds Contributor at /subscriptions/${SEED.subscriptionId}, which can write`));
      expect((error as ClassGradeError).hint).toContain('az role assignment delete');
      const { code, stderr } = await runClass(['grade', '--class', folder.dir, '--lab', '01']);
      expect(code).toBe(2);
      expect(stderr).toContain('holds Contributor');
    } finally {
      await instructor.authorization.roleAssignments.deleteById(extra.id!);
    }
  });

  it('says what is wrong with bad options', async () => {
    expect((await runClass(['grade', '--class', join(home, 'nope')])).stderr).toMatch(/class\.json: no such file/);
    expect((await runClass(['grade', '--class', folder.dir, '--lab', '99'])).stderr).toMatch(/unknown lab '99'|no grader/);
    expect((await runClass(['grade', '--class', folder.dir, '--program', '03=x.ts'])).stderr).toMatch(/expected NN=FILE for a lab whose program runs on the VM/);
    expect((await runClass(['grade', '--concurrency', '0'])).stderr).toMatch(/from 1 to 32/);
  });
});

/** Runs `milab class …` in-process with only `grade` registered. */
function runClass(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const program = new Command('milab');
  registerClassGrade(program.command('class'));
  return runProgram(program, ['class', ...args]);
}
