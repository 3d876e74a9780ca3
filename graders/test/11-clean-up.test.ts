// Lab 11, clean up without orphans: the starter leaves its grader failing, the solution passes it
// (and running it again changes nothing), the emulator keeps a deleted identity's role
// assignments as Azure does, and each named mistake fails the right check with the right words:
// the identity deleted first (its assignments left orphaned), the decoy deleted (a clean-up by
// name), a soft-deleted vault left holding its name. On an in-process emulator with labs 01–03,
// 06, 07 and 09 solved (their local parts: what leaves role assignments, a vault and identities).
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isMilabError, type ArmClients } from '@milab/core';
import { DECOY_TAGS, decoyName, findLab, SETUP_TAG, SETUP_TAG_VALUE, TodoError, VAULT_API_VERSION, vaultId, vaultName, type LabContext } from '@milab/labs';
import grader11 from '../11-clean-up.js';
import { GRADERS, gradeLabs } from '../index.js';
import { failed, type LabWorld, leaveOtherPrincipalsOrphan, result, runTypeScriptSteps, said, startLabWorld, withStatus } from './support.js';

let world: LabWorld;
let learner: ArmClients;
const lab11 = findLab('11');
const BEFORE = ['01', '02', '03', '06', '07', '09'];

const grade11 = async () => (await gradeLabs([grader11], { config: world.config, env: world.env })).report;
async function runSolution(): Promise<void> {
  const { main } = (await import(pathToFileURL(lab11.solution).href)) as { main: (ctx: LabContext) => Promise<void> };
  await main(await world.labContext('11'));
}
const principalOf = async (name: string) => (await learner.msi.userAssignedIdentities.get(world.names.resourceGroup, name)).principalId!;
async function assignmentsOf(principalId: string): Promise<{ id: string; scope: string }[]> {
  const found: { id: string; scope: string }[] = [];
  for await (const a of learner.authorization.roleAssignments.listForSubscription()) if (a.principalId === principalId) found.push({ id: a.id!, scope: a.scope! });
  return found;
}

beforeAll(async () => {
  world = await startLabWorld();
  learner = await world.as('learner');
});
afterAll(async () => {
  await world?.stop();
});
beforeEach(async () => {
  world.reset();
  await world.solve(...BEFORE);
  await world.prepare('11');
});

describe('lab 11', () => {
  it("is graded by `milab grade all`, last; the decoy carries none of milab's tags", () => {
    expect(GRADERS.at(-1)).toBe(grader11);
    expect(lab11.setup).toBe(true);
    expect(Object.keys(DECOY_TAGS).filter((tag) => ['workshop', 'learner', 'lab'].includes(tag))).toEqual([]);
  });

  it('the starter leaves its grader failing; the solution passes it; running it again changes nothing', async () => {
    const { main: starter } = (await import(pathToFileURL(lab11.starter).href)) as { main: (ctx: LabContext) => Promise<void> };
    await expect(starter(await world.labContext('11'))).rejects.toBeInstanceOf(TodoError);
    const before = await grade11();
    expect(withStatus(before, 'fail')).toEqual(['11.nothing-tagged-left', '11.identities-detached']);
    expect(said(result(before, '11.nothing-tagged-left'))).toContain(world.names.identity);
    expect(said(result(before, '11.nothing-tagged-left'))).toContain('First the role assignments');
    await runSolution();
    const after = await grade11();
    expect(failed(after)).toEqual([]);
    expect(after.status).toBe('passed');
    await runSolution();
    expect((await grade11()).status).toBe('passed');
    // The decoy and its Reader are there, the VM too, with no identity left.
    expect(result(after, '11.decoy-kept').status).toBe('pass');
    const vm = await learner.compute.virtualMachines.get(world.names.resourceGroup, world.names.vm);
    expect(vm.identity?.type ?? 'None').toBe('None');
  });

  it('before its setup, lab 11 is not graded: 11.set-up is skipped, saying how to start, and no check fails; the setup tags the lab VM', async () => {
    world.reset();
    await world.solve(...BEFORE);
    const before = await grade11();
    expect(failed(before)).toEqual([]);
    expect(result(before, '11.set-up').status).toBe('skip');
    expect(said(result(before, '11.set-up'))).toContain('./milab start');
    expect(said(result(before, '11.set-up'))).not.toContain('is not there either');
    expect(before.status).not.toBe('passed');
    await world.prepare('11');
    const vm = await learner.compute.virtualMachines.get(world.names.resourceGroup, world.names.vm);
    expect(vm.tags?.[SETUP_TAG]).toBe(SETUP_TAG_VALUE);
    expect(result(await grade11(), '11.set-up').status).toBe('pass');
  });

  it('the whole resource group deleted: the grader cannot tell it from never made, and 11.set-up says both', async () => {
    world.reset();
    await world.solve(...BEFORE);
    await world.prepare('11');
    await learner.resources.resourceGroups.beginDeleteAndWait(world.names.resourceGroup);
    const report = await grade11();
    expect(result(report, '11.set-up').status).toBe('skip');
    expect(said(result(report, '11.set-up'))).toContain(`The resource group ${world.names.resourceGroup} is not there either: if you deleted it, the decoy and the lab VM went with it`);
  });

  it('the emulator keeps a deleted identity\'s role assignments, naming the principal that is gone, as Azure does', async () => {
    // Learn, "Understand Azure role assignments", "Role assignments with identity not found": the
    // role assignments of a deleted principal are not removed automatically.
    const principal = await principalOf(world.names.identity);
    const before = await assignmentsOf(principal);
    expect(before.length).toBeGreaterThanOrEqual(2);
    await learner.msi.userAssignedIdentities.delete(world.names.resourceGroup, world.names.identity);
    const after = await assignmentsOf(principal);
    expect(after).toEqual(before);
    await expect(learner.msi.userAssignedIdentities.get(world.names.resourceGroup, world.names.identity)).rejects.toSatisfy((e) => isMilabError(e) && e.code === 'ResourceNotFound');
  });

  it('mistake: the identity deleted first — its role assignments are left orphaned, and the fix removes them', async () => {
    const principal = await principalOf(world.names.identity);
    await learner.msi.userAssignedIdentities.delete(world.names.resourceGroup, world.names.identity);
    await runSolution();
    const report = await grade11();
    expect(withStatus(report, 'fail')).toEqual(['11.no-orphaned-assignments']);
    const text = said(result(report, '11.no-orphaned-assignments'));
    expect(text).toContain(`Reader at the subscription for principal ${principal}`);
    expect(text).toContain('deleted before its role assignments were removed');
    expect(text).toContain('Identity not found');
    // Lab 02's Reader; lab 09's Secrets User went with the vault (an assignment at a deleted resource's scope goes with it).
    expect(await runTypeScriptSteps((result(report, '11.no-orphaned-assignments') as { fix: string }).fix, learner)).toBe(1);
    expect((await grade11()).status).toBe('passed');
  });

  it('mistake: the decoy deleted (a clean-up by name) — 11.decoy-kept says it was not yours', async () => {
    await runSolution();
    await learner.msi.userAssignedIdentities.delete(world.names.resourceGroup, decoyName(world.names));
    const report = await grade11();
    expect(result(report, '11.decoy-kept').status).toBe('fail');
    // Lab 11 is still known to have started: its setup tagged the lab VM, which stays.
    expect(result(report, '11.set-up').status).toBe('pass');
    const text = said(result(report, '11.decoy-kept'));
    expect(text).toContain(`${decoyName(world.names)} is not in ${world.names.resourceGroup}`);
    expect(text).toContain('no milab tags');
    expect(text).toContain('delete by tag, never by name');
    // Its Reader stays behind too, orphaned: the learner's setup made it, so it is judged.
    expect(result(report, '11.no-orphaned-assignments').status).toBe('fail');
    expect(result(report, '11.nothing-tagged-left').status).toBe('pass');
  });

  it("mistake: the decoy's Reader removed — 11.decoy-kept gives it back", async () => {
    await runSolution();
    const decoy = await principalOf(decoyName(world.names));
    for (const a of await assignmentsOf(decoy)) await learner.authorization.roleAssignments.deleteById(a.id);
    const report = await grade11();
    expect(withStatus(report, 'fail')).toEqual(['11.decoy-kept']);
    expect(said(result(report, '11.decoy-kept'))).toContain(`Reader on ${world.names.resourceGroup} was removed`);
    await runTypeScriptSteps((result(report, '11.decoy-kept') as { fix: string }).fix, learner);
    expect((await grade11()).status).toBe('passed');
  });

  it('mistake: a soft-deleted vault left holding its name — creating it again fails until it is purged', async () => {
    await runSolution();
    // The vault made again and deleted without the purge.
    const id = vaultId(world.names);
    const tid = world.config.tenantId!;
    const body = { location: world.names.location, tags: { workshop: 'milab', learner: world.names.learnerId, lab: '09' }, properties: { tenantId: tid, sku: { family: 'A', name: 'standard' }, enableRbacAuthorization: true } };
    await learner.resources.resources.beginCreateOrUpdateByIdAndWait(id, VAULT_API_VERSION, body as never);
    await learner.resources.resources.beginDeleteByIdAndWait(id, VAULT_API_VERSION);
    const report = await grade11();
    expect(withStatus(report, 'fail')).toEqual(['11.vault-purged']);
    const text = said(result(report, '11.vault-purged'));
    expect(text).toContain(`the vault ${vaultName(world.names)} was deleted`);
    expect(text).toContain('holds its name');
    expect(text).toContain(`az keyvault purge --name ${vaultName(world.names)} --location ${world.names.location}`);
    // The name is held: the vault cannot be made again.
    await expect(learner.resources.resources.beginCreateOrUpdateByIdAndWait(id, VAULT_API_VERSION, body as never)).rejects.toSatisfy((e) => isMilabError(e) && /deleted state/.test(e.message));
    // The solution, run again, purges it.
    await runSolution();
    expect((await grade11()).status).toBe('passed');
  });

  it('a vault under purge protection cannot be purged: the check passes and says until when the name is held', async () => {
    await runSolution();
    const id = vaultId(world.names);
    const body = { location: world.names.location, tags: { workshop: 'milab', learner: world.names.learnerId, lab: '09' }, properties: { tenantId: world.config.tenantId!, sku: { family: 'A', name: 'standard' }, enableRbacAuthorization: true, enablePurgeProtection: true } };
    await learner.resources.resources.beginCreateOrUpdateByIdAndWait(id, VAULT_API_VERSION, body as never);
    await learner.resources.resources.beginDeleteByIdAndWait(id, VAULT_API_VERSION);
    // The solution tries the purge (405 under purge protection) and says so instead of failing.
    await runSolution();
    const report = await grade11();
    expect(failed(report)).toEqual([]);
    expect(said(result(report, '11.vault-purged'))).toMatch(new RegExp(`${vaultName(world.names)} has purge protection: nobody can purge it; it holds its name until \\d{4}-`));
  });

  it("another principal's orphan in the subscription is not the learner's to clean up", async () => {
    await runSolution();
    await leaveOtherPrincipalsOrphan(await world.as('instructor'), world.names);
    expect((await grade11()).status).toBe('passed');
  });

  it('an identity left attached to the VM after it was deleted is named as dangling', async () => {
    const identityId = world.names.identityId;
    await runSolution();
    // Attach a new identity of the workshop's, delete it without detaching it.
    const again = await learner.msi.userAssignedIdentities.createOrUpdate(world.names.resourceGroup, world.names.identity, { location: world.names.location });
    await learner.compute.virtualMachines.update(world.names.resourceGroup, world.names.vm, { identity: { type: 'UserAssigned', userAssignedIdentities: { [again.id!]: {} } } });
    await learner.msi.userAssignedIdentities.delete(world.names.resourceGroup, world.names.identity);
    const report = await grade11();
    expect(withStatus(report, 'fail')).toEqual(['11.identities-detached']);
    expect(said(result(report, '11.identities-detached'))).toContain(`${identityId.split('/').pop()} (deleted: the identity went before it was detached)`);
  });
});
