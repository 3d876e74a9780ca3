// installSolution (what `milab solve` does for a lab that runs on the VM), on a copy of lab 04 in
// a temporary folder: the solution replaces the starter, and a starter the learner changed is
// saved first.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { findLab, installSolution, readLab } from '../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'milab-install-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('puts the solution in the starter, saving a changed starter first; a second run saves nothing', () => {
  const original = findLab('04');
  const dir = join(root, 'labs', original.folder);
  cpSync(original.dir, dir, { recursive: true });
  const lab = readLab(dir);
  expect(lab).toMatchObject({ id: '04', runsOn: 'vm' });
  writeFileSync(lab.starter, '// my attempt\n');
  const home = join(root, 'home');
  const first = installSolution(lab, home, new Date('2026-11-29T12:00:00Z'));
  expect(first.files).toEqual(['starter/index.ts']);
  expect(first.savedTo).toBe(join(home, 'saved', '04-imds-token-2026-11-29T12-00-00-000Z'));
  expect(readFileSync(join(first.savedTo!, 'index.ts'), 'utf8')).toBe('// my attempt\n');
  expect(readFileSync(lab.starter, 'utf8')).toBe(readFileSync(lab.solution, 'utf8'));
  expect(installSolution(lab, home).savedTo).toBeUndefined();
});
