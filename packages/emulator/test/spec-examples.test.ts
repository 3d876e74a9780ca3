// The Azure REST API spec examples (read in place from ../shared/azure-rest-specs): each
// example's request body, with its ids mapped into the seeded world, is accepted, and the
// response carries every field the example response shows.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_ROLE_IDS } from '../src/roles.js';
import { SEED } from '../src/world.js';
import { startTestEmulator, type TestEmulator } from './helpers.js';
import { AUTH, COMPUTE, expectFields, MSI, RESOURCES, SKIP_SPECS, SPECS, type Example } from './spec-support.js';

describe.skipIf(SKIP_SPECS)('Azure REST API spec examples', () => {
  let emu: TestEmulator;
  let token = '';
  let principalId = '';
  const sub = SEED.subscriptionId;

  /** The example file with its ids mapped into the seeded world. */
  function load(file: string, extra: Record<string, string> = {}): Example {
    let text = readFileSync(join(SPECS, file), 'utf8');
    const map: Record<string, string> = {
      '12345678-1234-5678-9012-123456789012': sub,
      'a925f2f7-5c63-4b7b-8799-25a5f97bc3b2': sub,
      '291bba3f-e0a5-47bc-a099-3bdcb2a50a05': sub,
      '00000000-0000-0000-0000-000000000000': sub,
      '{subscription-id}': sub,
      '/subscriptions/subid/': `/subscriptions/${sub}/`,
      '/subscriptions/subID/': `/subscriptions/${sub}/`,
      'resourceGroups/rgName': 'resourceGroups/DevTest',
      'resourcegroups/rgName': 'resourcegroups/DevTest',
      'resourceGroups/testrg': 'resourceGroups/DevTest',
      'resourceGroups/myResourceGroup': 'resourceGroups/DevTest',
      '0b5fe924-9a61-425c-96af-cfe6e287ca2d': BUILTIN_ROLE_IDS.Reader,
      'ce2ce14e-85d7-4629-bdbc-454d0519d987': principalId,
      // A resource scope must exist: the identity created first stands in for the examples' Cosmos DB account.
      'providers/Microsoft.DocumentDb/databaseAccounts/test-db-account': 'providers/Microsoft.ManagedIdentity/userAssignedIdentities/myIdentity',
      // The examples' principal is a user; here it is the identity created first (a service principal).
      '"principalType": "User"': '"principalType": "ServicePrincipal"',
      ...extra,
    };
    for (const [from, to] of Object.entries(map)) text = text.split(from).join(to);
    return JSON.parse(text) as Example;
  }

  async function send(method: string, path: string, example: Example, status: number) {
    const response = await emu.http(method, `${path}?api-version=${example.parameters['api-version']}`, { token, body: example.parameters.parameters });
    expect(response.status, JSON.stringify(response.body)).toBe(status);
    expectFields(response.body, example.responses[String(status)]?.body);
    return response;
  }

  beforeAll(async () => {
    emu = await startTestEmulator();
    token = await emu.token('learner');
  });
  afterAll(async () => {
    await emu.stop();
  });

  it('IdentityCreate (201, then 200) and IdentityUpdate, IdentityGet', async () => {
    const example = load(`${MSI}/IdentityCreate.json`);
    const path = `/subscriptions/${sub}/resourceGroups/DevTest/providers/Microsoft.ManagedIdentity/userAssignedIdentities/myIdentity`;
    const created = await send('PUT', path, example, 201);
    principalId = created.body.properties.principalId;
    expect(created.body.tags).toEqual({ key1: 'value1', key2: 'value2' });
    await send('PUT', path, example, 200);
    await send('PATCH', path, load(`${MSI}/IdentityUpdate.json`), 200);
    await send('GET', path, load(`${MSI}/IdentityGet.json`), 200);
  });

  it('RoleAssignments_CreateForSubscription, _CreateForResourceGroup, _CreateForResource, _CreateById', async () => {
    const forSub = load(`${AUTH}/RoleAssignments_CreateForSubscription.json`);
    await send('PUT', `/${forSub.parameters.scope as string}/providers/Microsoft.Authorization/roleAssignments/${forSub.parameters.roleAssignmentName as string}`, forSub, 201);
    // The same (scope, principal, role) under another name is a conflict; so use other roles below.
    const forRg = load(`${AUTH}/RoleAssignments_CreateForResourceGroup.json`);
    await send('PUT', `/${forRg.parameters.scope as string}/providers/Microsoft.Authorization/roleAssignments/${forRg.parameters.roleAssignmentName as string}`, forRg, 201);
    const forResource = load(`${AUTH}/RoleAssignments_CreateForResource.json`);
    await send('PUT', `/${forResource.parameters.scope as string}/providers/Microsoft.Authorization/roleAssignments/${forResource.parameters.roleAssignmentName as string}`, forResource, 201);
    const byId = load(`${AUTH}/RoleAssignments_CreateById.json`, { [BUILTIN_ROLE_IDS.Reader]: BUILTIN_ROLE_IDS['Managed Identity Operator'] });
    await send('PUT', `/${byId.parameters.roleAssignmentId as string}`, byId, 201);
  });

  it('RoleAssignments_Get, _GetById, _ListForResourceGroup, _ListForScope, _Delete, _DeleteById', async () => {
    const get = load(`${AUTH}/RoleAssignments_Get.json`);
    await send('GET', `/${get.parameters.scope as string}/providers/Microsoft.Authorization/roleAssignments/${get.parameters.roleAssignmentName as string}`, get, 200);
    const getById = load(`${AUTH}/RoleAssignments_GetById.json`);
    await send('GET', `/${getById.parameters.roleAssignmentId as string}`, getById, 200);
    const listRg = load(`${AUTH}/RoleAssignments_ListForResourceGroup.json`);
    await send('GET', `/subscriptions/${sub}/resourceGroups/DevTest/providers/Microsoft.Authorization/roleAssignments`, listRg, 200);
    const listScope = load(`${AUTH}/RoleAssignments_ListForScope.json`);
    await send('GET', `/${listScope.parameters.scope as string}/providers/Microsoft.Authorization/roleAssignments`, listScope, 200);
    const del = load(`${AUTH}/RoleAssignments_Delete.json`);
    await send('DELETE', `/${del.parameters.scope as string}/providers/Microsoft.Authorization/roleAssignments/${del.parameters.roleAssignmentName as string}`, del, 200);
    // Delete and DeleteById name the same assignment: create it again in between.
    const again = load(`${AUTH}/RoleAssignments_CreateById.json`, { [BUILTIN_ROLE_IDS.Reader]: BUILTIN_ROLE_IDS['Managed Identity Operator'] });
    await send('PUT', `/${again.parameters.roleAssignmentId as string}`, again, 201);
    const delById = load(`${AUTH}/RoleAssignments_DeleteById.json`);
    await send('DELETE', `/${delById.parameters.roleAssignmentId as string}`, delById, 200);
  });

  it('GetRoleDefinitionById and GetRoleDefinitionByName (Reader)', async () => {
    const byId = load(`${AUTH}/GetRoleDefinitionById.json`, { roleDefinitionId: BUILTIN_ROLE_IDS.Reader });
    await send('GET', `/providers/Microsoft.Authorization/roleDefinitions/${BUILTIN_ROLE_IDS.Reader}`, byId, 200);
    const byName = load(`${AUTH}/GetRoleDefinitionByName.json`);
    await send('GET', `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${BUILTIN_ROLE_IDS.Reader}`, byName, 200);
  });

  it('CreateResourceGroup (201), GetSubscription, GetSubscriptions', async () => {
    const rg = load(`${RESOURCES}/2025-04-01/examples/CreateResourceGroup.json`);
    await send('PUT', `/subscriptions/${sub}/resourceGroups/${rg.parameters.resourceGroupName as string}`, rg, 201);
    const subscription = load(`${RESOURCES}/2022-12-01/examples/GetSubscription.json`);
    const response = await emu.http('GET', `/subscriptions/${sub}?api-version=2022-12-01`, { token });
    // managedByTenants and tags are lists/maps the seeded subscription has empty.
    const expected = structuredClone(subscription.responses['200']?.body) as Record<string, unknown>;
    expected.managedByTenants = [];
    expected.tags = {};
    expectFields(response.body, expected);
    const list = load(`${RESOURCES}/2022-12-01/examples/GetSubscriptions.json`);
    const all = await emu.http('GET', `/subscriptions?api-version=2022-12-01`, { token });
    // One subscription fits one page: no nextLink.
    const listExpected = structuredClone(list.responses['200']?.body) as { value: Record<string, unknown>[]; nextLink?: string };
    delete listExpected.nextLink;
    for (const item of listExpected.value) {
      item.managedByTenants = [];
      item.tags = {};
    }
    expectFields(all.body, listExpected);
  });

  it('VirtualMachine_Create_WithEncryptionIdentity (user-assigned identity) and _WithSshAuthentication', async () => {
    const identityId = `/subscriptions/${sub}/resourceGroups/DevTest/providers/Microsoft.ManagedIdentity/userAssignedIdentities/myIdentity`;
    const withIdentity = load(`${COMPUTE}/VirtualMachine_Create_WithEncryptionIdentity.json`);
    const created = await send('PUT', `/subscriptions/${sub}/resourceGroups/DevTest/providers/Microsoft.Compute/virtualMachines/myVM`, withIdentity, 201);
    expect(created.headers['azure-asyncoperation']).toBeDefined();
    expect(created.body.identity.userAssignedIdentities[identityId]).toMatchObject({ principalId });
    expect(JSON.stringify(created.body)).not.toContain('{your-password}');
    const ssh = load(`${COMPUTE}/VirtualMachine_Create_WithSshAuthentication.json`, { myVM: 'mySshVM' });
    await send('PUT', `/subscriptions/${sub}/resourceGroups/DevTest/providers/Microsoft.Compute/virtualMachines/mySshVM`, ssh, 201);
    const list = load(`${COMPUTE}/VirtualMachine_List_MinimumSet_Gen.json`);
    const listed = await emu.http('GET', `/subscriptions/${sub}/resourceGroups/DevTest/providers/Microsoft.Compute/virtualMachines?api-version=2025-04-01`, { token });
    expectFields(listed.body, list.responses['200']?.body);
  });
});
