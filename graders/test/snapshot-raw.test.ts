// takeSnapshot reads ARM over plain paged REST (core's armRequest) and maps each page's JSON to the
// graders' views itself: what it holds must be exactly what the live context's SDK clients make of
// the same lists (the views of context.ts over @azure/arm-* models), page after page — on an
// emulator that answers 3 items a page, with identities, role assignments (with and without a
// condition), VMs with identities attached, groups, resources, key vaults (both permission models)
// and container groups (identities attached, the AZURE_CLIENT_ID setting kept, no other variable).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { armRequest, createArmClients, createArmContext, labTags, ThrottleBuckets, type ArmClients, type MilabConfig } from '@milab/core';
import { READER_ONLY_CONDITION, ROLE_IDS, roleDefinitionId } from '@milab/labs';
import { takeSnapshot } from '../index.js';
import { VAULT_API_VERSION, vaultView, type RawVault } from '../09-key-vault-secret-vault.js';
import { startPagedWorld, type PagedWorld } from './support.js';
import { assignmentView, collect, identityView, resourceGroupView, vmView, type RawVm } from '../lib/context.js';

let world: PagedWorld;
let env: Record<string, string>;
let config: MilabConfig;
let instructor: ArmClients;

beforeAll(async () => {
  world = await startPagedWorld('snapshot-raw', 3);
  ({ env, config, instructor } = world);
  const sub = `/subscriptions/${config.subscriptionId}`;
  for (const id of ['r1', 'r2', 'r3', 'r4']) {
    const group = `rg-milab-raw-${id}`;
    await instructor.resources.resourceGroups.createOrUpdate(group, { location: 'westus', tags: { learner: id } });
    const identity = await instructor.msi.userAssignedIdentities.createOrUpdate(group, `id-milab-${id}`, { location: 'westus', tags: labTags(id, '01') });
    await instructor.authorization.roleAssignments.create(`${sub}/resourceGroups/${group}`, randomUUID(), {
      roleDefinitionId: roleDefinitionId(config.subscriptionId!, ROLE_IDS.Reader),
      principalId: identity.principalId!,
      principalType: 'ServicePrincipal',
    });
    await instructor.authorization.roleAssignments.create(`${sub}/resourceGroups/${group}`, randomUUID(), {
      roleDefinitionId: roleDefinitionId(config.subscriptionId!, ROLE_IDS['Role Based Access Control Administrator']),
      principalId: identity.principalId!,
      principalType: 'ServicePrincipal',
      condition: READER_ONLY_CONDITION,
      conditionVersion: '2.0',
    });
    // Lab 09's vault: the RBAC permission model for r1 and r3, access policies (one) for r2 and r4.
    const rbac = id === 'r1' || id === 'r3';
    await instructor.resources.resources.beginCreateOrUpdateByIdAndWait(`${sub}/resourceGroups/${group}/providers/Microsoft.KeyVault/vaults/kv-raw-${id}`, VAULT_API_VERSION, {
      location: 'westus',
      properties: {
        tenantId: config.tenantId,
        sku: { family: 'A', name: 'standard' },
        enableRbacAuthorization: rbac,
        ...(rbac ? {} : { accessPolicies: [{ tenantId: config.tenantId, objectId: identity.principalId, permissions: { secrets: ['get'] } }] }),
      },
    } as never);
    // Lab 10's container group: the identity attached, and two settings of which only AZURE_CLIENT_ID is kept.
    await instructor.resources.resources.beginCreateOrUpdateByIdAndWait(`${sub}/resourceGroups/${group}/providers/Microsoft.ContainerInstance/containerGroups/ci-milab-${id}`, '2023-05-01', {
      location: 'westus',
      identity: { type: id === 'r1' ? 'SystemAssigned, UserAssigned' : 'UserAssigned', userAssignedIdentities: { [identity.id!]: {} } },
      properties: {
        osType: 'Linux',
        containers: [
          {
            name: 'app',
            properties: {
              image: 'mcr.microsoft.com/azuredocs/aci-helloworld',
              resources: { requests: { cpu: 1, memoryInGB: 1.5 } },
              environmentVariables: [
                { name: 'AZURE_CLIENT_ID', value: identity.clientId },
                { name: 'APP_SETTING', value: 'not-for-the-snapshot' },
              ],
            },
          },
        ],
      },
    } as never);
  }
  // The seeded VM with a user-assigned identity attached (its principal and client ids in the VM's block).
  const vms = [];
  for await (const vm of instructor.compute.virtualMachines.listAll()) vms.push(vm);
  const vm = vms[0]!;
  const group = /\/resourceGroups\/([^/]+)/i.exec(vm.id!)![1]!;
  const identity = await instructor.msi.userAssignedIdentities.get('rg-milab-raw-r1', 'id-milab-r1');
  await instructor.compute.virtualMachines.update(group, vm.name!, { identity: { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [identity.id!]: {} } } });
});
afterAll(async () => {
  await world?.stop();
});

describe('takeSnapshot over plain REST', () => {
  it('holds exactly the views the SDK clients give of the same lists, in their order', async () => {
    const grader = await createArmClients(createArmContext(config, { as: 'grader', env }));
    const snapshot = await takeSnapshot({ config, env, throttle: new ThrottleBuckets() });
    const [identities, roleAssignments, vms, resourceGroups, resources] = await Promise.all([
      collect(grader.msi.userAssignedIdentities.listBySubscription(), identityView),
      collect(grader.authorization.roleAssignments.listForSubscription(), assignmentView),
      collect(grader.compute.virtualMachines.listAll(), (raw) => vmView(raw as RawVm)),
      collect(grader.resources.resourceGroups.list(), resourceGroupView),
      collect(grader.resources.resources.list(), (r) => r.id ?? ''),
    ]);
    // More than one page of each list but the VMs' (3 a page; the world has one VM), so that nextLinks were followed.
    for (const list of [identities, roleAssignments, resourceGroups, resources]) expect(list.length).toBeGreaterThan(3);
    expect(vms.length).toBeGreaterThan(0);
    expect(snapshot.identities).toEqual(identities);
    expect(snapshot.roleAssignments).toEqual(roleAssignments);
    expect(snapshot.vms).toEqual(vms);
    expect(snapshot.resourceGroups).toEqual(resourceGroups);
    expect(snapshot.resources).toEqual(resources);
    expect(snapshot.roles).toEqual({});
    // Each vault as the vault module reads it live (one GET by id, graders/09-key-vault-secret-vault.ts).
    const arm = createArmContext(config, { as: 'grader', env });
    const vaults = await Promise.all(
      (snapshot.vaults ?? []).map(async (v) => vaultView((await armRequest<RawVault>(arm, { path: v.id, apiVersion: VAULT_API_VERSION })).body, { id: v.id, name: v.name, resourceGroup: v.resourceGroup })),
    );
    expect(snapshot.vaults?.map((v) => v.name).sort()).toEqual(['kv-raw-r1', 'kv-raw-r2', 'kv-raw-r3', 'kv-raw-r4']);
    expect(snapshot.vaults).toEqual(vaults);
    expect(snapshot.vaults?.map((v) => [v.name, v.rbac, v.accessPolicies, v.resourceGroup, /^https:\/\//.test(v.vaultUri ?? '')]).sort()).toEqual([
      ['kv-raw-r1', true, 0, 'rg-milab-raw-r1', true],
      ['kv-raw-r2', false, 1, 'rg-milab-raw-r2', true],
      ['kv-raw-r3', true, 0, 'rg-milab-raw-r3', true],
      ['kv-raw-r4', false, 1, 'rg-milab-raw-r4', true],
    ]);
    // The container groups as ARM gives them by id, with only what lab 10's grader reads.
    const groups = snapshot.containerGroups ?? [];
    expect(groups.map((g) => g.name).sort()).toEqual(['ci-milab-r1', 'ci-milab-r2', 'ci-milab-r3', 'ci-milab-r4']);
    for (const g of groups) {
      const { body } = await armRequest<{ identity?: { tenantId?: string }; properties?: { provisioningState?: string } }>(arm, { path: g.id!, apiVersion: '2023-05-01' });
      const mine = await instructor.msi.userAssignedIdentities.get(`rg-milab-raw-${g.name!.slice('ci-milab-'.length)}`, `id-milab-${g.name!.slice('ci-milab-'.length)}`);
      // All of the identity block but its tenantId (the grader does not read it).
      const { tenantId: _tenant, ...identity } = body?.identity ?? {};
      expect(g.identity, g.name).toEqual(identity);
      expect(g.properties?.provisioningState).toBe(body?.properties?.provisioningState);
      expect(g.properties?.containers).toEqual([{ properties: { environmentVariables: [{ name: 'AZURE_CLIENT_ID', value: mine.clientId }] } }]);
    }
    expect(JSON.stringify(groups)).not.toContain('not-for-the-snapshot');
    // The fields the checks read are there (not undefined from a wrong property path).
    expect(snapshot.roleAssignments.every((a) => a.principalId !== '' && a.roleGuid !== '' && a.scope !== '' && a.createdOn !== undefined && a.createdBy !== undefined)).toBe(true);
    expect(snapshot.identities.every((i) => i.principalId !== undefined && i.clientId !== undefined && i.location !== '')).toBe(true);
    const attached = snapshot.vms.find((v) => v.userAssigned.length > 0);
    expect(attached?.userAssignedIdentities[0]?.principalId).toBe(snapshot.identities.find((i) => i.name === 'id-milab-r1')?.principalId);
    expect(attached?.systemPrincipalId).toBeDefined();
  });

  it('reports each page once, by its path without the query', async () => {
    const reads: string[] = [];
    const snapshot = await takeSnapshot({ config, env, onRead: (what) => reads.push(what) });
    expect(snapshot.armReads).toBe(reads.length);
    expect(snapshot.armReads).toBeGreaterThan(10);
    expect(reads.every((r) => /^GET \/subscriptions\/[^/]+\//.test(r) && !r.includes('?'))).toBe(true);
  });
});
