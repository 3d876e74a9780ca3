// Class principals (`/_milab/principals`): ensure, list and delete through the client the CLI
// uses, sign-in with the real ClientSecretCredential, survival across a restart, removal by
// reset (online and offline), and their secrets kept out of the world, the log and the audit.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { ClientSecretCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callPrincipalsAdmin, PrincipalsAdminError, type ClassPrincipal } from '../src/admin-client.js';
import { ADMIN_KEY_HEADER } from '../src/server.js';
import { writeSeededWorld } from '../src/reset.js';
import { PRINCIPAL_SECRETS_FILE } from '../src/secrets.js';
import { StateFileError } from '../src/state-error.js';
import { createEmulator } from '../src/server.js';
import { parseConfig } from '../src/config.js';
import { ARM_SCOPE, startTestEmulator, tempStateDir, type TestEmulator } from './helpers.js';

function credentialOf(t: TestEmulator, p: ClassPrincipal, secret = p.clientSecret): ClientSecretCredential {
  return new ClientSecretCredential(t.connection.tenantId, p.clientId, secret, {
    authorityHost: t.connection.url,
    disableInstanceDiscovery: true,
    agent: new Agent({ ca: t.caPem }),
  });
}

/** Every file under `dir` (recursively) but principal-secrets.json, as bytes. */
function filesBut(dir: string, skip: string): Array<{ path: string; bytes: Buffer }> {
  const out: Array<{ path: string; bytes: Buffer }> = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (entry === skip) continue;
    if (statSync(path).isDirectory()) out.push(...filesBut(path, skip));
    else out.push({ path, bytes: readFileSync(path) });
  }
  return out;
}

describe('class principals', () => {
  let t: TestEmulator;
  const stateDir = tempStateDir();

  beforeAll(async () => {
    t = await startTestEmulator({}, stateDir);
  });
  afterAll(async () => {
    await t.stop();
  });

  it('ensures principals idempotently by name, lists them by tag, and they sign in', async () => {
    const tags = { workshop: 'milab', class: 'c1' };
    const first = await callPrincipalsAdmin(t.connection, {
      ensure: [
        { name: 'c1-ana', displayName: 'milab c1 ana', tags: { ...tags, learner: 'ana' } },
        { name: 'c1-bo', displayName: 'milab c1 bo', tags: { ...tags, learner: 'bo' } },
      ],
    });
    expect(first.principals.map((p) => p.name)).toEqual(['c1-ana', 'c1-bo']);
    const [ana] = first.principals;
    expect(ana).toMatchObject({ displayName: 'milab c1 ana', tags: { ...tags, learner: 'ana' } });
    expect(ana!.clientSecret.length).toBeGreaterThan(20);
    // Again: the same principals, the same secrets, nothing new.
    const again = await callPrincipalsAdmin(t.connection, { ensure: [{ name: 'c1-ana', displayName: 'another name' }] });
    expect(again.principals).toEqual([ana]);

    await callPrincipalsAdmin(t.connection, { ensure: [{ name: 'c2-cy', displayName: 'milab c2 cy', tags: { workshop: 'milab', class: 'c2' } }] });
    const c1 = await callPrincipalsAdmin(t.connection, { list: { tags: { class: 'c1' } } });
    expect(c1.principals.map((p) => p.name)).toEqual(['c1-ana', 'c1-bo']);
    const all = await callPrincipalsAdmin(t.connection);
    expect(all.principals.map((p) => p.name)).toEqual(['c1-ana', 'c1-bo', 'c2-cy']);

    const token = await credentialOf(t, ana!).getToken(ARM_SCOPE);
    const claims = JSON.parse(Buffer.from(token.token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(claims).toMatchObject({ oid: ana!.objectId, appid: ana!.clientId });
    await expect(credentialOf(t, ana!, 'wrong-secret').getToken(ARM_SCOPE)).rejects.toThrow(/AADSTS7000215/);
  });

  it('appears in role assignment principal checks like any principal', async () => {
    const { principals } = await callPrincipalsAdmin(t.connection, { list: {} });
    const bo = principals.find((p) => p.name === 'c1-bo')!;
    const sub = t.connection.subscriptionId;
    const assignment = await t.as('instructor').authorization.roleAssignments.create(
      `/subscriptions/${sub}/resourceGroups/${t.connection.resourceGroup}`,
      '2c6b2c61-8f8a-4f32-9b7e-0c7a4f1a0b01',
      { roleDefinitionId: `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7`, principalId: bo.objectId, principalType: 'ServicePrincipal' },
    );
    expect(assignment.principalType).toBe('ServicePrincipal');
    const asBo = new AuthorizationManagementClient(credentialOf(t, bo), sub, { endpoint: t.url, credentialScopes: [ARM_SCOPE], agent: new Agent({ ca: t.caPem }) } as never);
    const mine = [];
    for await (const a of asBo.roleAssignments.listForResourceGroup(t.connection.resourceGroup)) mine.push(a);
    expect(mine.some((a) => a.principalId === bo.objectId)).toBe(true);
  });

  it('refuses bad input with a 400 naming what is wrong, and a wrong admin key with 403', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ ensure: [{ name: 'has space', displayName: 'x' }] }, /ensure: 0\.name: a name is 1 to 64/],
      [{ ensure: [{ name: 'x'.repeat(65), displayName: 'x' }] }, /1 to 64/],
      [{ ensure: [{ name: 'ok', displayName: '' }] }, /displayName must not be empty/],
      [{ ensure: [{ name: 'ok', displayName: 'a' }, { name: 'OK', displayName: 'b' }] }, /names 'OK' twice/],
      [{ ensure: [] }, /at least one/],
      [{ list: {}, delete: [] }, /exactly one of ensure, list, delete/],
      [{ remove: ['x'] }, /exactly one of ensure, list, delete/],
      [{ delete: ['../etc'] }, /delete: 0: a name is/],
    ];
    for (const [body, message] of cases) {
      const error = await callPrincipalsAdmin(t.connection, body as never).catch((e: unknown) => e);
      expect(error, JSON.stringify(body)).toBeInstanceOf(PrincipalsAdminError);
      expect((error as PrincipalsAdminError).status).toBe(400);
      expect((error as Error).message).toMatch(message);
    }
    const notJson = await t.http('POST', '/_milab/principals', { body: '{nope', headers: { [ADMIN_KEY_HEADER]: t.connection.adminKey! } });
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.message).toMatch(/not JSON/);
    const forbidden = await t.http('GET', '/_milab/principals', { headers: { [ADMIN_KEY_HEADER]: 'wrong' } });
    expect(forbidden.status).toBe(403);
    const wrongKey = await callPrincipalsAdmin({ ...t.connection, adminKey: 'wrong' }).catch((e: unknown) => e);
    expect((wrongKey as PrincipalsAdminError).status).toBe(403);
  });

  it('deletes by name: the principal can no longer sign in', async () => {
    const { principals } = await callPrincipalsAdmin(t.connection, { list: { tags: { class: 'c2' } } });
    const cy = principals[0]!;
    expect(await callPrincipalsAdmin(t.connection, { delete: ['c2-cy', 'nobody'] })).toEqual({ deleted: ['c2-cy'] });
    await expect(credentialOf(t, cy).getToken(ARM_SCOPE)).rejects.toThrow(/AADSTS700016/);
    expect((await callPrincipalsAdmin(t.connection)).principals.map((p) => p.name)).toEqual(['c1-ana', 'c1-bo']);
    const file = JSON.parse(readFileSync(join(stateDir, PRINCIPAL_SECRETS_FILE), 'utf8')) as { principals: Record<string, string> };
    expect(Object.keys(file.principals)).toHaveLength(2);
    expect(statSync(join(stateDir, PRINCIPAL_SECRETS_FILE)).mode & 0o777).toBe(0o600);
  });

  it('survive a restart; no secret is in the world, the log or the audit log', async () => {
    const before = (await callPrincipalsAdmin(t.connection)).principals;
    await t.stop();
    t = await startTestEmulator({}, stateDir);
    const after = (await callPrincipalsAdmin(t.connection)).principals;
    expect(after).toEqual(before);
    await credentialOf(t, after[0]!).getToken(ARM_SCOPE);
    t.emulator.flushAudit();
    for (const p of after) {
      for (const { path, bytes } of filesBut(stateDir, PRINCIPAL_SECRETS_FILE)) expect(bytes.includes(p.clientSecret), path).toBe(false);
      expect(t.warnings.join('\n')).not.toContain(p.clientSecret);
    }
  });

  it('reset (the admin endpoint) removes them and their secrets', async () => {
    const reset = await t.http('POST', '/_milab/reset', { headers: { [ADMIN_KEY_HEADER]: t.connection.adminKey! } });
    expect(reset.status).toBe(200);
    expect((await callPrincipalsAdmin(t.connection)).principals).toEqual([]);
    expect(() => statSync(join(stateDir, PRINCIPAL_SECRETS_FILE))).toThrow();
  });

  it('the offline reset removes them too', async () => {
    await callPrincipalsAdmin(t.connection, { ensure: [{ name: 'late', displayName: 'late' }] });
    await t.stop();
    writeSeededWorld(stateDir);
    expect(() => statSync(join(stateDir, PRINCIPAL_SECRETS_FILE))).toThrow();
    t = await startTestEmulator({}, stateDir);
    expect((await callPrincipalsAdmin(t.connection)).principals).toEqual([]);
  });
});

describe('a corrupt principal-secrets.json', () => {
  it('stops the start with a StateFileError naming it', () => {
    const dir = tempStateDir();
    writeFileSync(join(dir, PRINCIPAL_SECRETS_FILE), '{"version": 1, "principals": {"x": 3}}');
    let error: unknown;
    try {
      createEmulator(parseConfig({ stateDir: dir, port: 0, log: () => undefined })).close();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StateFileError);
    expect((error as StateFileError).file).toBe(join(dir, PRINCIPAL_SECRETS_FILE));
  });
});
