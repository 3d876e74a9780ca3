// takeSnapshot follows ARM's paging and counts every page it fetched: on an emulator that answers
// lists 3 items a page, a class of N learners costs the pages of its lists (ceil(items / 3) per
// list), each counted once in armReads — what the emulator's audit log saw from the grader — and
// the snapshot holds every item of every page.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labTags, type ArmClients, type MilabConfig } from '@milab/core';
import { readAudit } from '@milab/emulator';
import { ROLE_IDS, roleDefinitionId } from '@milab/labs';
import { takeSnapshot } from '../index.js';
import { startPagedWorld, type PagedWorld } from './support.js';

const PAGE_SIZE = 3;

let world: PagedWorld;
let home: string;
let env: Record<string, string>;
let config: MilabConfig;
let instructor: ArmClients;

beforeAll(async () => {
  world = await startPagedWorld('snapshot-paging', PAGE_SIZE);
  ({ home, env, config, instructor } = world);
});
afterAll(async () => {
  await world?.stop();
});

const pages = (items: number) => Math.max(1, Math.ceil(items / PAGE_SIZE));

describe('takeSnapshot over paged lists', () => {
  it('fetches and counts every page, and keeps every item', async () => {
    const sub = `/subscriptions/${config.subscriptionId}`;
    for (const id of ['l1', 'l2', 'l3', 'l4', 'l5', 'l6', 'l7']) {
      const group = `rg-milab-cls-${id}`;
      await instructor.resources.resourceGroups.createOrUpdate(group, { location: 'westus' });
      const identity = await instructor.msi.userAssignedIdentities.createOrUpdate(group, `id-milab-${id}`, { location: 'westus', tags: labTags(id, '01') });
      await instructor.authorization.roleAssignments.create(`${sub}/resourceGroups/${group}`, randomUUID(), {
        roleDefinitionId: roleDefinitionId(config.subscriptionId!, ROLE_IDS.Reader),
        principalId: identity.principalId!,
        principalType: 'ServicePrincipal',
      });
      // Lab 09's vault for each; four of them deleted again (lab 11), soft-deleted: two pages of
      // deleted vaults, one of vaults.
      const vault = `${sub}/resourceGroups/${group}/providers/Microsoft.KeyVault/vaults/kv-${id}-paging`;
      await instructor.resources.resources.beginCreateOrUpdateByIdAndWait(vault, '2025-05-01', {
        location: 'westus',
        properties: { tenantId: config.tenantId, sku: { family: 'A', name: 'standard' }, enableRbacAuthorization: true },
      } as never);
      if (['l4', 'l5', 'l6', 'l7'].includes(id)) await instructor.resources.resources.beginDeleteByIdAndWait(vault, '2025-05-01');
    }
    const before = readAudit(join(home, 'emulator'), { principal: 'grader' }).length;
    const reads: string[] = [];
    const snapshot = await takeSnapshot({ config, env, onRead: (what) => reads.push(what) });
    const seen = readAudit(join(home, 'emulator'), { principal: 'grader' }).length - before;

    expect(snapshot.identities.map((i) => i.name)).toEqual(expect.arrayContaining(['id-milab-l1', 'id-milab-l7']));
    expect(snapshot.resourceGroups.map((g) => g.name)).toEqual(expect.arrayContaining(['rg-milab-cls-l1', 'rg-milab-cls-l7']));
    expect(snapshot.vaults?.map((v) => v.name).sort()).toEqual(['kv-l1-paging', 'kv-l2-paging', 'kv-l3-paging']);
    expect(snapshot.deletedVaults?.map((v) => v.name).sort()).toEqual(['kv-l4-paging', 'kv-l5-paging', 'kv-l6-paging', 'kv-l7-paging']);
    expect(snapshot.resourceDetails?.map((r) => r.id)).toEqual(snapshot.resources);
    const expected =
      pages(snapshot.identities.length) +
      pages(snapshot.roleAssignments.length) +
      pages(snapshot.vms.length) +
      pages(snapshot.resourceGroups.length) +
      pages(snapshot.resources.length) +
      pages(snapshot.vaults?.length ?? 0) +
      pages(snapshot.containerGroups?.length ?? 0) +
      pages(snapshot.deletedVaults?.length ?? 0);
    expect(snapshot.armReads).toBe(expected);
    expect(snapshot.armReads).toBe(reads.length);
    expect(snapshot.armReads).toBe(seen);
    // More pages than lists: the lists with more than a page were followed.
    expect(snapshot.armReads).toBeGreaterThan(8);
    // What the reads were: the eight lists at subscription scope, nothing per learner.
    const lists = new Set(reads.map((r) => r.replace(/^GET /, '')));
    expect([...lists].sort()).toEqual(
      [
        `${sub}/providers/Microsoft.Authorization/roleAssignments`,
        `${sub}/providers/Microsoft.Compute/virtualMachines`,
        `${sub}/providers/Microsoft.KeyVault/vaults`,
        `${sub}/providers/Microsoft.KeyVault/deletedVaults`,
        `${sub}/providers/Microsoft.ContainerInstance/containerGroups`,
        `${sub}/providers/Microsoft.ManagedIdentity/userAssignedIdentities`,
        `${sub}/resourcegroups`,
        `${sub}/resources`,
      ].sort(),
    );
  });
});
