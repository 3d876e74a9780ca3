// The grader context makes each read once per grading run, however many checks ask for it at the
// same time: counted in the in-process emulator's audit log (readAudit flushes it first).
import { describe, expect, it } from 'vitest';
import { readAudit } from '@milab/emulator';
import { createGraderContext } from '../index.js';
import { type LabWorld, useLabWorld } from './support.js';

let world: LabWorld;
useLabWorld({ reset: 'once', solve: ['01', '02', '03'] }, (started) => {
  world = started;
});

const graderCalls = () => readAudit(world.stateDir, { principal: 'grader' }).length;

describe('the grader context', () => {
  it('makes one ARM call per read when checks ask for it concurrently', async () => {
    const ctx = await createGraderContext({ config: world.config, env: world.env });
    const before = graderCalls();
    // As concurrent checks do: every read asked for several times at once (a name in other case too).
    const reads = () => [
      ctx.identity(),
      ctx.identityNamed(world.names.identity.toUpperCase()),
      ctx.identitiesInSubscription(),
      ctx.roleAssignments(),
      ctx.vm(),
      ctx.vmsInSubscription(),
      ctx.knownPrincipals(),
      ctx.learnerObjectId(),
      ctx.resourceGroup(),
      ctx.resourcesInGroup(),
    ];
    const [first, second] = await Promise.all([Promise.all(reads()), Promise.all(reads())]);
    expect(second).toEqual(first);
    expect(first[0]).toMatchObject({ name: world.names.identity });
    // identity (by name, either case), identities, assignments, VM, VMs, resource group, its resources.
    expect(graderCalls() - before).toBe(7);
    // Asked again later: still no new call.
    await Promise.all(reads());
    expect(graderCalls() - before).toBe(7);
  });
});
