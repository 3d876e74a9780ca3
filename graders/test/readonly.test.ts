// Graders only read: the emulator's audit log shows that grading labs 01-03 (with nothing done,
// and with everything done) makes only GET calls, all by the grader principal.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readAudit } from '@milab/emulator';
import { startLabWorld, type LabWorld } from './support.js';

let world: LabWorld;
beforeAll(async () => {
  world = await startLabWorld();
});
afterAll(async () => {
  await world?.stop();
});

async function callsWhileGrading(): Promise<{ method: string; principal: string; path: string }[]> {
  const before = readAudit(world.stateDir).length;
  await world.grade();
  return readAudit(world.stateDir).slice(before);
}

it('grading 01-03 makes no write call: only reads, only by the grader', async () => {
  world.reset();
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
