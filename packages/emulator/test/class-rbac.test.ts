// Class mode's delegated role assignment management against a real emulator, with the real
// @azure/arm-authorization and ClientSecretCredential: learner a holds "Role Based Access
// Control Administrator" on rg-a under the class condition (Reader to service principals only),
// and may do exactly that, there, and nothing more.
import { randomUUID } from 'node:crypto';
import { Agent } from 'node:https';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { ClientSecretCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callPrincipalsAdmin, type ClassPrincipal } from '../src/admin-client.js';
import { errors } from '../src/errors.js';
import { BUILTIN_ROLE_IDS } from '../src/roles.js';
import { ARM_SCOPE, startTestEmulator, type TestEmulator } from './helpers.js';
import { CLASS_CONDITION } from './class-condition.js';


function restError(error: unknown): { statusCode?: number; code?: string; message: string } {
  expect(error, 'the call should have failed').toBeInstanceOf(Error);
  return error as { statusCode?: number; code?: string; message: string };
}

describe('class mode: delegated role assignments under a condition', () => {
  let t: TestEmulator;
  let sub: string;
  let rgA: string;
  let rgB: string;
  let a: ClassPrincipal;
  let b: ClassPrincipal;
  let asA: AuthorizationManagementClient;
  const roleId = (name: keyof typeof BUILTIN_ROLE_IDS) => `${sub}/providers/Microsoft.Authorization/roleDefinitions/${BUILTIN_ROLE_IDS[name]}`;
  const delegation = randomUUID();

  beforeAll(async () => {
    t = await startTestEmulator();
    sub = `/subscriptions/${t.connection.subscriptionId}`;
    rgA = `${sub}/resourceGroups/rg-a`;
    rgB = `${sub}/resourceGroups/rg-b`;
    const { principals } = await callPrincipalsAdmin(t.connection, {
      ensure: [
        { name: 'cls-a', displayName: 'learner a', tags: { class: 'cls', learner: 'a' } },
        { name: 'cls-b', displayName: 'learner b', tags: { class: 'cls', learner: 'b' } },
      ],
    });
    [a, b] = principals as [ClassPrincipal, ClassPrincipal];
    const instructor = t.as('instructor');
    await instructor.resources.resourceGroups.createOrUpdate('rg-a', { location: 'westus' });
    await instructor.resources.resourceGroups.createOrUpdate('rg-b', { location: 'westus' });
    await instructor.authorization.roleAssignments.create(rgA, delegation, {
      roleDefinitionId: roleId('Role Based Access Control Administrator'),
      principalId: a.objectId,
      principalType: 'ServicePrincipal',
      condition: CLASS_CONDITION,
      conditionVersion: '2.0',
    });
    const credential = new ClientSecretCredential(t.connection.tenantId, a.clientId, a.clientSecret, {
      authorityHost: t.connection.url,
      disableInstanceDiscovery: true,
      agent: new Agent({ ca: t.caPem }),
    });
    asA = new AuthorizationManagementClient(credential, t.connection.subscriptionId, { endpoint: t.url, credentialScopes: [ARM_SCOPE], agent: new Agent({ ca: t.caPem }) } as never);
  });
  afterAll(async () => {
    await t.stop();
  });

  it('stores the condition and returns it with conditionVersion 2.0', async () => {
    const stored = await t.as('instructor').authorization.roleAssignments.get(rgA, delegation);
    expect(stored.condition).toBe(CLASS_CONDITION);
    expect(stored.conditionVersion).toBe('2.0');
    // A condition without a version gets 2.0, as in Azure.
    const name = randomUUID();
    const noVersion = await t.as('instructor').authorization.roleAssignments.create(rgB, name, {
      roleDefinitionId: roleId('Role Based Access Control Administrator'),
      principalId: b.objectId,
      condition: CLASS_CONDITION,
    });
    expect(noVersion.conditionVersion).toBe('2.0');
    await t.as('instructor').authorization.roleAssignments.delete(rgB, name);
  });

  const denied = (action: string, scope: string) => errors.authorizationFailed(a.objectId, action, scope).message;

  it('lets a assign Reader to a service principal at rg-a, and read the assignments there', async () => {
    const made = await asA.roleAssignments.create(rgA, randomUUID(), { roleDefinitionId: roleId('Reader'), principalId: b.objectId, principalType: 'ServicePrincipal' });
    expect(made.principalId).toBe(b.objectId);
    const seen = [];
    for await (const x of asA.roleAssignments.listForScope(rgA)) seen.push(x);
    expect(seen.map((x) => x.name)).toContain(made.name);
  });

  it('refuses Owner, a User principal type, and no principal type at rg-a with AuthorizationFailed', async () => {
    const write = 'Microsoft.Authorization/roleAssignments/write';
    const attempts: Array<[string, Parameters<typeof asA.roleAssignments.create>[2]]> = [
      ['Owner', { roleDefinitionId: roleId('Owner'), principalId: b.objectId, principalType: 'ServicePrincipal' }],
      ['Reader to a User', { roleDefinitionId: roleId('Reader'), principalId: b.objectId, principalType: 'User' }],
      ['Reader without principalType', { roleDefinitionId: roleId('Reader'), principalId: b.objectId }],
      ['Contributor', { roleDefinitionId: roleId('Contributor'), principalId: b.objectId, principalType: 'ServicePrincipal' }],
    ];
    for (const [what, parameters] of attempts) {
      const error = restError(await asA.roleAssignments.create(rgA, randomUUID(), parameters).then(() => undefined, (e: unknown) => e));
      expect(error.statusCode, what).toBe(403);
      expect(error.code, what).toBe('AuthorizationFailed');
      expect(error.message, what).toBe(denied(write, rgA));
    }
  });

  it('refuses anything at rg-b', async () => {
    const error = restError(
      await asA.roleAssignments.create(rgB, randomUUID(), { roleDefinitionId: roleId('Reader'), principalId: b.objectId, principalType: 'ServicePrincipal' }).then(() => undefined, (e: unknown) => e),
    );
    expect(error.statusCode).toBe(403);
    expect(error.code).toBe('AuthorizationFailed');
    expect(error.message).toBe(denied('Microsoft.Authorization/roleAssignments/write', rgB));
  });

  it("lets a delete a Reader assignment it made, not the instructor's Owner assignment", async () => {
    const name = randomUUID();
    await asA.roleAssignments.create(rgA, name, { roleDefinitionId: roleId('Reader'), principalId: a.objectId, principalType: 'ServicePrincipal' });
    const gone = await asA.roleAssignments.delete(rgA, name);
    expect(gone.name).toBe(name);

    const owner = randomUUID();
    await t.as('instructor').authorization.roleAssignments.create(rgA, owner, { roleDefinitionId: roleId('Owner'), principalId: b.objectId, principalType: 'ServicePrincipal' });
    const error = restError(await asA.roleAssignments.delete(rgA, owner).then(() => undefined, (e: unknown) => e));
    expect(error.statusCode).toBe(403);
    expect(error.code).toBe('AuthorizationFailed');
    expect(error.message).toBe(denied('Microsoft.Authorization/roleAssignments/delete', rgA));
    // Still there.
    expect((await t.as('instructor').authorization.roleAssignments.get(rgA, owner)).name).toBe(owner);
  });

  it('refuses a condition it cannot read, and a conditionVersion other than 2.0, with 400', async () => {
    const cases: Array<[string, string | undefined, RegExp]> = [
      [CLASS_CONDITION.replace('ForAnyOfAnyValues:GuidEquals', 'ForAnyOfAnyValues:GuidEqualz'), '2.0', /operator 'ForAnyOfAnyValues:GuidEqualz' is not supported/],
      [CLASS_CONDITION.replace(/\)\s*$/, ''), '2.0', /expected '\)'/],
      ["@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'x'", '2.0', /not supported/],
      [CLASS_CONDITION, '1.0', /conditionVersion is '1\.0'/],
    ];
    for (const [condition, conditionVersion, detail] of cases) {
      const error = restError(
        await t
          .as('instructor')
          .authorization.roleAssignments.create(rgA, randomUUID(), { roleDefinitionId: roleId('Reader'), principalId: b.objectId, condition, conditionVersion })
          .then(() => undefined, (e: unknown) => e),
      );
      expect(error.statusCode).toBe(400);
      expect(error.code).toBe('InvalidRoleAssignmentCondition');
      expect(error.message).toMatch(/^The given role assignment condition is invalid\. /);
      expect(error.message).toMatch(detail);
    }
  });

  it('a reads rg-a (the role has */read), not rg-b', async () => {
    const rg = await t.http('GET', `${rgA}?api-version=2021-04-01`, { token: (await asAToken()).token });
    expect(rg.status).toBe(200);
    const other = await t.http('GET', `${rgB}?api-version=2021-04-01`, { token: (await asAToken()).token });
    expect(other.status).toBe(403);
  });

  function asAToken() {
    return new ClientSecretCredential(t.connection.tenantId, a.clientId, a.clientSecret, {
      authorityHost: t.connection.url,
      disableInstanceDiscovery: true,
      agent: new Agent({ ca: t.caPem }),
    }).getToken(ARM_SCOPE);
  }
});
