// The emulated IMDS of labvm against the seed's steps: the rules and error bodies, identity
// selection, the tokens (claims, lifetime) and how ARM takes them, and the listener following
// the VM (identity changes at once, a new VM gets one, a deleted VM loses it, reset).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errors } from '../src/errors.js';
import { imdsErrors } from '../src/imds/errors.js';
import { SEED } from '../src/world.js';
import { startTestEmulator, type TestEmulator } from './helpers.js';
import {
  ARM_RESOURCE,
  claimsOf,
  createIdentity,
  grantReader,
  imdsGet,
  imdsOf,
  RG_ID,
  setVmIdentity,
  TOKEN_PATH,
  tokenQuery,
  vmBody,
  type CreatedIdentity,
} from './imds-helpers.js';

describe('IMDS of an emulated VM', () => {
  let emu: TestEmulator;
  let imds: string;
  let lab: CreatedIdentity;
  let second: CreatedIdentity;

  beforeAll(async () => {
    emu = await startTestEmulator();
    imds = await imdsOf(emu);
  });
  afterAll(async () => {
    await emu.stop();
  });

  it('listens on plain HTTP on 127.0.0.1 and is recorded in connection.json', () => {
    expect(imds).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(emu.emulator.connection().vms?.labvm).toMatchObject({ id: `${RG_ID}/providers/Microsoft.Compute/virtualMachines/labvm`, resourceGroup: 'DevTest', imdsUrl: imds });
  });

  it('a VM without any identity: 400 Identity not found', async () => {
    const answer = await imdsGet(imds, tokenQuery());
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: 'invalid_request', error_description: 'Identity not found' });
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(answer.headers.server).toMatch(/^IMDS\//);
    // MSAL appends the path to AZURE_POD_IDENTITY_AUTHORITY_HOST as given: a trailing slash makes `//metadata/…`.
    expect((await imdsGet(imds, `/${tokenQuery()}`)).body).toEqual(answer.body);
  });

  it('requires Metadata: true, refuses X-Forwarded-For, duplicate parameters, and a missing api-version or resource', async () => {
    const cases: [string, Record<string, string>, ReturnType<typeof imdsErrors.identityNotFound>][] = [
      [tokenQuery(), {}, imdsErrors.identityMetadataHeaderMissing()],
      [tokenQuery(), { Metadata: 'false' }, imdsErrors.identityMetadataHeaderMissing()],
      [tokenQuery(), { Metadata: 'true', 'X-Forwarded-For': '10.0.0.9' }, imdsErrors.identityForwarded()],
      [`${tokenQuery()}&resource=https://graph.microsoft.com/`, { Metadata: 'true' }, imdsErrors.identityDuplicateParameter('resource')],
      [`${TOKEN_PATH}?resource=${encodeURIComponent(ARM_RESOURCE)}`, { Metadata: 'true' }, imdsErrors.identityParameterMissing('api-version')],
      [`${TOKEN_PATH}?api-version=2018-02-01`, { Metadata: 'true' }, imdsErrors.identityParameterMissing('resource')],
      [tokenQuery({ 'api-version': 'banana' }).replace('api-version=2018-02-01&', ''), { Metadata: 'true' }, imdsErrors.identityBadApiVersion('banana', [])],
    ];
    for (const [path, headers, expected] of cases) {
      const answer = await imdsGet(imds, path, headers);
      expect(answer.status, path).toBe(expected.status);
      expect(answer.body.error, path).toBe(expected.body().error);
      expect(answer.body.error_description, path).toBe(expected.body().error_description);
    }
  });

  it('attaching a user-assigned identity takes effect at once: the single one is the default', async () => {
    lab = await createIdentity(emu, 'lab-identity');
    await setVmIdentity(emu, { type: 'UserAssigned', userAssignedIdentities: { [lab.id]: {} } });
    const answer = await imdsGet(imds, tokenQuery());
    expect(answer.status).toBe(200);
    const body = answer.body as Record<string, string>;
    expect(Object.keys(body).sort()).toEqual(['access_token', 'client_id', 'expires_in', 'expires_on', 'ext_expires_in', 'not_before', 'resource', 'token_type']);
    for (const value of Object.values(body)) expect(typeof value).toBe('string');
    expect(body).toMatchObject({ client_id: lab.clientId, resource: ARM_RESOURCE, token_type: 'Bearer' });
    const expiresIn = Number(body.expires_in);
    expect(expiresIn).toBeGreaterThan(86_000);
    expect(Math.abs(Number(body.expires_on) - (Math.floor(Date.now() / 1000) + expiresIn))).toBeLessThan(5);
    const claims = claimsOf(body.access_token ?? '');
    expect(claims).toMatchObject({
      aud: ARM_RESOURCE,
      iss: `https://sts.windows.net/${SEED.tenantId}/`,
      oid: lab.principalId,
      sub: lab.principalId,
      appid: lab.clientId,
      appidacr: '2',
      idtyp: 'app',
      tid: SEED.tenantId,
      xms_mirid: lab.id,
    });
    expect((claims.exp as number) - (claims.iat as number)).toBeGreaterThan(86_400);
  });

  it("the seed's sequence: 403 AuthorizationFailed before the Reader grant, the resource group after it", async () => {
    const token = (await imdsGet(imds, tokenQuery())).body.access_token as string;
    const before = await emu.http('GET', `${RG_ID}?api-version=2016-09-01`, { token });
    expect(before.status).toBe(403);
    expect(before.body.error).toEqual({
      code: 'AuthorizationFailed',
      message: errors.authorizationFailed(lab.principalId, 'Microsoft.Resources/subscriptions/resourceGroups/read', RG_ID).message,
    });
    await grantReader(emu, lab.principalId);
    const fresh = (await imdsGet(imds, tokenQuery())).body.access_token as string;
    const after = await emu.http('GET', `${RG_ID}?api-version=2016-09-01`, { token: fresh });
    expect(after.status).toBe(200);
    expect(after.body).toEqual({ id: RG_ID, name: 'DevTest', location: 'westus', tags: {}, properties: { provisioningState: 'Succeeded' } });
  });

  it('accepts the known resources (with or without the slash) and answers invalid_resource for others', async () => {
    for (const resource of ['https://management.azure.com', 'https://management.core.windows.net/', 'https://graph.microsoft.com/', 'https://vault.azure.net', 'https://storage.azure.com/', 'https://mylabstore.blob.core.windows.net/']) {
      const answer = await imdsGet(imds, tokenQuery({}, resource));
      expect(answer.status, resource).toBe(200);
      expect(answer.body.resource).toBe(resource);
      expect(claimsOf(answer.body.access_token).aud).toBe(resource);
    }
    const answer = await imdsGet(imds, tokenQuery({}, 'https://nonsense.example.com/'));
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_resource');
    expect(answer.body.error_description).toMatch(/^AADSTS500011: The resource principal named https:\/\/nonsense\.example\.com\/ was not found in the tenant/);
    // A Graph token is not an ARM token.
    const graph = (await imdsGet(imds, tokenQuery({}, 'https://graph.microsoft.com/'))).body.access_token as string;
    const refused = await emu.http('GET', `${RG_ID}?api-version=2016-09-01`, { token: graph });
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('InvalidAuthenticationTokenAudience');
  });

  it('several user-assigned identities: "Multiple user assigned identities exist", chosen by client_id, object_id, msi_res_id or mi_res_id', async () => {
    second = await createIdentity(emu, 'second-identity');
    await setVmIdentity(emu, { type: 'UserAssigned', userAssignedIdentities: { [second.id]: {} } });
    const none = await imdsGet(imds, tokenQuery());
    expect(none.status).toBe(400);
    expect(none.body).toEqual(imdsErrors.multipleUserAssigned().body());
    const by = [
      [{ client_id: second.clientId }, {}],
      [{ object_id: second.principalId }, { object_id: second.principalId }],
      [{ msi_res_id: second.id }, { msi_res_id: second.id }],
      [{ mi_res_id: second.id.toLowerCase() }, { msi_res_id: second.id.toLowerCase() }],
    ] as const;
    for (const [selector, echoed] of by) {
      const answer = await imdsGet(imds, tokenQuery(selector));
      expect(answer.status, JSON.stringify(selector)).toBe(200);
      expect(answer.body).toMatchObject({ client_id: second.clientId, ...echoed });
      expect(claimsOf(answer.body.access_token)).toMatchObject({ oid: second.principalId, xms_mirid: second.id });
    }
    const lab1 = await imdsGet(imds, tokenQuery({ client_id: lab.clientId }));
    expect(claimsOf(lab1.body.access_token).oid).toBe(lab.principalId);
    const unknown: Record<string, string>[] = [{ client_id: '00000000-0000-4000-8000-000000000000' }, { object_id: lab.clientId }, { msi_res_id: `${RG_ID}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/nope` }];
    for (const selector of unknown) {
      const answer = await imdsGet(imds, tokenQuery(selector));
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({ error: 'invalid_request', error_description: 'Identity not found' });
    }
    const both = await imdsGet(imds, tokenQuery({ client_id: lab.clientId, object_id: lab.principalId }));
    expect(both.status).toBe(400);
    expect(both.body.error).toBe('invalid_request');
  });

  it('with a system-assigned identity it is the default; its xms_mirid is the VM id with lower-case resourcegroups', async () => {
    await setVmIdentity(emu, { type: 'SystemAssigned, UserAssigned' });
    const vm = await emu.as('learner').compute.virtualMachines.get('DevTest', 'labvm');
    const systemPrincipal = vm.identity?.principalId ?? '';
    const answer = await imdsGet(imds, tokenQuery());
    expect(answer.status).toBe(200);
    const claims = claimsOf(answer.body.access_token);
    expect(claims.oid).toBe(systemPrincipal);
    expect(claims.xms_mirid).toBe(`/subscriptions/${SEED.subscriptionId}/resourcegroups/DevTest/providers/Microsoft.Compute/virtualMachines/labvm`);
    expect(answer.body.client_id).toBe(emu.emulator.store.state.principals[systemPrincipal]?.appId);
    // The system identity has no role yet: ARM refuses it, naming it.
    const rg = await emu.http('GET', `${RG_ID}?api-version=2016-09-01`, { token: answer.body.access_token });
    expect(rg.status).toBe(403);
    expect(rg.body.error.message).toContain(`'${systemPrincipal}'`);
  });

  it('detaching takes effect at once; a deleted identity is "Identity not found"', async () => {
    // PATCH merges the user-assigned set: `null` removes one (and dropping SystemAssigned deletes it).
    await setVmIdentity(emu, { type: 'UserAssigned', userAssignedIdentities: { [lab.id]: {}, [second.id]: null } });
    expect((await imdsGet(imds, tokenQuery())).status).toBe(200);
    await emu.as('learner').msi.userAssignedIdentities.delete('DevTest', 'lab-identity');
    const gone = await imdsGet(imds, tokenQuery());
    expect(gone.body).toEqual({ error: 'invalid_request', error_description: 'Identity not found' });
    await setVmIdentity(emu, { type: 'None' });
    expect((await imdsGet(imds, tokenQuery())).body).toEqual({ error: 'invalid_request', error_description: 'Identity not found' });
  });

  it('/metadata/instance serves the VM in the spec example shape; api-version and Metadata rules apply', async () => {
    const answer = await imdsGet(imds, '/metadata/instance?api-version=2021-02-01');
    expect(answer.status).toBe(200);
    expect(answer.body.compute).toMatchObject({
      name: 'labvm',
      location: 'westus',
      resourceGroupName: 'DevTest',
      subscriptionId: SEED.subscriptionId,
      vmId: SEED.vmId,
      resourceId: `${RG_ID}/providers/Microsoft.Compute/virtualMachines/labvm`,
      vmSize: 'Standard_B1s',
      tags: 'workshop:milab',
      tagsList: [{ name: 'workshop', value: 'milab' }],
      osType: 'Linux',
    });
    expect(answer.body.network.interface[0].ipv4.ipAddress[0].privateIpAddress).toMatch(/^10\.0\.0\.\d+$/);
    const noVersion = await imdsGet(imds, '/metadata/instance');
    expect(noVersion.status).toBe(400);
    expect(noVersion.body).toEqual({
      error: 'Bad request. api-version was not specified in the request. For more information refer to aka.ms/azureimds',
      'newest-versions': ['2023-07-01', '2021-12-13', '2021-11-15'],
    });
    expect((await imdsGet(imds, '/metadata/instance?api-version=2016-01-01')).body.error).toMatch(/^Bad request\. api-version is invalid/);
    expect((await imdsGet(imds, '/metadata/instance?api-version=2021-02-01', {})).body).toEqual({ error: 'Bad request. Required metadata header not specified' });
    expect((await imdsGet(imds, '/metadata/identity/info?api-version=2023-07-01')).body).toEqual({ tenantId: SEED.tenantId });
    expect((await imdsGet(imds, '/metadata/nothing-here')).status).toBe(404);
  });

  it('a new VM gets its own IMDS; deleting it stops that IMDS', async () => {
    const { compute } = emu.as('learner');
    await compute.virtualMachines.beginCreateOrUpdateAndWait('DevTest', 'vm2', vmBody('vm2'));
    const url = await imdsOf(emu, 'vm2');
    expect(url).not.toBe(imds);
    const instance = await imdsGet(url, '/metadata/instance?api-version=2021-02-01');
    expect(instance.body.compute.name).toBe('vm2');
    const onDisk = JSON.parse(await import('node:fs').then((fs) => fs.readFileSync(`${emu.stateDir}/connection.json`, 'utf8'))) as { vms: Record<string, { imdsUrl: string }> };
    expect(onDisk.vms.vm2?.imdsUrl).toBe(url);
    await compute.virtualMachines.beginDeleteAndWait('DevTest', 'vm2');
    await emu.emulator.imds.settled();
    expect(emu.emulator.connection().vms?.vm2).toBeUndefined();
    await expect(imdsGet(url, '/metadata/instance?api-version=2021-02-01')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('reset brings back exactly the seeded VMs; labvm keeps its port', async () => {
    await emu.as('learner').compute.virtualMachines.beginCreateOrUpdateAndWait('DevTest', 'vm3', vmBody('vm3'));
    await imdsOf(emu, 'vm3');
    emu.emulator.reset();
    await emu.emulator.imds.settled();
    expect(Object.keys(emu.emulator.connection().vms ?? {})).toEqual(['labvm']);
    expect(await imdsOf(emu)).toBe(imds);
  });
});

describe('IMDS ports across restarts', () => {
  it('a VM keeps its IMDS port when the emulator restarts', async () => {
    const first = await startTestEmulator();
    const url = await imdsOf(first);
    await first.emulator.close();
    const again = await startTestEmulator({}, first.stateDir);
    try {
      expect(await imdsOf(again)).toBe(url);
    } finally {
      await again.stop();
      await first.stop();
    }
  });
});
