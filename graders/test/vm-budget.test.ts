// A run on the lab VM is judged on the learner's code, not on the machine: the harness reports
// how long its own start-up and the program's import took (what the time limits do not charge:
// the run's limit counts from the program's load), lab 09's reference read needs no SDK of its
// own, and a program whose top level never finishes is still stopped — by the start-up limit,
// with a reason that says what was measured. On an in-process emulator, with labs 01-03 and 09
// solved; the programs run in child processes "on" labvm. No timed assertions.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ArmClients } from '@milab/core';
import { findLab, ROLE_IDS } from '@milab/labs';
import { createGraderContext } from '../index.js';
import { runOnLabVm, STARTUP_TIMEOUT_MS } from '../lib/vm.js';
import { useVmLabWorld, type VmLabWorld } from './support.js';

let vm: VmLabWorld;
let learner: ArmClients;
useVmLabWorld('vm-budget-', (started, as) => {
  vm = started;
  learner = as;
});
const context = () => createGraderContext({ config: vm.world.config, env: vm.world.env });

describe('a run on the lab VM', () => {
  it("reports its start-up apart from the program's calls, and lab 09's reference read matches the solution's", async () => {
    await vm.world.solve('09');
    const run = await runOnLabVm(await context(), '09', findLab('09').vmProgram!.solution, undefined);
    expect(run.kind).toBe('ran');
    if (run.kind !== 'ran') return;
    expect(run.output.loadError).toBeUndefined();
    const { reference, learner } = run.output.lab09!;
    expect(reference).toMatchObject({ ok: true, timedOut: false });
    expect(learner).toMatchObject({ ok: true, sha256: reference.sha256 });
    expect(run.output.main?.ok).toBe(true);
    // In order: the harness loaded, then the program, then done; CPU only grows.
    const t = run.output.timing!;
    expect(t.harnessLoadedMs).toBeGreaterThan(0);
    expect(t.programLoadedMs).toBeGreaterThanOrEqual(t.harnessLoadedMs);
    expect(t.doneMs).toBeGreaterThanOrEqual(t.programLoadedMs);
    expect(t.programLoadedCpuMs).toBeGreaterThanOrEqual(t.harnessLoadedCpuMs);
    expect(t.doneCpuMs).toBeGreaterThanOrEqual(t.programLoadedCpuMs);
  }, 120_000);

  it("lab 09's reference read, refused, says Key Vault's status and code as SecretClient's error would", async () => {
    await vm.world.solve('09');
    const principalId = (await learner.msi.userAssignedIdentities.get(vm.world.names.resourceGroup, vm.world.names.identity)).principalId;
    for await (const a of learner.authorization.roleAssignments.listForSubscription()) {
      if (a.principalId === principalId && a.roleDefinitionId?.endsWith(ROLE_IDS['Key Vault Secrets User'])) await learner.authorization.roleAssignments.deleteById(a.id!);
    }
    const run = await runOnLabVm(await context(), '09', findLab('09').vmProgram!.solution, undefined);
    expect(run.kind).toBe('ran');
    if (run.kind !== 'ran') return;
    expect(run.output.lab09!.reference).toMatchObject({ ok: false, errorName: 'RestError', statusCode: 403, timedOut: false });
    expect(run.output.lab09!.reference.code).toBe(run.output.lab09!.learner.code);
  }, 120_000);

  it('a program whose top level never finishes is stopped by the start-up limit, and the reason says so', async () => {
    const file = join(vm.dir, 'never-loads.ts');
    writeFileSync(file, "process.on('SIGTERM', () => {});\nsetInterval(() => {}, 1_000);\nawait new Promise(() => {});\nexport async function getToken() { return ''; }\nexport async function main() {}\n");
    const run = await runOnLabVm(await context(), '04', file, undefined);
    expect(run).toMatchObject({ kind: 'crashed' });
    if (run.kind !== 'crashed') return;
    expect(run.reason).toContain(`was not loaded within ${STARTUP_TIMEOUT_MS / 1000} s on the VM`);
    expect(run.reason).toContain('a top-level loop or an await that never settles');
  }, 120_000);
});
