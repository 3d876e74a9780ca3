// Lab 09 in a class, end to end on the real emulator through `./milab` itself: `class provision`
// gives each learner the class condition and Key Vault Contributor at their group (and brings a
// class provisioned before lab 09 up to date, in place); ann does labs 01–03 and 09 with her own
// sign-in (`class env`), bob only 01–03; `class grade --lab 09 --program 09=…/vm.ts` grades ann's
// vault and secret from one snapshot and bob's missing vault; `class teardown --yes` deletes the
// vault and purges it (a deleted vault holds its global name otherwise), leaving no deleted vault.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { armRequest, createArmClients, createArmContext, loadConfig, type ArmClients } from '@milab/core';
import { createEmulator, parseConfig, SEED, type Emulator } from '@milab/emulator';
import { vaultName } from '@milab/graders';
import { READER_ONLY_CONDITION, ROLE_IDS } from '@milab/labs';
import { classLearnerNames, loadClass, writeClassFolder } from '../src/class/folder.js';
import { vaultNameClashes } from '../src/class/provision.js';
import { parseClassJson } from '../src/class/report-json.js';
import { labProgram, step } from './cli-process.js';
import { cleanEnv, parseExports } from './support.js';

const CLASS = 'k9';
let home: string;
let emulator: Emulator;
let instructor: ArmClients;
let base: Record<string, string>;
const classDir = () => join(home, 'class');

/** The subscription's soft-deleted vaults, as the instructor lists them. */
async function deletedVaults(): Promise<string[]> {
  const context = createArmContext(loadConfig({ env: cleanEnv(base) }), { as: 'instructor', env: cleanEnv(base) });
  const { body } = await armRequest<{ value?: { name?: string }[] }>(context, { path: `/subscriptions/${SEED.subscriptionId}/providers/Microsoft.KeyVault/deletedVaults`, apiVersion: '2025-05-01' });
  return (body?.value ?? []).map((v) => v.name ?? '').sort();
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'milab-class-lab09-'));
  emulator = createEmulator(parseConfig({ stateDir: join(home, 'emulator'), port: 0, log: () => undefined }));
  await emulator.listen();
  await emulator.ready();
  base = { MILAB_HOME: home };
  const env = cleanEnv(base);
  instructor = await createArmClients(createArmContext(loadConfig({ env }), { as: 'instructor', env }));
});

afterAll(async () => {
  await emulator?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('lab 09 in a class on the emulator', () => {
  it('names learners whose vaults would share a global name, before the class starts', () => {
    const dir = join(home, 'clash');
    writeClassFolder(dir, { classId: 'cl', target: 'emulator', mode: 'shared', learners: [{ learner: 'ann-1' }, { learner: 'ann1' }, { learner: 'bob' }] });
    const folder = loadClass(dir);
    const clashes = vaultNameClashes(folder);
    expect(clashes).toHaveLength(1);
    expect(clashes[0]).toContain(`learners ann-1, ann1 would all name their lab 09 vault ${vaultName({ learnerId: 'ann1', subscriptionId: SEED.subscriptionId })}`);
  });

  it('provision (and an older class brought up to date), ann does lab 09, class grade sees her vault, teardown purges it', async () => {
    const roster = join(home, 'roster.csv');
    writeFileSync(roster, 'learner,displayName\nann,Ann\nbob,Bob\n');
    await step('class init', ['class', 'init', classDir(), '--class-id', CLASS, '--target', 'emulator', '--mode', 'shared', '--roster', roster], base);
    await step('class provision', ['class', 'provision', '--class', classDir()], base);
    const folder = loadClass(classDir());

    // A class provisioned before lab 09: ann's delegation with lab 02's condition only (the same
    // assignment, rewritten). Provision plans the update and makes it, in place.
    const ann = classLearnerNames(folder, 'ann');
    const delegations = [];
    for await (const a of instructor.authorization.roleAssignments.listForScope(ann.resourceGroupId)) {
      if (a.roleDefinitionId?.endsWith(ROLE_IDS['Role Based Access Control Administrator']) && a.scope?.toLowerCase() === ann.resourceGroupId.toLowerCase()) delegations.push(a);
    }
    expect(delegations).toHaveLength(1);
    const delegation = delegations[0]!;
    await instructor.authorization.roleAssignments.create(delegation.scope!, delegation.name!, {
      roleDefinitionId: delegation.roleDefinitionId!,
      principalId: delegation.principalId!,
      principalType: 'ServicePrincipal',
      description: delegation.description ?? undefined,
      condition: READER_ONLY_CONDITION,
      conditionVersion: '2.0',
    });
    const whatIf = await step('class provision --what-if', ['class', 'provision', '--class', classDir(), '--what-if'], base);
    expect(whatIf.stdout).toMatch(/Role Based Access Control Administrator for learner ann .*update its condition/);
    expect(whatIf.stdout).not.toMatch(/learner bob .*update its condition/);
    await step('class provision (update)', ['class', 'provision', '--class', classDir()], base);
    const updated = await instructor.authorization.roleAssignments.get(delegation.scope!, delegation.name!);
    expect(updated.condition).toContain(`PrincipalId] ForAnyOfAnyValues:GuidEquals {${delegation.principalId!.toLowerCase()}}`);

    // ann: labs 01-03 and 09 with her own sign-in; bob: 01-03 only.
    const envOf = async (learner: string) => ({ ...base, ...parseExports((await step(`class env ${learner}`, ['class', 'env', learner, '--class', classDir()], base)).stdout) });
    const annEnv = await envOf('ann');
    for (const lab of ['01', '02', '03']) await step(`ann: solve ${lab}`, ['solve', lab], annEnv);
    // Lab 09's local part as a learner runs it (not `milab solve 09`, which puts the solution's
    // vm.ts into this checkout's starter, under every other test reading it): the class grade
    // runs the solution's vm.ts through --program.
    const local = await labProgram('labs/09-key-vault-secret/solution/index.ts', annEnv);
    expect(local.code, local.stderr).toBe(0);
    const bobEnv = await envOf('bob');
    for (const lab of ['01', '02', '03']) await step(`bob: solve ${lab}`, ['solve', lab], bobEnv);

    const graded = await step('class grade', ['class', 'grade', '--class', classDir(), '--lab', '09', '--program', '09=labs/09-key-vault-secret/solution/vm.ts', '--json'], base, [1]);
    const result = parseClassJson(graded.stdout);
    const status = (learner: string) => Object.fromEntries(result.learners.find((l) => l.learner === learner)!.labs.flatMap((lab) => lab.results.map((r) => [r.id, r.status])));
    expect(result.learners.find((l) => l.learner === 'ann')!.labs.map((l) => l.mark)).toEqual(['pass']);
    expect(status('ann')).toMatchObject({ '09.vault-rbac': 'pass', '09.identity-can-read': 'pass', '09.least-privilege': 'pass', '09.reads-secret': 'pass', '09.no-secret-in-output': 'pass' });
    expect(status('bob')).toMatchObject({ '09.lab-03-done': 'pass', '09.vault-rbac': 'fail' });
    // One snapshot of the subscription: its eight lists, not a read per learner's vault.
    expect(result.armReads).toBeLessThanOrEqual(8 + 2);

    // Teardown: the vault deleted and purged; its name free again.
    expect(await deletedVaults()).toEqual([]);
    const plan = await step('class teardown --what-if', ['class', 'teardown', '--class', classDir(), '--what-if'], base);
    expect(plan.stdout).toContain(`- delete  purge of the deleted vault ${vaultName({ learnerId: 'ann', subscriptionId: SEED.subscriptionId })}`);
    await step('class teardown', ['class', 'teardown', '--class', classDir(), '--yes'], base);
    expect(await deletedVaults()).toEqual([]);
  }, 900_000);
});
