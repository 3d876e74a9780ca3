// Graders only read: the emulator's audit log shows that grading labs 01-03 (with nothing done,
// and with everything done) makes only GET calls, all by the grader principal.
import { expect, it } from 'vitest';
import { readAudit } from '@milab/emulator';
import { type LabWorld, useLabWorld } from './support.js';

let world: LabWorld;
useLabWorld((started) => {
  world = started;
});

async function callsWhileGrading(): Promise<{ method: string; principal: string; path: string }[]> {
  const before = readAudit(world.stateDir).length;
  await world.grade();
  return readAudit(world.stateDir).slice(before);
}

it('grading 01-03 makes no write call: only reads, only by the grader', async () => {
  const untouched = await callsWhileGrading();
  await world.solve('01', '02', '03');
  const solved = await callsWhileGrading();
  const calls = [...untouched, ...solved];
  expect(calls.length).toBeGreaterThan(5);
  expect(new Set(calls.map((c) => c.principal))).toEqual(new Set(['grader']));
  expect(calls.filter((c) => c.method !== 'GET')).toEqual([]);
  // It read what the labs are about.
  const paths = calls.map((c) => c.path.toLowerCase());
  expect(paths.some((p) => p.includes('/userassignedidentities/'))).toBe(true);
  expect(paths.some((p) => p.endsWith('/roleassignments'))).toBe(true);
  expect(paths.some((p) => p.includes('/virtualmachines/labvm'))).toBe(true);
});

it('a grader that may not read stops with "could not grade", not with a failed check', async () => {
  const instructor = await world.as('instructor');
  const graderId = world.emulator.connection().principals.grader.objectId;
  for await (const a of instructor.authorization.roleAssignments.listForSubscription({ filter: `principalId eq '${graderId}'` })) {
    await instructor.authorization.roleAssignments.deleteById(a.id!);
  }
  const report = await world.grade('01');
  expect(report.status).toBe('error');
  expect(report.error).toMatchObject({ kind: 'other', checkId: '01.identity-exists' });
  expect(report.error?.message).toContain('The grader is not allowed to read');
  expect(report.error?.hint).toContain('up to 10 minutes');
});
