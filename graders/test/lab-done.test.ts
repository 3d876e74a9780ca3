// A learner whose lab 03 is not done grades lab 05: "lab 04 is done" runs only lab 04's key check
// chain, which stops at lab 03, so lab 05 is skipped without running any program on the VM, and
// says where the chain stopped. On an in-process emulator.
import { describe, expect, it } from 'vitest';
import { readAudit } from '@milab/emulator';
import { findLab } from '@milab/labs';
import { createGrader04 } from '../04-imds-token.js';
import { createGrader05 } from '../05-call-arm.js';
import { gradeLabs } from '../index.js';
import { result, said, type LabWorld, useLabWorld } from './support.js';

let world: LabWorld;
// Labs 01 and 02 done; the identity is not attached to the VM (lab 03).
useLabWorld({ reset: 'once', solve: ['01', '02'] }, (started) => {
  world = started;
});

describe('lab 05 graded alone while lab 03 is not done', () => {
  it('is skipped at once, naming lab 03, with no program run on the VM', async () => {
    const before = readAudit(world.stateDir).length;
    const { report } = await gradeLabs([createGrader05(findLab('05').solution, createGrader04(findLab('04').solution))], { config: world.config, env: world.env });
    const check = result(report, '05.lab-04-done');
    expect(check.status).toBe('skip');
    expect(said(check)).toContain('lab 04 is not done: 04.identity');
    expect(said(check)).toContain('lab 03 is not done: 03.identity-attached');
    for (const r of report.results.slice(1)) expect(r.status).toBe('skip');
    // Only the grader read: no learner program called ARM as the identity.
    const calls = readAudit(world.stateDir).slice(before);
    expect(calls.every((c) => c.principal === 'grader')).toBe(true);
  }, 30_000);
});
