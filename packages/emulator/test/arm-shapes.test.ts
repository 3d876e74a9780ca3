// Answers shaped as Azure's, compared with the Azure REST API spec examples (read in place from
// ../shared/azure-rest-specs) where they exist: `tags: {}` on untagged VMs and resource groups,
// `$expand=instanceView`, `isolationScope` only at the identity api-versions that have it,
// listAssociatedResources, exportTemplate, resource-group tag filters, and resource-group
// deletion as a long-running operation that shows `Deleting` until it ends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED } from '../src/world.js';
import { startTestEmulator, type TestEmulator } from './helpers.js';
import { COMPUTE, example, expectFields, MSI, RESOURCES, SKIP_SPECS } from './spec-support.js';
const sub = `/subscriptions/${SEED.subscriptionId}`;
const rg = `${sub}/resourceGroups/DevTest`;

/** The keys of an object, sorted. */
const keys = (value: unknown) => Object.keys(value as object).sort();

describe.skipIf(SKIP_SPECS)('ARM answers shaped as Azure’s', () => {
  let emu: TestEmulator;
  let token = '';

  beforeAll(async () => {
    emu = await startTestEmulator();
    token = await emu.token('learner');
  });
  afterAll(async () => {
    await emu.stop();
  });

  it('an untagged VM and resource group carry tags: {} as Azure returns them', async () => {
    const create = example(`${COMPUTE}/VirtualMachine_Create_WithSshAuthentication.json`);
    const path = `${rg}/providers/Microsoft.Compute/virtualMachines/shapevm?api-version=${create.parameters['api-version']}`;
    const body = JSON.parse(JSON.stringify(create.parameters.parameters).split('{subscription-id}').join(SEED.subscriptionId).split('/resourceGroups/myResourceGroup/').join('/resourceGroups/DevTest/'));
    const created = await emu.http('PUT', path, { token, body });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.tags).toEqual({});
    const got = await emu.http('GET', path, { token });
    const get = example(`${COMPUTE}/VirtualMachine_Get.json`).responses['200']?.body ?? {};
    // The top-level fields of VirtualMachines_Get that every VM has (the example's VM also has an availability set, extensions, managedBy).
    for (const field of ['name', 'id', 'type', 'location', 'tags', 'properties']) expect(got.body, field).toHaveProperty([field]);
    expect(typeof get.tags).toBe('object');
    expect(got.body.tags).toEqual({});
    const listed = await emu.http('GET', `${rg}/providers/Microsoft.Compute/virtualMachines?api-version=2025-04-01`, { token });
    expect((listed.body.value as { tags?: unknown }[]).every((vm) => typeof vm.tags === 'object')).toBe(true);

    const group = example(`${RESOURCES}/2025-04-01/examples/CreateResourceGroup.json`);
    const made = await emu.http('PUT', `${sub}/resourceGroups/Untagged?api-version=${group.parameters['api-version']}`, { token, body: group.parameters.parameters });
    expect(made.status).toBe(201);
    expectFields(made.body, group.responses['201']?.body);
    expect(made.body.tags).toEqual({});
    expect((await emu.http('GET', `${sub}/resourceGroups/Untagged?api-version=2025-04-01`, { token })).body.tags).toEqual({});
  });

  it('$expand=instanceView puts the instance view in properties, shaped as VirtualMachine_Get_InstanceView', async () => {
    const expected = structuredClone(example(`${COMPUTE}/VirtualMachine_Get_InstanceView.json`).responses['200']?.body ?? {});
    // A VM has boot diagnostics, extensions and patch status only when configured; emulated VMs are not.
    delete expected.bootDiagnostics;
    delete expected.extensions;
    delete expected.patchStatus;
    const plain = await emu.http('GET', `${rg}/providers/Microsoft.Compute/virtualMachines/labvm?api-version=2025-04-01`, { token });
    expect(plain.body.properties.instanceView).toBeUndefined();
    const expanded = await emu.http('GET', `${rg}/providers/Microsoft.Compute/virtualMachines/labvm?api-version=2025-04-01&$expand=instanceView`, { token });
    expect(expanded.status).toBe(200);
    expectFields(expanded.body.properties.instanceView, expected);
    expect(expanded.body.properties.instanceView.statuses.map((s: { code: string }) => s.code)).toEqual(['ProvisioningState/succeeded', 'PowerState/running']);
    const child = await emu.http('GET', `${rg}/providers/Microsoft.Compute/virtualMachines/labvm/instanceView?api-version=2025-04-01`, { token });
    expectFields(child.body, expected);
  });

  it('identities carry properties.isolationScope only at api-versions that have it', async () => {
    const path = `${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/scoped`;
    const create = example(`${MSI}/IdentityCreate.json`);
    const created = await emu.http('PUT', `${path}?api-version=2023-01-31`, { token, body: create.parameters.parameters });
    expect(created.status).toBe(201);
    const expected = example(`${MSI}/IdentityGet.json`).responses['200']?.body as { properties: object };
    expect(keys(created.body.properties)).toEqual(keys(expected.properties));
    expect(keys((await emu.http('GET', `${path}?api-version=2023-01-31`, { token })).body.properties)).toEqual(['clientId', 'principalId', 'tenantId']);
    expect((await emu.http('GET', `${path}?api-version=2018-11-30`, { token })).body.properties).not.toHaveProperty('isolationScope');
    expect((await emu.http('GET', `${path}?api-version=2023-07-31-preview`, { token })).body.properties).not.toHaveProperty('isolationScope');
    // Azure/azure-rest-api-specs, msi …/ManagedIdentity/examples/2024-11-30/IdentityGet.json and the
    // 2025-01-31-preview one: properties {clientId, isolationScope: "None", principalId, tenantId}.
    for (const apiVersion of ['2024-11-30', '2025-01-31-preview']) {
      const got = await emu.http('GET', `${path}?api-version=${apiVersion}`, { token });
      expect(keys(got.body.properties), apiVersion).toEqual(['clientId', 'isolationScope', 'principalId', 'tenantId']);
      expect(got.body.properties.isolationScope).toBe('None');
    }
    const listed = await emu.http('GET', `${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version=2023-01-31`, { token });
    expect((listed.body.value as { properties: object }[]).every((i) => !('isolationScope' in i.properties))).toBe(true);
  });

  it('POST listAssociatedResources lists the resources an identity is attached to', async () => {
    const identityPath = `${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/associated`;
    const identity = await emu.http('PUT', `${identityPath}?api-version=2023-01-31`, { token, body: { location: 'westus' } });
    const attach = { identity: { type: 'UserAssigned', userAssignedIdentities: { [identity.body.id]: {} } } };
    expect((await emu.http('PATCH', `${rg}/providers/Microsoft.Compute/virtualMachines/labvm?api-version=2025-04-01`, { token, body: attach })).status).toBe(200);
    const listed = await emu.http('POST', `${identityPath}/listAssociatedResources?api-version=2022-01-31-preview`, { token });
    expect(listed.status, JSON.stringify(listed.body)).toBe(200);
    // The shape of Azure/azure-rest-api-specs msi …/preview/2021-09-30-preview/examples/IdentityListAssociatedResources.json.
    expect(listed.body).toEqual({
      totalCount: 1,
      value: [
        {
          id: `${rg}/providers/Microsoft.Compute/virtualMachines/labvm`,
          name: 'labvm',
          type: 'microsoft.compute/virtualmachines',
          resourceGroup: 'DevTest',
          subscriptionId: SEED.subscriptionId,
          subscriptionDisplayName: expect.any(String),
        },
      ],
    });
    const filtered = await emu.http('POST', `${identityPath}/listAssociatedResources?api-version=2022-01-31-preview&$filter=${encodeURIComponent("contains(name, 'nothing')")}`, { token });
    expect(filtered.body).toEqual({ totalCount: 0, value: [] });
    const missing = await emu.http('POST', `${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ghost/listAssociatedResources?api-version=2022-01-31-preview`, { token });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('ResourceNotFound');
    const reader = await emu.http('POST', `${identityPath}/listAssociatedResources?api-version=2022-01-31-preview`, { token: await emu.token('grader') });
    expect(reader.status).toBe(403);
  });

  it('POST exportTemplate: 202 and a Location whose answer is the template (the SDK waits for it); 200 at older api-versions', async () => {
    const { resources } = emu.as('learner');
    const result = await resources.resourceGroups.beginExportTemplateAndWait('DevTest', { resources: ['*'] }, { updateIntervalInMs: 10 });
    expect(result.template).toMatchObject({ $schema: expect.stringContaining('deploymentTemplate.json'), contentVersion: '1.0.0.0' });
    const types = (result.template as { resources: { type: string }[] }).resources.map((r) => r.type);
    expect(types).toContain('Microsoft.Compute/virtualMachines');
    expect(types).toContain('Microsoft.ManagedIdentity/userAssignedIdentities');
    const started = await emu.http('POST', `${rg}/exportTemplate?api-version=2021-04-01`, { token, body: { resources: ['*'] } });
    expect(started.status).toBe(202);
    expect(started.headers.location).toMatch(/\/operationresults\//);
    const old = await emu.http('POST', `${rg}/exportTemplate?api-version=2018-05-01`, { token, body: { resources: [`${rg}/providers/Microsoft.Compute/virtualMachines/labvm`] } });
    expect(old.status).toBe(200);
    expect((old.body.template.resources as unknown[]).length).toBe(1);
    expect((await emu.http('POST', `${sub}/resourceGroups/NoSuch/exportTemplate?api-version=2021-04-01`, { token, body: {} })).body.error.code).toBe('ResourceGroupNotFound');
  });

  it('exportTemplate gives a container group an ACI api-version (2023-05-01), not the generic 2021-04-01', async () => {
    const group = `${rg}/providers/Microsoft.ContainerInstance/containerGroups/ci-export`;
    const body = { location: 'westus', properties: { osType: 'Linux', containers: [{ name: 'app', properties: { image: 'mcr.microsoft.com/azure-cli', resources: { requests: { cpu: 1, memoryInGB: 1.5 } } } }] } };
    expect((await emu.http('PUT', `${group}?api-version=2023-05-01`, { token, body })).status).toBe(201);
    const exported = await emu.http('POST', `${rg}/exportTemplate?api-version=2018-05-01`, { token, body: { resources: [group] } });
    expect(exported.body.template.resources).toMatchObject([{ type: 'Microsoft.ContainerInstance/containerGroups', apiVersion: '2023-05-01' }]);
    expect((await emu.http('DELETE', `${group}?api-version=2023-05-01`, { token })).status).toBe(200);
  });

  it("lists resource groups by $filter=tagName eq '…' (and tagValue eq '…')", async () => {
    await emu.http('PUT', `${sub}/resourceGroups/TagA?api-version=2025-04-01`, { token, body: { location: 'westus', tags: { Env: 'prod' } } });
    await emu.http('PUT', `${sub}/resourceGroups/TagB?api-version=2025-04-01`, { token, body: { location: 'westus', tags: { env: 'dev' } } });
    const names = async (filter: string) => {
      const response = await emu.http('GET', `${sub}/resourcegroups?api-version=2025-04-01&$filter=${encodeURIComponent(filter)}`, { token });
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      return (response.body.value as { name: string }[]).map((g) => g.name).sort();
    };
    expect(await names("tagName eq 'env'")).toEqual(['TagA', 'TagB']);
    expect(await names("tagName eq 'env' and tagValue eq 'prod'")).toEqual(['TagA']);
    expect(await names("tagName eq 'Env' and tagValue eq 'PROD'")).toEqual([]);
    expect(await names("tagName eq 'nothing'")).toEqual([]);
    const bad = await emu.http('GET', `${sub}/resourcegroups?api-version=2025-04-01&$filter=${encodeURIComponent("location eq 'westus'")}`, { token });
    expect(bad.status).toBe(400);
  });

  it('deleting a resource group answers 202 with Location and Retry-After, and shows Deleting until the operation ends', async () => {
    const spec = example(`${RESOURCES}/2024-03-01/examples/ForceDeleteVMsInResourceGroup.json`);
    await emu.http('PUT', `${sub}/resourceGroups/Doomed?api-version=2025-04-01`, { token, body: { location: 'westus' } });
    const deleted = await emu.http('DELETE', `${sub}/resourceGroups/Doomed?api-version=2025-04-01`, { token });
    expect(deleted.status).toBe(202);
    expect(keys(spec.responses['202']?.headers)).toEqual(['location']);
    expect(deleted.headers.location).toMatch(new RegExp(`^${emu.url}${sub}/operationresults/[0-9a-f-]{36}\\?api-version=`));
    expect(Number(deleted.headers['retry-after'])).toBeGreaterThan(0);
    const during = await emu.http('GET', `${sub}/resourceGroups/Doomed?api-version=2025-04-01`, { token });
    expect(during.status).toBe(200);
    expect(during.body.properties.provisioningState).toBe('Deleting');
    const listed = await emu.http('GET', `${sub}/resourcegroups?api-version=2025-04-01`, { token });
    expect((listed.body.value as { name: string; properties: { provisioningState: string } }[]).find((g) => g.name === 'Doomed')?.properties.provisioningState).toBe('Deleting');
    // Poll the Location as a client does (after Retry-After) until it answers 200.
    const location = String(deleted.headers.location).slice(emu.url.length);
    let polls = 0;
    for (;;) {
      polls += 1;
      expect(polls, 'the deletion ends').toBeLessThan(60);
      const poll = await emu.http('GET', location, { token });
      if (poll.status === 200) break;
      expect(poll.status).toBe(202);
      await new Promise((done) => setTimeout(done, Number(poll.headers['retry-after'] ?? '1') * 1000));
    }
    expect((await emu.http('GET', `${sub}/resourceGroups/Doomed?api-version=2025-04-01`, { token })).status).toBe(404);
    // The SDK's beginDeleteAndWait follows the same operation to its end.
    const { resources } = emu.as('learner');
    await resources.resourceGroups.createOrUpdate('Doomed2', { location: 'westus' });
    await resources.resourceGroups.beginDeleteAndWait('Doomed2');
    expect((await resources.resourceGroups.checkExistence('Doomed2')).body).toBe(false);
  });
});
