// The VM challenges in a class (shared mode) on the emulator: a learner with only the class's
// roles on their own resource group (Managed Identity Contributor and Operator, Virtual Machine
// Contributor, and Role Based Access Control Administrator limited to Reader for service
// principals) can start app-cannot-get-a-token, repair it and pass, and its end removes what it
// made in their group only — another learner's group and the instructor's decoy stay.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConnection } from '@milab/common';
import { createArmClients, createArmContext, loadConfig, type ArmClients } from '@milab/core';
import { createEmulator, parseConfig, type Emulator } from '@milab/emulator';
import { labNames, ROLE_IDS, roleDefinitionId } from '@milab/labs';
import { abandonChallenge, gradeRunning, startChallenge, submitChallenge } from '../src/challenge/engine.js';
import { challengeNames } from '../src/challenge/names.js';
import { type CliResult, milab, parseExports } from './support.js';

let home: string;
let emulator: Emulator;
let base: Record<string, string>;

async function step(args: string[], env: Record<string, string>): Promise<CliResult> {
  const result = await milab(args, env, { timeoutMs: 120_000 });
  if (result.code !== 0) throw new Error(`./milab ${args.join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
  return result;
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'milab-challenge-class-'));
  emulator = createEmulator(parseConfig({ stateDir: join(home, 'emulator'), port: 0, log: () => undefined }));
  await emulator.listen();
  await emulator.ready();
  base = { MILAB_HOME: home };
  const roster = join(home, 'roster.csv');
  writeFileSync(roster, 'learner,displayName\nl01,Learner One\nl02,Learner Two\n');
  await step(['class', 'init', join(home, 'class'), '--class-id', 'ch1', '--target', 'emulator', '--mode', 'shared', '--roster', roster], base);
  await step(['class', 'provision', '--class', join(home, 'class')], base);
}, 240_000);

afterAll(async () => {
  await emulator?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('a VM challenge in a class', () => {
  it('starts with the class roles, fails, is repaired as the learner, passes, and cleans up only its own', async () => {
    const env = { ...base, ...parseExports((await step(['class', 'env', 'l01', '--class', join(home, 'class')], base)).stdout) };
    const other = { ...base, ...parseExports((await step(['class', 'env', 'l02', '--class', join(home, 'class')], base)).stdout) };
    const config = loadConfig({ env });
    const names = labNames(config, env);
    expect(names.mode).toBe('shared');
    const ch = challengeNames(names);
    const learner: ArmClients = await createArmClients(createArmContext(config, { env }));
    const neighbour: ArmClients = await createArmClients(createArmContext(loadConfig({ env: other }), { env: other }));
    const otherNames = labNames(loadConfig({ env: other }), other);
    // The neighbour's own identity, in their group: must stay.
    await neighbour.msi.userAssignedIdentities.createOrUpdate(otherNames.resourceGroup, `id-ch-${names.learnerId}-decoy`, { location: otherNames.location, tags: { workshop: 'milab', learner: names.learnerId, challenge: 'app-cannot-get-a-token' } });

    await startChallenge('app-cannot-get-a-token', { env });
    for (let i = 0; i < 200 && !Object.values(readConnection(config.paths.emulatorDir)?.vms ?? {}).some((v) => v.name === ch.vm); i++) await new Promise((r) => setTimeout(r, 25));
    const before = await gradeRunning({ env });
    expect(before.status).toBe('failed');
    expect(before.results.every((r) => r.status !== 'pass')).toBe(true);

    const inventory = await learner.msi.userAssignedIdentities.get(names.resourceGroup, ch.identity('inventory'));
    await learner.compute.virtualMachines.beginUpdateAndWait(names.resourceGroup, ch.vm, {
      identity: { type: 'UserAssigned', userAssignedIdentities: { [inventory.id!]: {}, [ch.identityId('old')]: null as never, [ch.identityId('batch')]: null as never } },
    });
    await learner.authorization.roleAssignments.create(names.resourceGroupScope, randomUUID(), {
      roleDefinitionId: roleDefinitionId(names.subscriptionId, ROLE_IDS.Reader),
      principalId: inventory.principalId!,
      principalType: 'ServicePrincipal',
    });
    const done = await submitChallenge({ env });
    expect(done.report.results.filter((r) => r.status !== 'pass')).toEqual([]);
    expect(done.result).toMatchObject({ score: 100, passed: true });
    expect(done.cleanup?.removed).toEqual(expect.arrayContaining([`VM ${ch.vm}`, `identity ${ch.identity('inventory')}`, `identity ${ch.identity('old')}`, `identity ${ch.identity('batch')}`]));

    const left: string[] = [];
    for await (const r of learner.resources.resources.listByResourceGroup(names.resourceGroup)) left.push(r.name!);
    expect(left.filter((n) => n.startsWith('id-ch-') || n.startsWith('vm-ch-'))).toEqual([]);
    const neighbours: string[] = [];
    for await (const r of neighbour.resources.resources.listByResourceGroup(otherNames.resourceGroup)) neighbours.push(r.name!);
    expect(neighbours).toContain(`id-ch-${names.learnerId}-decoy`);
  }, 120_000);

  it('abandon right after start leaves the group as it was', async () => {
    const env = { ...base, ...parseExports((await step(['class', 'env', 'l01', '--class', join(home, 'class')], base)).stdout) };
    const config = loadConfig({ env });
    const names = labNames(config, env);
    const learner = await createArmClients(createArmContext(config, { env }));
    const list = async () => {
      const out: string[] = [];
      for await (const r of learner.resources.resources.listByResourceGroup(names.resourceGroup)) out.push(r.id!.toLowerCase());
      for await (const a of learner.authorization.roleAssignments.listForResourceGroup(names.resourceGroup)) out.push(a.id!.toLowerCase());
      return out.sort();
    };
    const before = await list();
    await startChallenge('wire-up-an-app', { env });
    expect((await list()).length).toBeGreaterThan(before.length);
    await abandonChallenge({ env });
    expect(await list()).toEqual(before);
  }, 60_000);
});
