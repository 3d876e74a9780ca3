// Which identity IMDS returns when the request names none and the VM has both kinds: the
// system-assigned one (Microsoft Learn, managed identities FAQ, "What identity will IMDS default
// to if don't specify the identity in the request?"). Through the real SDK — @azure/identity's
// ManagedIdentityCredential with no options, pointed at labvm's emulated IMDS — and by plain HTTP.
// MSAL keeps the IMDS endpoint and its token cache in static fields for the whole process, so this
// file has its own worker and one VM.
import { ManagedIdentityCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED } from '../src/world.js';
import { ARM_SCOPE, startTestEmulator, type TestEmulator } from './helpers.js';
import { claimsOf, createIdentity, imdsGet, imdsOf, isolateManagedIdentityEnv, setVmIdentity, tokenQuery, type CreatedIdentity } from './imds-helpers.js';


describe('IMDS with a system-assigned and user-assigned identities, none chosen', () => {
  let emu: TestEmulator;
  let imds: string;
  let first: CreatedIdentity;
  let second: CreatedIdentity;
  let system: string;
  let restoreEnv: () => void = () => undefined;

  beforeAll(async () => {
    emu = await startTestEmulator();
    imds = await imdsOf(emu);
    restoreEnv = isolateManagedIdentityEnv(imds);
    first = await createIdentity(emu, 'first-identity');
    second = await createIdentity(emu, 'second-identity');
    // Two user-assigned identities (alone, IMDS would refuse to choose), then the system-assigned
    // one added beside them with a PATCH that keeps them.
    await setVmIdentity(emu, { type: 'UserAssigned', userAssignedIdentities: { [first.id]: {}, [second.id]: {} } });
    await setVmIdentity(emu, { type: 'SystemAssigned, UserAssigned' });
    const vm = await emu.as('learner').compute.virtualMachines.get('DevTest', 'labvm');
    expect(vm.identity?.type).toBe('SystemAssigned, UserAssigned');
    expect(Object.keys(vm.identity?.userAssignedIdentities ?? {})).toHaveLength(2);
    system = vm.identity?.principalId ?? '';
    expect(system).toMatch(/^[0-9a-f-]{36}$/);
  });
  afterAll(async () => {
    restoreEnv();
    await emu.stop();
  });

  it('ManagedIdentityCredential with no options gets the system-assigned identity', async () => {
    const token = await new ManagedIdentityCredential().getToken(ARM_SCOPE);
    const claims = claimsOf(token.token);
    expect(claims.oid).toBe(system);
    expect(claims.xms_mirid).toBe(`/subscriptions/${SEED.subscriptionId}/resourcegroups/DevTest/providers/Microsoft.Compute/virtualMachines/labvm`);
    expect([first.principalId, second.principalId]).not.toContain(claims.oid);
  });

  it('a user-assigned identity is still there by client id, beside the system-assigned default', async () => {
    const token = await new ManagedIdentityCredential({ clientId: second.clientId }).getToken(ARM_SCOPE);
    expect(claimsOf(token.token)).toMatchObject({ oid: second.principalId, xms_mirid: second.id });
  });

  it('by plain HTTP: no selector is the system-assigned identity; without it, two user-assigned ones are refused', async () => {
    const answer = await imdsGet(imds, tokenQuery());
    expect(answer.status).toBe(200);
    expect(claimsOf(answer.body.access_token).oid).toBe(system);
    // Turned off again (the type names only UserAssigned): no default any more.
    await setVmIdentity(emu, { type: 'UserAssigned' });
    const refused = await imdsGet(imds, tokenQuery());
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_request');
    expect(refused.body.error_description).toMatch(/Multiple user assigned identities exist/);
  });
});
