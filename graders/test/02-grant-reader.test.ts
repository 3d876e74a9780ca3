// Lab 02's grader judges what ARM stores, and ARM stores the principal's real type: the reason
// there is no principalType check (one could never fail). If the emulator ever kept the type a
// request sent (or none), these tests fail, and such a check would mean something again.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ArmClients } from '@milab/core';
import { ROLE_IDS, roleDefinitionId } from '@milab/labs';
import { checks } from '../02-grant-reader.js';
import { failed, type LabWorld, result, useLabWorld } from './support.js';

let world: LabWorld;
let learner: ArmClients;

useLabWorld({ solve: ['01'] }, (started, as) => {
  world = started;
  learner = as;
});

const identityPrincipal = async () => (await learner.msi.userAssignedIdentities.get(world.names.resourceGroup, world.names.identity)).principalId!;
const readerFor = (principalId: string, principalType?: string) =>
  learner.authorization.roleAssignments.create(world.names.readerScope, randomUUID(), {
    roleDefinitionId: roleDefinitionId(world.names.subscriptionId, ROLE_IDS.Reader),
    principalId,
    ...(principalType === undefined ? {} : { principalType }),
  });

describe('lab 02 and principalType', () => {
  it('an assignment made without principalType is stored as ServicePrincipal, and lab 02 passes', async () => {
    const made = await readerFor(await identityPrincipal());
    expect(made.principalType).toBe('ServicePrincipal');
    const read = await learner.authorization.roleAssignments.getById(made.id!);
    expect(read.principalType).toBe('ServicePrincipal');
    const report = await world.grade('02');
    expect(failed(report)).toEqual([]);
    expect(result(report, '02.reader-at-subscription').status).toBe('pass');
  });

  it('a wrong principalType is refused (UnmatchedPrincipalType), so no stored assignment of the identity has one', async () => {
    await expect(readerFor(await identityPrincipal(), 'User')).rejects.toMatchObject({ code: 'UnmatchedPrincipalType' });
    const principalId = await identityPrincipal();
    const stored = [];
    for await (const a of learner.authorization.roleAssignments.listForScope(world.names.readerScope)) if (a.principalId === principalId) stored.push(a);
    expect(stored).toEqual([]);
  });

  it('grades no principalType check (it could not fail)', () => {
    expect(checks.map((c) => c.id)).toEqual(['02.identity-ready', '02.reader-at-subscription', '02.not-over-privileged', '02.no-orphaned-assignment']);
  });
});
