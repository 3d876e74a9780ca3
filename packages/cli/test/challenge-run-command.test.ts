// How the VM challenges are judged on Azure, tested end to end on the emulator: `submit` runs the
// app's probe on the challenge VM through Run Command as the learner — runCommandRunner, the real
// @azure/arm-compute beginRunCommandAndWait, against the emulator's Run Command, which runs the
// lines "on" the emulated VM (its IMDS, the emulator's ARM and CA, as `milab vm exec` does) and
// answers in Run Command's Linux shape ("Enable succeeded: \n[stdout]\n…\n[stderr]\n…", each
// stream cut to its last 4,096 bytes) — and the read-only checks judge what it printed.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMilabError, type ArmClients, type MilabConfig } from '@milab/core';
import type { Emulator } from '@milab/emulator';
import { labNames, ROLE_IDS, roleDefinitionId, type LabNames } from '@milab/labs';
import { gradeRunning, startChallenge, submitChallenge } from '../src/challenge/engine.js';
import { findChallenge } from '../src/challenge/index.js';
import { imdsOf } from '../src/challenge/checks.js';
import { runInventory } from '../src/challenge/inventory.js';
import { challengeNames } from '../src/challenge/names.js';
import { parseProbe, probeOnVm, probeScript, PROBE_MARKER, runCommandRunner, type VmScriptRunner } from '../src/challenge/vm-probe.js';
import { useChallengeWorld } from './challenge-world.js';

const T0 = new Date('2026-03-02T09:00:00.000Z');
const at = (minutes: number) => () => new Date(T0.getTime() + minutes * 60_000);

const hasPython = (() => {
  try {
    execFileSync('python3', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Run Command's Linux answer for a script's output (its last 4,096 bytes of each stream). */
const runCommandAnswer = (stdout: string, stderr: string) => {
  const last = (s: string) => Buffer.from(s).subarray(-4096).toString();
  return { value: [{ code: 'ProvisioningState/succeeded', message: `Enable succeeded: \n[stdout]\n${last(stdout)}\n[stderr]\n${last(stderr)}` }] };
};

describe('the probe and its answer', () => {
  it('is bash running python3 from a quoted here-document, with the names as literals and Azure\'s endpoints by default', () => {
    const lines = probeScript('00000000-0000-0000-0000-000000000001', "rg-milab-o'brien");
    expect(lines[0]).toBe('#!/bin/bash');
    expect(lines[1]).toBe("python3 - <<'MILAB_PROBE_PY'");
    expect(lines.at(-1)).toBe('MILAB_PROBE_PY');
    const text = lines.join('\n');
    expect(text).toContain(`RG = "rg-milab-o'brien"`);
    expect(text).toContain("'http://169.254.169.254'");
    expect(text).toContain("'https://management.azure.com'");
    // Never prints the token: only say() prints, and what it prints has no token field.
    expect(text.match(/print\(/g)).toHaveLength(1);
    expect(text).not.toMatch(/say\([^)]*token\b(?!')/);
  });

  it('reads the last marked line among the agent\'s output; no marked line is an error naming the VM and the next step', () => {
    const line = `${PROBE_MARKER}{"objectId":"ABC","identityResourceId":"/x","audience":"https://management.azure.com/","resources":["a","b"],"count":2}`;
    expect(parseProbe(runCommandAnswer(`noise\n${line}\n`, ''), 'vm1')).toEqual({ objectId: 'abc', identityResourceId: '/x', audience: 'https://management.azure.com/', resources: ['a', 'b'] });
    const refused = parseProbe(runCommandAnswer(`${PROBE_MARKER}{"failedAt":"token","error":{"code":"invalid_request","message":"Multiple user assigned identities exist","status":400}}`, ''), 'vm1');
    expect(refused).toMatchObject({ failedAt: 'token', error: { code: 'invalid_request', status: 400 }, resources: [] });
    let error: unknown;
    try {
      parseProbe(runCommandAnswer('', 'python3: command not found eyJhbGciOiJSUzI1NiJ9.eyJvaWQiOiJ4In0.c2ln'), 'vm-ch-ada');
    } catch (e) {
      error = e;
    }
    expect(isMilabError(error) && error.code).toBe('MILAB_CHALLENGE_PROBE');
    expect((error as Error).message).toContain('vm-ch-ada');
    expect((error as Error).message).toContain('python3: command not found');
    expect((error as Error).message).not.toContain('eyJhbGciOiJSUzI1NiJ9.eyJ');
  });
});

describe('the task on Azure', () => {
  const base = { mode: 'own', learnerId: 'ada', subscriptionId: 'sub', resourceGroup: 'rg', location: 'westus' };
  it('says the VM challenges are judged through Run Command as the learner, and the what-if says so; not on the emulator', () => {
    for (const challenge of [findChallenge('wire-up-an-app'), findChallenge('app-cannot-get-a-token')]) {
      expect(challenge.appOnVm).toBe(true);
      const azure = labNames({ ...base, target: 'azure' } as MilabConfig, {});
      expect(challenge.scenario(azure, challengeNames(azure))).toMatch(/runs the app on it through Run Command, signed in as you[\s\S]*runCommand\/action/);
      expect(challenge.plan(azure, challengeNames(azure)).join('\n')).toMatch(/submit runs the app on it through Run Command, as you/);
      const emulated = labNames({ ...base, target: 'emulator' } as MilabConfig, {});
      expect(challenge.scenario(emulated, challengeNames(emulated))).not.toMatch(/Run Command/);
    }
    expect(findChallenge('least-privilege-audit').appOnVm).toBeUndefined();
  });
});

describe.skipIf(!hasPython)('the VM challenges judged through a Run Command runner, on the emulator', () => {
  let home: string;
  let emulator: Emulator;
  let env: Record<string, string>;
  let clients: ArmClients;
  let names: LabNames;
  let config: MilabConfig;
  const scripts: string[][] = [];

  useChallengeWorld('milab-challenge-rc-', (world) => {
    ({ home, emulator, env, config, names, clients } = world);
  }, () => {
    scripts.length = 0;
  });

  const ch = () => challengeNames(names);

  /** Run Command through the SDK as the learner (the Azure runner), against the emulator's; it records the scripts. */
  const runner: VmScriptRunner = async (vm, script) => {
    scripts.push([...script]);
    return runCommandRunner(config, names, env)(vm, script);
  };

  const grantReader = (scope: string, principalId: string) =>
    clients.authorization.roleAssignments.create(scope, randomUUID(), { roleDefinitionId: roleDefinitionId(names.subscriptionId, ROLE_IDS.Reader), principalId, principalType: 'ServicePrincipal' });
  const setVmIdentities = (attach: string[], detach: string[] = []) =>
    clients.compute.virtualMachines.beginUpdateAndWait(names.resourceGroup, ch().vm, {
      identity: { type: 'UserAssigned', userAssignedIdentities: Object.fromEntries([...attach.map((id) => [id, {}]), ...detach.map((id) => [id, null as never])]) },
    });

  it('app-cannot-get-a-token: the probe sees what the app sees, broken and repaired; submit judges it and passes', async () => {
    await startChallenge('app-cannot-get-a-token', { env, now: at(0) });
    const lines: string[] = [];
    const before = await gradeRunning({ env, runOnVm: runner, log: (l) => lines.push(l) });
    expect(scripts).toHaveLength(1);
    expect(lines.join('\n')).toMatch(/through Run Command, signed in as you/);
    const token = before.results.find((r) => r.id === 'app-cannot-get-a-token.token')!;
    expect(token.status === 'fail' && token.found).toMatch(/Multiple user assigned identities exist.*the VM has 2 user-assigned identities/);

    const inventory = await clients.msi.userAssignedIdentities.get(names.resourceGroup, ch().identity('inventory'));
    await setVmIdentities([inventory.id!], [ch().identityId('old'), ch().identityId('batch')]);
    const forbidden = Object.fromEntries((await gradeRunning({ env, runOnVm: runner })).results.map((r) => [r.id, r.status]));
    expect(forbidden).toMatchObject({ 'app-cannot-get-a-token.token': 'pass', 'app-cannot-get-a-token.token-identity': 'pass', 'app-cannot-get-a-token.lists': 'fail' });

    await grantReader(names.resourceGroupScope, inventory.principalId!);
    // The probe on the VM and the app run here against the same IMDS agree on everything but the names cut.
    const probed = await probeOnVm(runner, names, ch().vm);
    const app = await runInventory(config, imdsOf(config, ch().vm) ?? undefined);
    expect(probed).toEqual(app);

    const done = await submitChallenge({ env, now: at(5), runOnVm: runner });
    expect(done.report.results.filter((r) => r.status !== 'pass')).toEqual([]);
    expect(done.result).toMatchObject({ passed: true, score: 100 });
    expect(JSON.stringify(done.report)).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
  }, 120_000);

  it('wire-up-an-app: the ledger identity attached with Reader on the group passes through the probe', async () => {
    await startChallenge('wire-up-an-app', { env, now: at(0) });
    const empty = await gradeRunning({ env, runOnVm: runner });
    expect(empty.results.find((r) => r.id === 'wire-up-an-app.token')?.status).not.toBe('pass');
    const identity = await clients.msi.userAssignedIdentities.createOrUpdate(names.resourceGroup, ch().identity('ledger'), {
      location: names.location,
      tags: { workshop: 'milab', learner: 'ada', challenge: 'wire-up-an-app' },
    });
    await grantReader(names.resourceGroupScope, identity.principalId!);
    await setVmIdentities([identity.id!]);
    const report = await gradeRunning({ env, runOnVm: runner });
    expect(report.results.filter((r) => r.status !== 'pass')).toEqual([]);
    expect(report.results.find((r) => r.id === 'wire-up-an-app.token-identity')).toMatchObject({ status: 'pass', details: `oid ${identity.principalId!.toLowerCase()}` });
  }, 120_000);

  it("a VM busy with another Run Command is Azure's 409, said with the next step (the challenge keeps running)", async () => {
    await startChallenge('app-cannot-get-a-token', { env, now: at(0) });
    const other = await clients.compute.virtualMachines.beginRunCommand(names.resourceGroup, ch().vm, { commandId: 'RunShellScript', script: ['sleep 3'] }, { updateIntervalInMs: 50 });
    let error: unknown;
    try {
      await runner(ch().vm, ['echo hi']);
    } catch (e) {
      error = e;
    }
    expect(isMilabError(error) && error.code).toBe('MILAB_CHALLENGE_RUN_COMMAND');
    expect((error as Error).message).toContain('Run command extension execution is in progress');
    expect(isMilabError(error) && error.hint).toContain('not busy with another Run Command');
    await other.pollUntilDone();
  }, 120_000);

  it('a VM the learner deleted is said as such, and the challenge without a VM app runs no Run Command', async () => {
    await startChallenge('app-cannot-get-a-token', { env, now: at(0) });
    await clients.compute.virtualMachines.beginDeleteAndWait(names.resourceGroup, ch().vm);
    // Run Command's 404 for the VM: the runner says 'no-vm'.
    const report = await gradeRunning({ env, runOnVm: runner });
    const token = report.results.find((r) => r.id === 'app-cannot-get-a-token.token')!;
    expect(token.status === 'fail' && token.found).toBe(`there is no VM ${ch().vm} in ${names.resourceGroup}`);

    rmSync(join(home, 'challenge.json'), { force: true });
    emulator.reset();
    scripts.length = 0;
    await startChallenge('least-privilege-audit', { env, now: at(0) });
    await gradeRunning({ env, runOnVm: runner });
    expect(scripts).toHaveLength(0);
  }, 120_000);
});
