// The emulator's Key Vault through the real clients: KeyVaultManagementClient (arm-keyvault
// 4.0.0) for vaults, soft-deleted vaults and purge; SecretClient (keyvault-secrets 4.11.2) for
// the secrets data plane on the vault's own HTTPS origin, with Key Vault's RBAC roles, its 401
// challenge and 403 ForbiddenByRbac, and the access-policy model. The secret values used here
// are test strings; the audit test checks none of them reaches the audit log.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_FILE, readAudit } from '../src/audit.js';
import { SEED } from '../src/world.js';
import { startTestEmulator, type TestEmulator } from './helpers.js';
import { createVault, grant, keyVaultClient, secretClient } from './keyvault-helpers.js';

const VALUE = 'not-a-real-password-7c1e';
const VALUE_2 = 'second-value-0b9d';

describe('Key Vault (control plane and secrets data plane)', () => {
  let emu: TestEmulator;
  let vaultId: string;
  let vaultUri: string;
  const dispatcher = () => new Agent({ connect: { ca: emu.caPem } });

  beforeAll(async () => {
    emu = await startTestEmulator();
    const vault = await createVault(emu, 'milab-kv-1');
    vaultId = vault.id ?? '';
    vaultUri = vault.properties.vaultUri ?? '';
  });
  afterAll(async () => {
    await emu?.stop();
  });

  it('creates an RBAC-model vault whose vaultUri is its own local HTTPS origin, and lists and gets it', async () => {
    expect(vaultUri).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
    const client = keyVaultClient(emu);
    const got = await client.vaults.get('DevTest', 'milab-kv-1');
    expect(got).toMatchObject({ name: 'milab-kv-1', type: 'Microsoft.KeyVault/vaults', location: 'westus', properties: { enableRbacAuthorization: true, enableSoftDelete: true, softDeleteRetentionInDays: 90, vaultUri, tenantId: SEED.tenantId, sku: { name: 'standard' } } });
    const byGroup: string[] = [];
    for await (const v of client.vaults.listByResourceGroup('DevTest')) byGroup.push(v.name ?? '');
    const bySubscription: string[] = [];
    for await (const v of client.vaults.listBySubscription()) bySubscription.push(v.name ?? '');
    const generic: string[] = [];
    for await (const v of client.vaults.list()) generic.push(v.name ?? '');
    expect(byGroup).toContain('milab-kv-1');
    expect(bySubscription).toContain('milab-kv-1');
    expect(generic).toContain('milab-kv-1');
  });

  it('a vault created without a model gets access policies before api-version 2026-02-01, RBAC from it', async () => {
    const token = await emu.token('learner');
    const body = { location: 'westus', properties: { tenantId: SEED.tenantId, sku: { family: 'A', name: 'standard' } } };
    const path = (name: string, version: string) => `/subscriptions/${SEED.subscriptionId}/resourceGroups/DevTest/providers/Microsoft.KeyVault/vaults/${name}?api-version=${version}`;
    const old = await emu.http('PUT', path('milab-kv-old', '2025-05-01'), { token, body });
    const current = await emu.http('PUT', path('milab-kv-new', '2026-02-01'), { token, body });
    expect([old.status, current.status]).toEqual([201, 201]);
    expect(old.body.properties.enableRbacAuthorization).toBe(false);
    expect(current.body.properties.enableRbacAuthorization).toBe(true);
  });

  it('refuses a vault name Key Vault refuses', async () => {
    await expect(createVault(emu, 'a--b')).rejects.toMatchObject({ statusCode: 400, code: 'VaultNameNotValid' });
  });

  it('answers a request without a token with 401 and the challenge the SDK reads', async () => {
    const response = await request(`${vaultUri}secrets?api-version=2025-07-01`, { dispatcher: dispatcher() });
    const body = (await response.body.json()) as { error: { code: string; message: string } };
    expect(response.statusCode).toBe(401);
    expect(body.error).toMatchObject({ code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' });
    expect(response.headers['www-authenticate']).toBe(`Bearer authorization="${emu.url}/${SEED.tenantId}", resource="https://vault.azure.net"`);
  });

  it('refuses an ARM token on the vault (AKV10022)', async () => {
    const armToken = await emu.token('learner');
    const response = await request(`${vaultUri}secrets?api-version=2025-07-01`, { headers: { authorization: `Bearer ${armToken}` }, dispatcher: dispatcher() });
    const body = (await response.body.json()) as { error: { code: string; message: string } };
    expect(response.statusCode).toBe(401);
    expect(body.error.message).toBe('AKV10022: Invalid audience. Expected https://vault.azure.net, found: https://management.azure.com.');
    // The audit log names the sender of a refused token (the SDK's token-less first call is 'anonymous').
    const entry = readAudit(emu.stateDir).filter((e) => e.path.startsWith(vaultUri.replace(/\/$/, ''))).pop();
    expect(entry).toMatchObject({ principal: 'learner', status: 401, error: 'Unauthorized' });
  });

  it('Owner of the subscription cannot set a secret (no data actions); Key Vault Secrets Officer can, with versions', async () => {
    const learner = secretClient(emu, vaultUri, emu.as('learner').credential);
    const refused = await learner.setSecret('db-password', VALUE).then(
      () => undefined,
      (error: unknown) => error as { statusCode?: number; code?: string; message?: string },
    );
    expect(refused).toMatchObject({ statusCode: 403, code: 'Forbidden' });
    expect(refused?.message).toContain("Action: 'Microsoft.KeyVault/vaults/secrets/setSecret/action'");
    expect(refused?.message).toContain(`oid=${SEED.principals.learner.objectId}`);
    await grant(emu, vaultId, 'Key Vault Secrets Officer', SEED.principals.learner.objectId);
    const first = await learner.setSecret('db-password', VALUE);
    expect(first).toMatchObject({ name: 'db-password', value: VALUE, properties: { vaultUrl: vaultUri.replace(/\/$/, '') } });
    const second = await learner.setSecret('db-password', VALUE_2, { contentType: 'text/plain' });
    expect((await learner.getSecret('db-password')).value).toBe(VALUE_2);
    expect((await learner.getSecret('db-password', { version: first.properties.version ?? '' })).value).toBe(VALUE);
    const names: string[] = [];
    for await (const p of learner.listPropertiesOfSecrets()) names.push(p.name);
    expect(names).toEqual(['db-password']);
    const versions: string[] = [];
    for await (const p of learner.listPropertiesOfSecretVersions('db-password')) versions.push(p.version ?? '');
    expect(versions.sort()).toEqual([first.properties.version, second.properties.version].sort());
    await expect(learner.getSecret('no-such-secret')).rejects.toMatchObject({ statusCode: 404, code: 'SecretNotFound' });
  });

  it('pages secret lists with nextLink (25 a page)', async () => {
    const learner = secretClient(emu, vaultUri, emu.as('learner').credential);
    for (let i = 0; i < 27; i++) await learner.setSecret(`paged-${String(i).padStart(2, '0')}`, 'x');
    const names: string[] = [];
    for await (const p of learner.listPropertiesOfSecrets()) names.push(p.name);
    expect(names.filter((n) => n.startsWith('paged-'))).toHaveLength(27);
    const token = (await emu.as('learner').credential.getToken('https://vault.azure.net/.default')).token;
    const raw = await request(`${vaultUri}secrets?api-version=2025-07-01`, { headers: { authorization: `Bearer ${token}` }, dispatcher: dispatcher() });
    const page = (await raw.body.json()) as { value: unknown[]; nextLink: string | null };
    expect(page.value).toHaveLength(25);
    expect(page.nextLink).toMatch(new RegExp(`^${vaultUri}secrets\\?`));
  });

  it('Key Vault Reader lists secrets but gets ForbiddenByRbac on a value', async () => {
    await grant(emu, vaultId, 'Key Vault Reader', SEED.principals.grader.objectId);
    const reader = secretClient(emu, vaultUri, emu.as('grader').credential);
    const names: string[] = [];
    for await (const p of reader.listPropertiesOfSecrets()) names.push(p.name);
    expect(names).toContain('db-password');
    const refused = await reader.getSecret('db-password').then(
      () => undefined,
      (error: unknown) => error as { statusCode?: number; code?: string; message?: string },
    );
    expect(refused).toMatchObject({ statusCode: 403, code: 'Forbidden' });
    expect(refused?.message).toContain("Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'");
    expect(refused?.message).toContain('/providers/microsoft.keyvault/vaults/milab-kv-1/secrets/db-password');
    // The SDK's RestError keeps code and message; the body's innererror, as Key Vault sends it:
    const token = (await emu.as('grader').credential.getToken('https://vault.azure.net/.default')).token;
    const raw = await request(`${vaultUri}secrets/db-password?api-version=2025-07-01`, { headers: { authorization: `Bearer ${token}` }, dispatcher: dispatcher() });
    const body = (await raw.body.json()) as { error: { code: string; message: string; innererror?: { code: string } } };
    expect(raw.statusCode).toBe(403);
    expect(body.error).toMatchObject({ code: 'Forbidden', innererror: { code: 'ForbiddenByRbac' } });
    expect(body.error.message.startsWith('Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nCaller: appid=')).toBe(true);
    expect(body.error.message).not.toContain(VALUE_2);
  });

  it('soft-deletes a secret: the name is held until it is purged', async () => {
    const learner = secretClient(emu, vaultUri, emu.as('learner').credential);
    await learner.setSecret('api-key', VALUE);
    const poller = await learner.beginDeleteSecret('api-key');
    const deleted = await poller.pollUntilDone();
    expect(deleted).toMatchObject({ name: 'api-key', properties: { recoveryId: `${vaultUri}deletedsecrets/api-key` } });
    expect(deleted.value).toBeUndefined();
    expect((await learner.getDeletedSecret('api-key')).name).toBe('api-key');
    await expect(learner.setSecret('api-key', VALUE)).rejects.toMatchObject({ statusCode: 409, code: 'Conflict' });
    await learner.purgeDeletedSecret('api-key');
    expect((await learner.setSecret('api-key', VALUE_2)).value).toBe(VALUE_2);
  });

  it('records data-plane calls in the audit log by secret name, never by value', async () => {
    emu.emulator.flushAudit();
    const text = readFileSync(join(emu.stateDir, AUDIT_FILE), 'utf8');
    expect(text).toContain('/secrets/db-password');
    expect(text).toContain('Microsoft.KeyVault/vaults/secrets/getSecret/action');
    expect(text).toContain('Microsoft.KeyVault/vaults/write');
    expect(text).not.toContain(VALUE);
    expect(text).not.toContain(VALUE_2);
    // Nor the world database or the emulator's log: values live in keyvault.json only.
    expect(emu.warnings.join('\n')).not.toContain(VALUE);
  });

  it('soft-deletes a vault: listed and got as deleted, its name refused until purged, then free and empty', async () => {
    const client = keyVaultClient(emu);
    await createVault(emu, 'milab-kv-gone');
    const before = await client.vaults.get('DevTest', 'milab-kv-gone');
    const learner = secretClient(emu, before.properties.vaultUri ?? '', emu.as('learner').credential);
    await grant(emu, before.id ?? '', 'Key Vault Secrets Officer', SEED.principals.learner.objectId);
    await learner.setSecret('kept', VALUE);

    await client.vaults.delete('DevTest', 'milab-kv-gone');
    await expect(client.vaults.get('DevTest', 'milab-kv-gone')).rejects.toMatchObject({ statusCode: 404 });
    const deleted = await client.vaults.getDeleted('milab-kv-gone', 'westus');
    expect(deleted).toMatchObject({ name: 'milab-kv-gone', type: 'Microsoft.KeyVault/deletedVaults', properties: { vaultId: before.id, location: 'westus', purgeProtectionEnabled: false } });
    expect(Date.parse(String(deleted.properties?.scheduledPurgeDate)) - Date.parse(String(deleted.properties?.deletionDate))).toBe(90 * 86_400_000);
    const listed: string[] = [];
    for await (const d of client.vaults.listDeleted()) listed.push(d.name ?? '');
    expect(listed).toContain('milab-kv-gone');

    // The name is held, in this group and any other.
    await expect(createVault(emu, 'milab-kv-gone')).rejects.toMatchObject({ statusCode: 409, code: 'ConflictError' });
    await emu.as('learner').resources.resourceGroups.createOrUpdate('Other', { location: 'westus' });
    await expect(createVault(emu, 'milab-kv-gone', {}, 'Other')).rejects.toMatchObject({ statusCode: 409, code: 'ConflictError' });

    await client.vaults.beginPurgeDeletedAndWait('milab-kv-gone', 'westus');
    await expect(client.vaults.getDeleted('milab-kv-gone', 'westus')).rejects.toMatchObject({ statusCode: 404 });
    const again = await createVault(emu, 'milab-kv-gone');
    await grant(emu, again.id ?? '', 'Key Vault Secrets Officer', SEED.principals.learner.objectId);
    const fresh = secretClient(emu, again.properties.vaultUri ?? '', emu.as('learner').credential);
    const names: string[] = [];
    for await (const p of fresh.listPropertiesOfSecrets()) names.push(p.name);
    expect(names).toEqual([]);
  });

  it('createMode recover brings a soft-deleted vault back with its secrets', async () => {
    const client = keyVaultClient(emu);
    const vault = await createVault(emu, 'milab-kv-back');
    await grant(emu, vault.id ?? '', 'Key Vault Secrets Officer', SEED.principals.learner.objectId);
    await secretClient(emu, vault.properties.vaultUri ?? '', emu.as('learner').credential).setSecret('survivor', VALUE);
    await client.vaults.delete('DevTest', 'milab-kv-back');
    const back = await createVault(emu, 'milab-kv-back', { createMode: 'recover' });
    await expect(client.vaults.getDeleted('milab-kv-back', 'westus')).rejects.toMatchObject({ statusCode: 404 });
    // The emulator drops role assignments at a deleted resource's scope (arm/lifecycle.ts; whether
    // Azure keeps them for a recovered vault is unconfirmed): grant again.
    await grant(emu, back.id ?? '', 'Key Vault Secrets Officer', SEED.principals.learner.objectId);
    expect((await secretClient(emu, back.properties.vaultUri ?? '', emu.as('learner').credential).getSecret('survivor')).value).toBe(VALUE);
  });

  it('a vault name in use in another group is refused (names are global)', async () => {
    await expect(createVault(emu, 'milab-kv-1', {}, 'Other')).rejects.toMatchObject({ statusCode: 409, code: 'VaultAlreadyExists' });
  });

  it('purge protection: the deleted vault cannot be purged, and protection cannot be turned off', async () => {
    const client = keyVaultClient(emu);
    await createVault(emu, 'milab-kv-locked', { enablePurgeProtection: true });
    await expect(createVault(emu, 'milab-kv-locked', { enablePurgeProtection: false })).rejects.toMatchObject({ statusCode: 400 });
    await client.vaults.delete('DevTest', 'milab-kv-locked');
    expect((await client.vaults.getDeleted('milab-kv-locked', 'westus')).properties?.purgeProtectionEnabled).toBe(true);
    await expect(client.vaults.beginPurgeDeletedAndWait('milab-kv-locked', 'westus')).rejects.toMatchObject({ code: 'MethodNotAllowed', message: "Operation 'DeletedVaultPurge' is not allowed." });
  });

  it('deleting the resource group soft-deletes its vaults', async () => {
    const client = keyVaultClient(emu);
    await emu.as('learner').resources.resourceGroups.createOrUpdate('Doomed', { location: 'westus' });
    await createVault(emu, 'milab-kv-doomed', {}, 'Doomed');
    await emu.as('learner').resources.resourceGroups.beginDeleteAndWait('Doomed');
    expect((await client.vaults.getDeleted('milab-kv-doomed', 'westus')).properties?.vaultId).toMatch(/resourceGroups\/Doomed\//i);
  });

  it('the access-policy model: access policies decide, role assignments do not', async () => {
    const vault = await createVault(emu, 'milab-kv-policies', {
      enableRbacAuthorization: false,
      accessPolicies: [{ tenantId: SEED.tenantId, objectId: SEED.principals.learner.objectId, permissions: { secrets: ['get', 'set', 'list'] } }],
    });
    expect(vault.properties.enableRbacAuthorization).toBe(false);
    await grant(emu, vault.id ?? '', 'Key Vault Secrets User', SEED.principals.grader.objectId);
    const learner = secretClient(emu, vault.properties.vaultUri ?? '', emu.as('learner').credential);
    await learner.setSecret('policy-secret', VALUE);
    expect((await learner.getSecret('policy-secret')).value).toBe(VALUE);
    const grader = secretClient(emu, vault.properties.vaultUri ?? '', emu.as('grader').credential);
    await expect(grader.getSecret('policy-secret')).rejects.toMatchObject({ statusCode: 403, code: 'Forbidden' });
    const token = (await emu.as('grader').credential.getToken('https://vault.azure.net/.default')).token;
    const raw = await request(`${vault.properties.vaultUri ?? ''}secrets/policy-secret?api-version=2025-07-01`, { headers: { authorization: `Bearer ${token}` }, dispatcher: dispatcher() });
    const body = (await raw.body.json()) as { error: { code: string; message: string; innererror?: { code: string } } };
    expect(raw.statusCode).toBe(403);
    expect(body.error).toMatchObject({ code: 'Forbidden', innererror: { code: 'AccessDenied' } });
    expect(body.error.message).toContain('does not have secrets get permission on key vault');
  });

  it('access policies are added and removed per principal (vaults.updateAccessPolicy, as az keyvault set-policy)', async () => {
    const client = keyVaultClient(emu);
    const grader = SEED.principals.grader.objectId;
    const entry = (secrets: string[]) => ({ tenantId: SEED.tenantId, objectId: grader, permissions: { secrets: secrets as ('get' | 'list')[] } });
    await client.vaults.updateAccessPolicy('DevTest', 'milab-kv-policies', 'add', { properties: { accessPolicies: [entry(['get'])] } });
    await client.vaults.updateAccessPolicy('DevTest', 'milab-kv-policies', 'add', { properties: { accessPolicies: [entry(['list'])] } });
    let vault = await client.vaults.get('DevTest', 'milab-kv-policies');
    expect(vault.properties.accessPolicies?.find((p) => p.objectId === grader)?.permissions.secrets).toEqual(['get', 'list']);
    const reader = secretClient(emu, vault.properties.vaultUri ?? '', emu.as('grader').credential);
    expect((await reader.getSecret('policy-secret')).value).toBe(VALUE);
    await client.vaults.updateAccessPolicy('DevTest', 'milab-kv-policies', 'remove', { properties: { accessPolicies: [entry(['get', 'list'])] } });
    vault = await client.vaults.get('DevTest', 'milab-kv-policies');
    expect(vault.properties.accessPolicies?.some((p) => p.objectId === grader)).toBe(false);
  });

  it('lists the Key Vault roles with their data actions', async () => {
    const definition = await emu.as('learner').authorization.roleDefinitions.get('', '4633458b-17de-408a-b874-0445c86b69e6');
    expect(definition).toMatchObject({ roleName: 'Key Vault Secrets User', permissions: [{ actions: [], dataActions: ['Microsoft.KeyVault/vaults/secrets/getSecret/action', 'Microsoft.KeyVault/vaults/secrets/readMetadata/action'] }] });
  });
});
