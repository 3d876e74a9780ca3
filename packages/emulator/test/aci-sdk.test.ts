// @azure/identity's ManagedIdentityCredential "in" an emulated container group: pointed at the
// group's IMDS through AZURE_POD_IDENTITY_AUTHORITY_HOST (what `milab container exec` sets), as
// a container in Azure Container Instances reaches 169.254.169.254. MSAL keeps the IMDS endpoint
// and its token cache in static fields for the whole process, so this file uses one group
// (vitest runs each file in its own worker); detaching is checked on the wire in aci.test.ts.
import { Agent } from 'node:https';
import { ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import { ManagedIdentityCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_ROLE_IDS } from '../src/roles.js';
import { SEED } from '../src/world.js';
import { aciClient, groupBody, groupImdsOf } from './aci-helpers.js';
import { ARM_SCOPE, startTestEmulator, type TestEmulator } from './helpers.js';
import { claimsOf, createIdentity, isolateManagedIdentityEnv, RG_ID, SUB, type CreatedIdentity } from './imds-helpers.js';
import { randomUUID } from 'node:crypto';

const GROUP = 'ci-milab-sdk';

describe('ManagedIdentityCredential in an emulated container group', () => {
  let emu: TestEmulator;
  let lab: CreatedIdentity;
  let systemPrincipalId: string;
  let restoreEnv: () => void = () => undefined;

  beforeAll(async () => {
    emu = await startTestEmulator();
    lab = await createIdentity(emu, 'id-milab-sdk');
    const group = await aciClient(emu).containerGroups.beginCreateOrUpdateAndWait(
      'DevTest',
      GROUP,
      groupBody({ type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [lab.id]: {} } }),
    );
    systemPrincipalId = group.identity?.principalId ?? '';
    const imds = await groupImdsOf(emu, GROUP);
    if (!imds) throw new Error(`no IMDS for ${GROUP}`);
    restoreEnv = isolateManagedIdentityEnv(imds);
  });
  afterAll(async () => {
    restoreEnv();
    await emu.stop();
  });

  it('the user-assigned identity by client id: a token for it, and ARM takes it through the SDK once it may read', async () => {
    const credential = new ManagedIdentityCredential({ clientId: lab.clientId });
    const token = await credential.getToken(ARM_SCOPE);
    expect(claimsOf(token.token)).toMatchObject({ oid: lab.principalId, appid: lab.clientId, xms_mirid: lab.id, aud: 'https://management.azure.com', tid: SEED.tenantId });

    const aci = new ContainerInstanceManagementClient(credential, SEED.subscriptionId, { endpoint: emu.url, agent: new Agent({ ca: emu.caPem, keepAlive: true }) });
    await expect(aci.containerGroups.get('DevTest', GROUP)).rejects.toMatchObject({ statusCode: 403, code: 'AuthorizationFailed' });
    await emu.as('learner').authorization.roleAssignments.create(RG_ID, randomUUID(), {
      roleDefinitionId: `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${BUILTIN_ROLE_IDS.Reader}`,
      principalId: lab.principalId,
      principalType: 'ServicePrincipal',
    });
    // "Reads the group": the lab 10 program's check, from inside the group.
    expect(await aci.containerGroups.get('DevTest', GROUP)).toMatchObject({ name: GROUP, provisioningState: 'Succeeded' });
  });

  it('no options: the system-assigned identity, whose xms_mirid is the group', async () => {
    const token = await new ManagedIdentityCredential().getToken(ARM_SCOPE);
    expect(claimsOf(token.token)).toMatchObject({
      oid: systemPrincipalId,
      xms_mirid: `${SUB}/resourcegroups/DevTest/providers/Microsoft.ContainerInstance/containerGroups/${GROUP}`,
    });
  });

  it('a client id the group does not have gets no token', async () => {
    const credential = new ManagedIdentityCredential({ clientId: '00000000-0000-4000-8000-00000000abcd' });
    await expect(credential.getToken(ARM_SCOPE)).rejects.toThrow(/Identity not found|not been assigned|unavailable/i);
  });
});
