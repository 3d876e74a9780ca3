// Container groups through the real ContainerInstanceManagementClient (@azure/arm-containerinstance
// 9.1.0, api-version 2023-05-01) against the real emulator: create/replace (the SDK's
// long-running poller), get, list, tags, delete; the identity block as VMs have it; ACI's
// validation errors; and each group's own IMDS (raw HTTP here; ManagedIdentityCredential in
// aci-sdk.test.ts, since MSAL keeps one IMDS endpoint per process).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_ROLE_IDS } from '../src/roles.js';
import { SEED } from '../src/world.js';
import { aciClient, groupBody, groupImdsOf } from './aci-helpers.js';
import { startTestEmulator, type TestEmulator } from './helpers.js';
import { claimsOf, createIdentity, imdsGet, RG_ID, SUB, tokenQuery, type CreatedIdentity } from './imds-helpers.js';

const TYPE = 'Microsoft.ContainerInstance/containerGroups';
const API = '2023-05-01';

describe('container groups (ARM)', () => {
  let emu: TestEmulator;
  let lab: CreatedIdentity;

  beforeAll(async () => {
    emu = await startTestEmulator();
    lab = await createIdentity(emu, 'id-aci-lab');
  });
  afterAll(async () => {
    await emu.stop();
  });

  it('creates a group with a user-assigned identity through beginCreateOrUpdateAndWait, Succeeded and Running', async () => {
    const aci = aciClient(emu);
    const group = await aci.containerGroups.beginCreateOrUpdateAndWait('DevTest', 'ci-user', groupBody({ type: 'UserAssigned', userAssignedIdentities: { [lab.id]: {} } }));
    expect(group).toMatchObject({
      id: `${RG_ID}/providers/${TYPE}/ci-user`,
      name: 'ci-user',
      type: TYPE,
      location: 'westus',
      osType: 'Linux',
      provisioningState: 'Succeeded',
      restartPolicy: 'Always',
      instanceView: { state: 'Running', events: [] },
      identity: { type: 'UserAssigned', userAssignedIdentities: { [lab.id]: { principalId: lab.principalId, clientId: lab.clientId } } },
    });
    expect(group.containers[0]).toMatchObject({ name: 'app', image: 'mcr.microsoft.com/azure-cli', resources: { requests: { cpu: 1, memoryInGB: 1.5 } }, instanceView: { currentState: { state: 'Running' }, restartCount: 0 } });
    const got = await aci.containerGroups.get('DevTest', 'ci-user');
    expect(got.identity?.userAssignedIdentities?.[lab.id]?.clientId).toBe(lab.clientId);
  });

  it('a system-assigned group gets a service principal, shown in identity.principalId, that goes with the group', async () => {
    const aci = aciClient(emu);
    const group = await aci.containerGroups.beginCreateOrUpdateAndWait('DevTest', 'ci-sys', groupBody({ type: 'SystemAssigned' }));
    expect(group.identity).toMatchObject({ type: 'SystemAssigned', tenantId: SEED.tenantId });
    const principalId = group.identity?.principalId ?? '';
    expect(emu.emulator.store.state.principals[principalId]).toMatchObject({ displayName: 'ci-sys' });
    const imds = await groupImdsOf(emu, 'ci-sys');
    expect(imds).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const token = await imdsGet(imds ?? '', tokenQuery());
    expect(token.status).toBe(200);
    expect(claimsOf(token.body.access_token)).toMatchObject({ oid: principalId, xms_mirid: `${SUB}/resourcegroups/DevTest/providers/${TYPE}/ci-sys` });

    const deleted = await aci.containerGroups.beginDeleteAndWait('DevTest', 'ci-sys');
    expect(deleted).toMatchObject({ name: 'ci-sys' });
    expect(emu.emulator.store.state.principals[principalId]).toBeUndefined();
    expect(await groupImdsOf(emu, 'ci-sys')).toBeUndefined();
    await expect(imdsGet(imds ?? '', tokenQuery())).rejects.toThrow();
    await expect(aci.containerGroups.get('DevTest', 'ci-sys')).rejects.toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
    // Deleting again: 204, "the specified container group was not found".
    expect((await emu.http('DELETE', `${RG_ID}/providers/${TYPE}/ci-sys?api-version=${API}`, { token: await emu.token('learner') })).status).toBe(204);
  });

  it('lists by resource group and by subscription, and PATCH sets tags', async () => {
    const aci = aciClient(emu);
    await aci.containerGroups.beginCreateOrUpdateAndWait('DevTest', 'ci-list', groupBody());
    const inGroup = [];
    for await (const g of aci.containerGroups.listByResourceGroup('DevTest')) inGroup.push(g.name);
    expect(inGroup).toContain('ci-list');
    const inSub = [];
    for await (const g of aci.containerGroups.list()) inSub.push(g.id);
    expect(inSub).toContain(`${RG_ID}/providers/${TYPE}/ci-list`);
    const updated = await aci.containerGroups.update('DevTest', 'ci-list', { tags: { milab: 'learner' } });
    expect(updated.tags).toEqual({ milab: 'learner' });
    expect((await aci.containerGroups.get('DevTest', 'ci-list')).tags).toEqual({ milab: 'learner' });
  });

  it('detaching the identity (PUT with None) ends its tokens at the group IMDS at once', async () => {
    const aci = aciClient(emu);
    await aci.containerGroups.beginCreateOrUpdateAndWait('DevTest', 'ci-detach', groupBody({ type: 'UserAssigned', userAssignedIdentities: { [lab.id]: {} } }));
    const imds = (await groupImdsOf(emu, 'ci-detach')) ?? '';
    const before = await imdsGet(imds, tokenQuery({ client_id: lab.clientId }));
    expect(before.status).toBe(200);
    expect(claimsOf(before.body.access_token)).toMatchObject({ oid: lab.principalId, xms_mirid: lab.id });
    const detached = await aci.containerGroups.beginCreateOrUpdateAndWait('DevTest', 'ci-detach', groupBody({ type: 'None' }));
    expect(detached.identity).toBeUndefined();
    const after = await imdsGet(imds, tokenQuery({ client_id: lab.clientId }));
    expect(after.status).toBe(400);
    expect(after.body).toMatchObject({ error: 'invalid_request', error_description: 'Identity not found' });
  });

  it('attaching a user-assigned identity needs assign/action on it (LinkedAuthorizationFailed), as for VMs', async () => {
    // A principal that may write container groups (the ACI role) but not assign the identity.
    const grader = emu.connection.principals.grader;
    await emu.as('learner').authorization.roleAssignments.create(RG_ID, randomUUID(), {
      roleDefinitionId: `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${BUILTIN_ROLE_IDS['Azure Container Instances Contributor Role']}`,
      principalId: grader.objectId,
      principalType: 'ServicePrincipal',
    });
    const aci = aciClient(emu, 'grader');
    await expect(
      aci.containerGroups.beginCreateOrUpdateAndWait('DevTest', 'ci-linked', groupBody({ type: 'UserAssigned', userAssignedIdentities: { [lab.id]: {} } })),
    ).rejects.toMatchObject({ statusCode: 403, code: 'LinkedAuthorizationFailed' });
    // Without the identity the same principal may create it: the role covers container groups.
    const plain = await aci.containerGroups.beginCreateOrUpdateAndWait('DevTest', 'ci-linked', groupBody());
    expect(plain.provisioningState).toBe('Succeeded');
  });

  it('refuses bodies ACI refuses, in its words', async () => {
    const token = await emu.token('learner');
    const put = (name: string, body: unknown) => emu.http('PUT', `${RG_ID}/providers/${TYPE}/${name}?api-version=${API}`, { token, body });
    const container = { name: 'app', properties: { image: 'nginx', resources: { requests: { cpu: 1, memoryInGB: 1.5 } } } };

    const upper = await put('Ci-Upper', { location: 'westus', properties: { osType: 'Linux', containers: [container] } });
    expect(upper.status).toBe(400);
    expect(upper.body.error).toMatchObject({ code: 'InvalidContainerGroupName' });
    expect(upper.body.error.message).toContain("'Ci-Upper'");

    const noOs = await put('ci-bad', { location: 'westus', properties: { containers: [container] } });
    expect(noOs.body.error).toMatchObject({ code: 'InvalidRequestContent' });
    expect(noOs.body.error.message).toContain("Required property 'osType' not found");

    const noContainers = await put('ci-bad', { location: 'westus', properties: { osType: 'Linux', containers: [] } });
    expect(noContainers.body.error.message).toContain("Required property 'containers' not found");

    const noImage = await put('ci-bad', { location: 'westus', properties: { osType: 'Linux', containers: [{ name: 'app', properties: { resources: container.properties.resources } }] } });
    expect(noImage.body.error.message).toContain("Required property 'image' not found");

    const badName = await put('ci-bad', { location: 'westus', properties: { osType: 'Linux', containers: [{ ...container, name: 'App_1' }] } });
    expect(badName.body.error).toMatchObject({ code: 'InvalidContainerName' });
    expect(badName.body.error.message).toContain("The container name 'App_1' in container group 'ci-bad' is invalid");

    const noCpu = await put('ci-bad', { location: 'westus', properties: { osType: 'Linux', containers: [{ name: 'app', properties: { image: 'nginx', resources: { requests: { cpu: 0, memoryInGB: 1 } } } }] } });
    expect(noCpu.body.error).toMatchObject({ code: 'InvalidContainerResourceRequest' });

    const badType = await put('ci-bad', { location: 'westus', identity: { type: 'Everything' }, properties: { osType: 'Linux', containers: [container] } });
    expect(badType.status).toBe(400);

    const noLocation = await put('ci-bad', { properties: { osType: 'Linux', containers: [container] } });
    expect(noLocation.body.error).toMatchObject({ code: 'LocationRequired' });
    // None of them made a group.
    expect((await emu.http('GET', `${RG_ID}/providers/${TYPE}/ci-bad?api-version=${API}`, { token })).status).toBe(404);
  });

  it('never returns a secure environment variable value or a registry password', async () => {
    const token = await emu.token('learner');
    const body = {
      location: 'westus',
      properties: {
        osType: 'Linux',
        imageRegistryCredentials: [{ server: 'example.azurecr.io', username: 'u', password: 'registry-password-xyz' }],
        containers: [{ name: 'app', properties: { image: 'nginx', environmentVariables: [{ name: 'PLAIN', value: 'v' }, { name: 'SECRET', secureValue: 'secure-value-xyz' }], resources: { requests: { cpu: 1, memoryInGB: 1 } } } }],
      },
    };
    const created = await emu.http('PUT', `${RG_ID}/providers/${TYPE}/ci-secret?api-version=${API}`, { token, body });
    expect(created.status).toBe(201);
    const got = await emu.http('GET', `${RG_ID}/providers/${TYPE}/ci-secret?api-version=${API}`, { token });
    for (const answer of [created, got]) {
      const text = JSON.stringify(answer.body);
      expect(text).not.toContain('secure-value-xyz');
      expect(text).not.toContain('registry-password-xyz');
    }
    expect(got.body.properties.containers[0].properties.environmentVariables).toEqual([{ name: 'PLAIN', value: 'v' }, { name: 'SECRET' }]);
  });

  it('deleting the resource group takes its container groups, their system principals and their IMDS', async () => {
    const learner = emu.as('learner');
    await learner.resources.resourceGroups.createOrUpdate('rg-aci-gone', { location: 'westus' });
    const group = await aciClient(emu).containerGroups.beginCreateOrUpdateAndWait('rg-aci-gone', 'ci-gone', groupBody({ type: 'SystemAssigned' }));
    const principalId = group.identity?.principalId ?? '';
    const imds = (await groupImdsOf(emu, 'ci-gone')) ?? '';
    expect((await imdsGet(imds, tokenQuery())).status).toBe(200);
    await learner.resources.resourceGroups.beginDeleteAndWait('rg-aci-gone');
    expect(emu.emulator.store.state.principals[principalId]).toBeUndefined();
    // The resource group's delete names each container group in a `vm` event, as it names VMs:
    // connection.json drops the group before anyone asks its IMDS.
    expect(await groupImdsOf(emu, 'ci-gone')).toBeUndefined();
    // And its listener is closed (or, had an event been missed, answers IMDS's 404 and closes itself).
    expect(await imdsGet(imds, tokenQuery()).then((r) => String(r.status), () => 'closed')).toMatch(/^(closed|404)$/);
  });

  it('switching from system- to user-assigned deletes the system principal; Windows groups (no IMDS) and a missing resource group answer as ACI does', async () => {
    const aci = aciClient(emu);
    const sys = await aci.containerGroups.beginCreateOrUpdateAndWait('DevTest', 'ci-switch', groupBody({ type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [lab.id]: {} } }));
    const principalId = sys.identity?.principalId ?? '';
    expect(emu.emulator.store.state.principals[principalId]).toBeDefined();
    const user = await aci.containerGroups.beginCreateOrUpdateAndWait('DevTest', 'ci-switch', groupBody({ type: 'UserAssigned', userAssignedIdentities: { [lab.id]: {} } }));
    expect(user.identity?.type).toBe('UserAssigned');
    expect(user.identity?.principalId).toBeUndefined();
    expect(emu.emulator.store.state.principals[principalId]).toBeUndefined();

    const windows = await aci.containerGroups.beginCreateOrUpdateAndWait('DevTest', 'ci-windows', groupBody(undefined, { osType: 'Windows' }));
    expect(windows.osType).toBe('Windows');
    // Windows containers have no 169.254.169.254 in ACI (IDENTITY_ENDPOINT instead): no IMDS here.
    expect(await groupImdsOf(emu, 'ci-windows')).toBeUndefined();
    await expect(aci.containerGroups.beginCreateOrUpdateAndWait('no-such-rg', 'ci-x', groupBody())).rejects.toMatchObject({ statusCode: 404, code: 'ResourceGroupNotFound' });
  });

  it('a role can be assigned at a container group: its identity then reads that group only', async () => {
    const aci = aciClient(emu);
    await aci.containerGroups.beginCreateOrUpdateAndWait('DevTest', 'ci-scoped', groupBody({ type: 'UserAssigned', userAssignedIdentities: { [lab.id]: {} } }));
    const scope = `${RG_ID}/providers/${TYPE}/ci-scoped`;
    const assignment = await emu.as('learner').authorization.roleAssignments.create(scope, randomUUID(), {
      roleDefinitionId: `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${BUILTIN_ROLE_IDS.Reader}`,
      principalId: lab.principalId,
      principalType: 'ServicePrincipal',
    });
    expect(assignment.scope).toBe(scope);
    const imds = (await groupImdsOf(emu, 'ci-scoped')) ?? '';
    const token = (await imdsGet(imds, tokenQuery({ client_id: lab.clientId }))).body.access_token as string;
    expect((await emu.http('GET', `${scope}?api-version=${API}`, { token })).status).toBe(200);
    expect((await emu.http('GET', `${RG_ID}/providers/${TYPE}/ci-list?api-version=${API}`, { token })).status).toBe(403);
    // Deleting the group takes the assignments at its scope with it.
    await aci.containerGroups.beginDeleteAndWait('DevTest', 'ci-scoped');
    expect(Object.values(emu.emulator.store.state.roleAssignments).some((a) => a.scope.toLowerCase() === scope.toLowerCase())).toBe(false);
  });
});

describe('container group IMDS across restarts', () => {
  it('a container group keeps its IMDS port, and its identity, when the emulator restarts', async () => {
    const first = await startTestEmulator();
    await aciClient(first).containerGroups.beginCreateOrUpdateAndWait('DevTest', 'ci-restart', groupBody({ type: 'SystemAssigned' }));
    const url = await groupImdsOf(first, 'ci-restart');
    expect(url).toBeDefined();
    await first.emulator.close();
    const again = await startTestEmulator({}, first.stateDir);
    try {
      expect(await groupImdsOf(again, 'ci-restart')).toBe(url);
      expect((await imdsGet(url ?? '', tokenQuery())).status).toBe(200);
    } finally {
      await again.stop();
      await first.stop();
    }
  });
});
