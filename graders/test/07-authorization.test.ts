// Lab 07, authorization is separate: the starter leaves its grader failing, the solution passes
// it while the emulator holds the app identity's assignment back, and each common mistake — a role
// granted with the Azure SDK as the learner, or a variant of the VM program — fails the right
// check with the right message. On an in-process emulator with labs 01-03 solved; the VM part
// runs in a child process "on" labvm, with the grader's RBAC hold in force.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ArmClients } from '@milab/core';
import { findLab, TodoError, type LabContext, type ROLE_IDS } from '@milab/labs';
import type { GradeReport } from '@milab/grading';
import grader03 from '../03-attach-to-vm.js';
import { checks07, createGrader07 } from '../07-authorization-is-separate.js';
import { defineGrader } from '../lib/grader.js';
import { GRADERS } from '../index.js';
import { assignRole, failed, type LabWorld, result, said, useVmLabWorld, type VmLabWorld } from './support.js';

let vm: VmLabWorld;
let world: LabWorld;
let learner: ArmClients;
const lab07 = findLab('07');
const vmSolution = lab07.vmProgram!.solution;
const vmStarter = lab07.vmProgram!.starter;
const grade07 = (program = vmSolution): Promise<GradeReport> => vm.grade(createGrader07(program, grader03));
/** Only the role checks: no run on the VM. */
const gradeRoles = (): Promise<GradeReport> =>
  vm.grade(defineGrader('07', checks07(vmSolution, grader03).filter((c) => ['07.lab-03-done', '07.can-read', '07.least-privilege'].includes(c.id)), '07.can-read'));

useVmLabWorld('lab07-', (started, as) => {
  vm = started;
  world = started.world;
  learner = as;
});

const appPrincipal = async () => (await learner.msi.userAssignedIdentities.get(world.names.resourceGroup, world.names.appIdentity)).principalId!;
const assign = async (role: keyof typeof ROLE_IDS, scope: string) => assignRole(learner, world.names, role, scope, await appPrincipal());
/** The solution's vm.ts with `edits` made (each must change it), saved as a variant; returns its path. */
function variant(name: string, edits: [string, string][]): string {
  let source = readFileSync(vmSolution, 'utf8');
  for (const [from, to] of edits) {
    const edited = source.replace(from, to);
    expect(edited, `the edit of ${JSON.stringify(from)}`).not.toBe(source);
    source = edited;
  }
  const file = join(vm.dir, `${name}.ts`);
  writeFileSync(file, source);
  return file;
}

describe('lab 07', () => {
  it('is graded by `milab grade all`, after lab 06', () => {
    expect(GRADERS.map((g) => g.lab.id)).toContain('07');
    expect(GRADERS.findIndex((g) => g.lab.id === '07')).toBe(GRADERS.findIndex((g) => g.lab.id === '06') + 1);
    expect(lab07.vmProgram?.starter).toBe(join(lab07.dir, 'starter', 'vm.ts'));
  });

  it('the starter throws its TODO and leaves the grader failing; the solution passes every check under the hold', async () => {
    const ctx = await world.labContext('07');
    const { main: starter } = (await import(pathToFileURL(lab07.starter).href)) as { main: (ctx: LabContext) => Promise<void> };
    await expect(starter(ctx)).rejects.toBeInstanceOf(TodoError);
    const before = await grade07(vmStarter);
    expect(before.status).toBe('failed');
    const none = result(before, '07.can-read');
    expect(none.status).toBe('fail');
    expect(said(none)).toContain('id-milab-ada-app');
    expect(said(none)).toContain('holds no role on labvm');
    expect(said(none)).toContain('a token proves who calls');
    expect(said(none)).toContain(`--role Reader --scope ${world.names.vmId}`);
    expect(result(before, '07.reads-when-granted').status).toBe('skip');

    await world.solve('07');
    const after = await grade07();
    expect(failed(after)).toEqual([]);
    expect(after.status).toBe('passed');
    // The emulator held the assignment back: the read met 403s first, then got through.
    const read = result(after, '07.reads-when-granted');
    expect(said(read)).toMatch(/\(403 ×\d, 200\)/);
    expect(said(read)).toContain('the assignment held back 4 s');
    expect(said(result(after, '07.fresh-token'))).toContain('(401, 200) with 2 tokens');
    expect(JSON.stringify(after)).not.toMatch(/eyJ[\w-]+\.eyJ/);
    // The hold is over with the run: the app identity reads its VM at once again.
    const again = await grade07();
    expect(again.status).toBe('passed');
  }, 120_000);
});

describe('lab 07 mistakes', () => {
  it('403 treated as fatal: the starter tries once and gives up while the assignment is not in effect yet', async () => {
    await world.solve('07');
    const report = await grade07(vmStarter);
    const check = result(report, '07.reads-when-granted');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('403 treated as fatal');
    expect(said(check)).toContain('AuthorizationFailed');
    expect(said(check)).toContain('held its Reader assignment back for 4 s');
    expect(said(check)).toContain('throw NotGrantedError only once the deadline has passed');
    const givesUp = result(report, '07.gives-up');
    expect(givesUp.status).toBe('fail');
    expect(said(givesUp)).toContain('before its deadline of 2.0 s');
  }, 60_000);

  it('403 retried forever without backoff: a tight loop and no deadline', async () => {
    await world.solve('07');
    const file = variant('lab07-no-backoff', [
      ['      if (left <= 0) throw new NotGrantedError(attempt, Date.now() - started, message);\n', ''],
      ['const next = Math.min(wait, left);', 'const next = 50 + 0 * left;'],
    ]);
    const report = await grade07(file);
    expect(result(report, '07.reads-when-granted').status).toBe('pass');
    const backoff = result(report, '07.backoff');
    expect(backoff.status).toBe('fail');
    expect(said(backoff)).toContain('403 retried without backoff');
    expect(said(backoff)).toMatch(/\d+ requests answered 403 AuthorizationFailed/);
    expect(said(backoff)).toContain('wait = Math.min(wait * 2, 60_000)');
    const givesUp = result(report, '07.gives-up');
    expect(givesUp.status).toBe('fail');
    expect(said(givesUp)).toContain('403 retried forever');
    expect(said(givesUp)).toContain(`for ${world.names.resourceGroup}, where the identity has no role`);
    expect(said(givesUp)).toContain('throw new NotGrantedError');
  }, 60_000);

  it('Contributor where Reader suffices', async () => {
    const contributor = await assign('Contributor', world.names.vmId);
    const report = await gradeRoles();
    expect(result(report, '07.can-read').status).toBe('pass');
    const check = result(report, '07.least-privilege');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('id-milab-ada-app holds Contributor at the VM labvm');
    expect(said(check)).toContain('Contributor where Reader suffices');
    expect(said(check)).toContain(`--role Reader --scope ${world.names.vmId}`);
    expect(said(check)).toContain(`az role assignment delete --ids ${contributor.id}`);
  }, 60_000);

  it('Owner at the subscription where Reader on the VM suffices', async () => {
    await assign('Reader', world.names.vmId);
    await assign('Owner', world.names.subscriptionScope);
    const check = result(await gradeRoles(), '07.least-privilege');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('Owner at the subscription');
    expect(said(check)).toContain('Owner where Reader suffices');
    expect(said(check)).toContain('grant access to anyone');
    // Reader on the VM is there already: the fix only removes.
    expect(said(check)).not.toContain('Assign Reader on the VM');
  }, 60_000);

  it('Reader at a wider scope than the one resource', async () => {
    const wide = await assign('Reader', world.names.resourceGroupScope);
    const report = await gradeRoles();
    expect(result(report, '07.can-read').status).toBe('pass');
    const check = result(report, '07.least-privilege');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('Reader at a wider scope than the one resource the app reads');
    expect(said(check)).toContain(`resource group ${world.names.resourceGroup} lets it read every resource there`);
    expect(said(check)).toContain(`Assign Reader on the VM`);
    expect(said(check)).toContain(`az role assignment delete --ids ${wide.id}`);
  }, 60_000);

  it('the token cached past the refusal: one token for every attempt, and ARM refused that token (401)', async () => {
    await world.solve('07');
    const file = variant('lab07-cached-token', [
      ['  let refreshedFor401 = false;\n', '  let refreshedFor401 = false;\n  const cached = await getAccessToken();\n'],
      ['    const token = await getAccessToken();\n', '    const token = cached;\n'],
    ]);
    const report = await grade07(file);
    // Waiting out the hold works with one token: ARM reads the assignments on every request.
    expect(result(report, '07.reads-when-granted').status).toBe('pass');
    expect(result(report, '07.backoff').status).toBe('pass');
    const check = result(report, '07.fresh-token');
    expect(check.status, said(check)).toBe('fail');
    expect(said(check)).toContain('the token cached past the refusal');
    expect(said(check)).toContain('401 InvalidAuthenticationTokenAudience');
    expect(said(check)).toContain('https://storage.azure.com/');
    expect(said(check)).toContain('Move `const token = await getAccessToken()` inside the loop');
  }, 60_000);

  it('gave up on the 401: the token itself was the problem, and a new one would do', async () => {
    await world.solve('07');
    const file = variant('lab07-401-fatal', [['if (response.statusCode === 401 && !refreshedFor401) {', 'if (response.statusCode === 401 && refreshedFor401) {']]);
    const check = result(await grade07(file), '07.fresh-token');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('gave up on the 401');
    expect(said(check)).toContain('ArmCallError');
    expect(said(check)).toContain('On 401: `continue` the loop once');
  }, 60_000);

  it('its own token instead of the one it is given: the identity the caller chose is not the one that read', async () => {
    await world.solve('07');
    const file = variant('lab07-own-token', [['    const token = await getAccessToken();\n', '    const token = await (attempt > 0 ? appToken(ctx) : getAccessToken());\n']]);
    const check = result(await grade07(file), '07.reads-when-granted');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('with a token it got itself, not from getAccessToken');
  }, 60_000);
});
