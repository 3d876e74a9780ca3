// Labs 09–11 in a class that shares one subscription: learner ada holds only what `milab class
// provision` gives on her group (Role Based Access Control Administrator under the class's
// condition — Reader and Key Vault Secrets User for service principals, Key Vault Secrets Officer
// for herself —, the identity and VM roles of labs 01–03, Key Vault Contributor and Azure
// Container Instances Contributor), and so does bob on his. On the real emulator, with the labs' own programs (lab 09's SecretClient and
// ManagedIdentityCredential on the VM) and the real ARM SDK clients: ada does lab 09 and it
// passes, live and through one class snapshot (which holds the vaults, so the grade reads no vault
// per learner); she cannot create a vault in bob's group, grant herself or her identity anything
// on bob's vault, delete it, give a stronger role or another principal Secrets Officer on her own,
// nor purge her deleted vault (the instructor's: class teardown). Lab 10: she creates her two
// container groups in her group with her identity (the lab's own program, the real
// ContainerInstanceManagementClient) and lab 10 passes; she cannot make one in bob's group nor
// attach bob's identity to hers. Lab 11: she may remove what she made (role assignments, groups,
// identities, her vault), and a class grade of lab 11 reads the class snapshot, not each learner's
// resources and deleted vaults.
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { armRequest, createArmClients, createArmContext, loadConfig, type ArmClients, type MilabConfig } from '@milab/core';
import { callPrincipalsAdmin, readAudit, type ClassPrincipal } from '@milab/emulator';
import {
  classLearnerCondition,
  CONTAINER_API_VERSION,
  containerGroupId,
  containerGroupName,
  createLabContext,
  findLab,
  labNames,
  prepareLab,
  ROLE_IDS,
  roleDefinitionId,
  systemContainerGroupName,
  VAULT_API_VERSION,
  vaultId,
  vaultName,
  type LabContext,
  type LabNames,
} from '@milab/labs';
import type { GradeReport } from '@milab/grading';
import { classLearnerConditionCopy } from '../../packages/emulator/test/class-condition.js';
import grader03 from '../03-attach-to-vm.js';
import { createGrader04 } from '../04-imds-token.js';
import { createGrader05 } from '../05-call-arm.js';
import { createGrader09 } from '../09-key-vault-secret.js';
import { createGrader10 } from '../10-container-instances.js';
import grader11 from '../11-clean-up.js';
import { createSnapshotContext, gradeLabs, takeSnapshot } from '../index.js';
import { failed, fixesWithoutTypeScript, type LabWorld, LEARNER, result, said, startLabWorld } from './support.js';

const OTHER = 'bob';
const groupOf = (learner: string) => `rg-milab-cls-${learner}`;
const vmOf = (learner: string) => `vm-milab-${learner}`;

let world: LabWorld;
let instructor: ArmClients;

/** One class learner: their class principal, environment (signed in as it), names and ARM clients. */
interface ClassLearner {
  principal: ClassPrincipal;
  env: Record<string, string>;
  config: MilabConfig;
  names: LabNames;
  clients: ArmClients;
}
let ada: ClassLearner;
let bob: ClassLearner;

/** What `milab class provision` gives a learner on their group (packages/cli/src/class/roles.ts), with the class's condition. */
async function provisionRoles(l: ClassLearner): Promise<void> {
  const roles: (keyof typeof ROLE_IDS)[] = [
    'Role Based Access Control Administrator',
    'Managed Identity Contributor',
    'Managed Identity Operator',
    'Virtual Machine Contributor',
    'Key Vault Contributor',
    'Azure Container Instances Contributor Role',
  ];
  for (const role of roles) {
    await instructor.authorization.roleAssignments.create(l.names.resourceGroupScope, randomUUID(), {
      roleDefinitionId: roleDefinitionId(l.names.subscriptionId, ROLE_IDS[role]),
      principalId: l.principal.objectId,
      principalType: 'ServicePrincipal',
      ...(role === 'Role Based Access Control Administrator' ? { condition: classLearnerCondition(l.principal.objectId), conditionVersion: '2.0' } : {}),
    });
  }
}

async function classLearner(learner: string, principal: ClassPrincipal): Promise<ClassLearner> {
  const env = {
    ...world.env,
    MILAB_LEARNER: learner,
    MILAB_MODE: 'shared',
    MILAB_RESOURCE_GROUP: groupOf(learner),
    MILAB_VM_NAME: vmOf(learner),
    AZURE_CLIENT_ID: principal.clientId,
    AZURE_CLIENT_SECRET: principal.clientSecret,
    AZURE_TENANT_ID: world.emulator.connection().tenantId,
  };
  const config = loadConfig({ env });
  const names = labNames(config, env);
  // As provisioning does: the group, the learner's VM, the class's roles on the group.
  await instructor.resources.resourceGroups.createOrUpdate(names.resourceGroup, { location: names.location, tags: { workshop: 'milab', class: 'cls', learner } });
  await instructor.compute.virtualMachines.createOrUpdate(names.resourceGroup, names.vm, {
    location: names.location,
    // Tagged as `milab class provision` tags what it makes (classTags): the learner's tag, and the class's.
    tags: { workshop: 'milab', class: 'cls', learner },
    hardwareProfile: { vmSize: 'Standard_B1s' },
    osProfile: { computerName: names.vm, adminUsername: 'azureuser', linuxConfiguration: { disablePasswordAuthentication: true } },
    networkProfile: { networkInterfaces: [{ id: `${names.resourceGroupScope}/providers/Microsoft.Network/networkInterfaces/${names.vm}-nic` }] },
  });
  const l = { principal, env, config, names, clients: await createArmClients(createArmContext(config, { env })) };
  await provisionRoles(l);
  return l;
}

/** Runs labs' setups and solutions as the learner's class principal, in shared mode. */
async function solve(l: ClassLearner, ...ids: string[]): Promise<void> {
  for (const id of ids) {
    const lab = findLab(id);
    const ctx = await createLabContext(lab, { config: l.config, env: l.env, log: () => undefined });
    await prepareLab(lab, ctx);
    const { main } = (await import(pathToFileURL(lab.solution).href)) as { main: (ctx: LabContext) => Promise<void> };
    await main(ctx);
  }
}

/** A call that must fail: its error's status and code. */
async function refusal(call: Promise<unknown>): Promise<{ status: number | undefined; code: string | undefined; message: string }> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e as { status?: number; statusCode?: number; code?: string; message?: string },
  );
  expect(error, 'the call should have been refused').toBeDefined();
  return { status: error?.status ?? error?.statusCode, code: error?.code, message: error?.message ?? '' };
}

const grade09 = () => createGrader09(findLab('09').vmProgram!.solution, grader03);
const strip = (r: GradeReport) => r.results.map(({ durationMs: _d, ...rest }) => JSON.stringify(rest).replace(/in \d+\.\d s/g, 'in N s').replace(/granted \d+ s ago/g, 'granted N s ago'));

beforeAll(async () => {
  world = await startLabWorld();
  world.reset();
  instructor = await world.as('instructor');
  const { principals } = await callPrincipalsAdmin(world.emulator.connection(), {
    ensure: [
      { name: `cls-${LEARNER}`, displayName: `cls ${LEARNER}`, tags: { class: 'cls', learner: LEARNER } },
      { name: `cls-${OTHER}`, displayName: `cls ${OTHER}`, tags: { class: 'cls', learner: OTHER } },
    ],
  });
  ada = await classLearner(LEARNER, principals[0]!);
  bob = await classLearner(OTHER, principals[1]!);
}, 120_000);
afterAll(async () => {
  await world?.stop();
});

describe('lab 09 in shared mode, as class principals', () => {
  it("the emulator tests' copy of the class condition is the one the class gives", () => {
    expect(classLearnerConditionCopy(ada.principal.objectId)).toBe(classLearnerCondition(ada.principal.objectId));
  });

  it("ada's lab 01-03 and 09 solutions run with only the class's roles, and lab 09 passes, live and from one class snapshot without a vault read per learner", async () => {
    await solve(ada, '01', '02', '03', '09');
    await solve(bob, '01', '02', '03', '09');
    const live = (await gradeLabs([grade09()], { config: ada.config, env: ada.env })).report;
    expect(fixesWithoutTypeScript(live)).toEqual([]);
    expect(failed(live)).toEqual([]);
    expect(live.status).toBe('passed');

    // The class grade: one snapshot, as the grader, then each learner's context from it.
    // (Read as the seeded grader: without the learner's sign-in variables, as `class grade` does.)
    const graderEnv = Object.fromEntries(Object.entries(ada.env).filter(([k]) => !k.startsWith('AZURE_')));
    const snapshot = await takeSnapshot({ config: loadConfig({ env: graderEnv }), env: graderEnv, as: 'grader' });
    expect(snapshot.vaults?.map((v) => v.id.toLowerCase()).sort()).toEqual([vaultId(ada.names), vaultId(bob.names)].map((id) => id.toLowerCase()).sort());
    expect(snapshot.vaults?.every((v) => v.rbac && v.vaultUri?.startsWith('https://'))).toBe(true);
    const graderReadsBefore = readAudit(world.stateDir, { principal: 'grader' }).length;
    const ctx = createSnapshotContext(JSON.parse(JSON.stringify(snapshot)) as typeof snapshot, { config: ada.config, env: ada.env, learnerObjectId: ada.principal.objectId });
    const fromSnapshot = (await gradeLabs([grade09()], { ctx })).report;
    expect(strip(fromSnapshot)).toEqual(strip(live));
    // The grader read nothing more of ARM: the vault, the assignments came from the snapshot
    // (the VM part reads the secret as the identity, not as the grader).
    const armByGrader = readAudit(world.stateDir, { principal: 'grader' }).slice(graderReadsBefore).filter((e) => e.path.includes('/subscriptions/'));
    expect(armByGrader).toEqual([]);
    // A snapshot saved before lab 09 (no vaults in it): the same grade, the vault read live.
    const { vaults: _vaults, ...older } = snapshot;
    const readsBefore = readAudit(world.stateDir, { principal: 'grader' }).length;
    const olderCtx = createSnapshotContext(older, { config: ada.config, env: ada.env, learnerObjectId: ada.principal.objectId });
    expect(strip((await gradeLabs([grade09()], { ctx: olderCtx })).report)).toEqual(strip(live));
    const vaultReads = readAudit(world.stateDir, { principal: 'grader' }).slice(readsBefore).filter((e) => e.path.includes('/subscriptions/'));
    expect(vaultReads.map((e) => e.path.split('?')[0]?.toLowerCase())).toEqual([vaultId(ada.names).toLowerCase()]);

    // Bob's grade from the same snapshot is his: his vault, his identity's assignment.
    const bobs = (await gradeLabs([grade09()], { ctx: createSnapshotContext(snapshot, { config: bob.config, env: bob.env }) })).report;
    expect(bobs.status).toBe('passed');
    expect(said(result(bobs, '09.vault-rbac'))).toContain(vaultName(bob.names));
  }, 300_000);

  it("ada cannot create a vault in bob's group, grant anyone anything on bob's vault, or delete it", async () => {
    const bobVault = vaultId(bob.names);
    const adaIdentity = await ada.clients.msi.userAssignedIdentities.get(ada.names.resourceGroup, ada.names.identity);
    const create = await refusal(
      ada.clients.resources.resources.beginCreateOrUpdateByIdAndWait(`${bob.names.resourceGroupScope}/providers/Microsoft.KeyVault/vaults/kv-ada-in-bobs`, VAULT_API_VERSION, {
        location: bob.names.location,
        properties: { tenantId: ada.config.tenantId, sku: { family: 'A', name: 'standard' }, enableRbacAuthorization: true },
      } as never),
    );
    expect(create).toMatchObject({ status: 403, code: 'AuthorizationFailed' });
    expect(create.message).toContain('Microsoft.KeyVault/vaults/write');
    const grant = (role: keyof typeof ROLE_IDS, principalId: string, principalType?: 'ServicePrincipal' | 'User', scope = bobVault) =>
      refusal(
        ada.clients.authorization.roleAssignments.create(scope, randomUUID(), {
          roleDefinitionId: roleDefinitionId(ada.names.subscriptionId, ROLE_IDS[role]),
          principalId,
          ...(principalType ? { principalType } : {}),
        }),
      );
    expect(await grant('Key Vault Secrets Officer', ada.principal.objectId)).toMatchObject({ status: 403, code: 'AuthorizationFailed' });
    expect(await grant('Key Vault Secrets User', adaIdentity.principalId!, 'ServicePrincipal')).toMatchObject({ status: 403, code: 'AuthorizationFailed' });
    expect(await grant('Reader', adaIdentity.principalId!, 'ServicePrincipal', bob.names.resourceGroupScope)).toMatchObject({ status: 403, code: 'AuthorizationFailed' });
    const remove = await refusal(ada.clients.resources.resources.beginDeleteByIdAndWait(bobVault, VAULT_API_VERSION));
    expect(remove).toMatchObject({ status: 403, code: 'AuthorizationFailed' });
    // Bob's vault is still there, and still his.
    expect((await instructor.resources.resources.getById(bobVault, VAULT_API_VERSION)).id?.toLowerCase()).toBe(bobVault.toLowerCase());
  }, 120_000);

  it('on her own vault ada may give only what lab 09 needs: no stronger role, no Secrets Officer to another principal, no Secrets User to a user', async () => {
    const mine = vaultId(ada.names);
    const adaIdentity = await ada.clients.msi.userAssignedIdentities.get(ada.names.resourceGroup, ada.names.identity);
    const create = (role: keyof typeof ROLE_IDS, principalId: string, principalType?: 'ServicePrincipal' | 'User') =>
      ada.clients.authorization.roleAssignments.create(mine, randomUUID(), {
        roleDefinitionId: roleDefinitionId(ada.names.subscriptionId, ROLE_IDS[role]),
        principalId,
        ...(principalType ? { principalType } : {}),
      });
    for (const [what, call] of [
      ['Key Vault Administrator for herself', create('Key Vault Administrator', ada.principal.objectId)],
      ['Key Vault Secrets Officer for her identity', create('Key Vault Secrets Officer', adaIdentity.principalId!, 'ServicePrincipal')],
      ["Key Vault Secrets Officer for bob's sign-in", create('Key Vault Secrets Officer', bob.principal.objectId, 'ServicePrincipal')],
      ['Key Vault Secrets User for a user', create('Key Vault Secrets User', bob.principal.objectId, 'User')],
      ['Owner for her identity', create('Owner', adaIdentity.principalId!, 'ServicePrincipal')],
    ] as const) {
      expect(await refusal(call), what).toMatchObject({ status: 403, code: 'AuthorizationFailed' });
    }
    // What she may: Key Vault Secrets User for a service principal, and remove it again.
    const made = await create('Key Vault Secrets User', bob.principal.objectId, 'ServicePrincipal');
    await ada.clients.authorization.roleAssignments.deleteById(made.id!);
  }, 120_000);

  it('ada deletes her vault (lab 11) but cannot purge it, nor list the deleted vaults: both are subscription-level', async () => {
    const mine = vaultId(ada.names);
    await ada.clients.resources.resources.beginDeleteByIdAndWait(mine, VAULT_API_VERSION);
    const name = vaultName(ada.names);
    const deleted = `/subscriptions/${ada.names.subscriptionId}/providers/Microsoft.KeyVault/locations/${ada.names.location}/deletedVaults/${name}`;
    const asAda = createArmContext(ada.config, { env: ada.env });
    const purge = await refusal(armRequest(asAda, { method: 'POST', path: `${deleted}/purge`, apiVersion: VAULT_API_VERSION }));
    expect(purge).toMatchObject({ status: 403, code: 'AuthorizationFailed' });
    expect(purge.message).toContain('Microsoft.KeyVault/locations/deletedVaults/purge/action');
    const list = await refusal(armRequest(asAda, { path: `/subscriptions/${ada.names.subscriptionId}/providers/Microsoft.KeyVault/deletedVaults`, apiVersion: VAULT_API_VERSION }));
    expect(list).toMatchObject({ status: 403, code: 'AuthorizationFailed' });
    // The instructor purges it (what class teardown does): the name is free again.
    const asInstructor = createArmContext(ada.config, { as: 'instructor', env: world.env });
    await armRequest(asInstructor, { method: 'POST', path: `${deleted}/purge`, apiVersion: VAULT_API_VERSION });
    const gone = await refusal(armRequest(asInstructor, { path: deleted, apiVersion: VAULT_API_VERSION }));
    expect(gone.status).toBe(404);
  }, 120_000);
});

/** A container group body as lab 10's solution makes it (one Linux container), with `identity`. */
const groupBody = (names: LabNames, identity: Record<string, unknown>) => ({
  location: names.location,
  identity,
  properties: { osType: 'Linux', restartPolicy: 'Never', containers: [{ name: 'app', properties: { image: 'mcr.microsoft.com/azuredocs/aci-helloworld', resources: { requests: { cpu: 1, memoryInGB: 1.5 } } } }] },
});

describe('lab 10 in shared mode, as class principals', () => {
  it("ada's lab 10 solution makes her two container groups in her group, with her identity and a system-assigned one, and lab 10 passes", async () => {
    await solve(ada, '10');
    const made = async (name: string) => (await instructor.resources.resources.getById(containerGroupId(ada.names, name), CONTAINER_API_VERSION)) as { identity?: { type?: string; userAssignedIdentities?: Record<string, unknown> } };
    const user = await made(containerGroupName(ada.names));
    expect(user.identity?.type).toBe('UserAssigned');
    expect(Object.keys(user.identity?.userAssignedIdentities ?? {}).map((k) => k.toLowerCase())).toEqual([ada.names.identityId.toLowerCase()]);
    expect((await made(systemContainerGroupName(ada.names))).identity?.type).toBe('SystemAssigned');
    // Graded as `milab grade 10` grades it, after labs 04 and 05 (their reference programs on the VM;
    // lab 05's program run again, unchanged, in the group).
    const lab05 = findLab('05');
    const grader05 = createGrader05(lab05.solution, createGrader04(findLab('04').solution));
    const { report } = await gradeLabs([createGrader10(lab05.solution, findLab('10').vmProgram!.solution, grader05)], { config: ada.config, env: ada.env });
    expect(fixesWithoutTypeScript(report)).toEqual([]);
    expect(failed(report)).toEqual([]);
    expect(report.status).toBe('passed');
  }, 300_000);

  it("ada cannot make a container group in bob's group, nor attach bob's identity to hers", async () => {
    const inBobs = await refusal(
      ada.clients.resources.resources.beginCreateOrUpdateByIdAndWait(containerGroupId(bob.names, 'ci-milab-ada-in-bobs'), CONTAINER_API_VERSION, groupBody(bob.names, { type: 'SystemAssigned' }) as never),
    );
    expect(inBobs).toMatchObject({ status: 403, code: 'AuthorizationFailed' });
    expect(inBobs.message).toContain('Microsoft.ContainerInstance/containerGroups/write');
    const borrowed = await refusal(
      ada.clients.resources.resources.beginCreateOrUpdateByIdAndWait(
        containerGroupId(ada.names, 'ci-milab-ada-borrowed'),
        CONTAINER_API_VERSION,
        groupBody(ada.names, { type: 'UserAssigned', userAssignedIdentities: { [bob.names.identityId]: {} } }) as never,
      ),
    );
    expect(borrowed).toMatchObject({ status: 403, code: 'LinkedAuthorizationFailed' });
    expect(borrowed.message).toContain('Microsoft.ManagedIdentity/userAssignedIdentities/assign/action');
  }, 120_000);
});

describe('lab 11 in shared mode, as a class principal', () => {
  it("ada may remove what labs 01-10 made in her group — its role assignments first, the container groups, the VM's identity, the identity — and nothing of bob's", async () => {
    const identity = await ada.clients.msi.userAssignedIdentities.get(ada.names.resourceGroup, ada.names.identity);
    // Role assignments first: every one for her identity (lab 02's Reader; lab 09's Secrets User
    // and her own Secrets Officer went with her vault, deleted above), all at or below her group.
    const mine: { id: string; principalId: string; role: string }[] = [];
    for await (const a of ada.clients.authorization.roleAssignments.listForScope(ada.names.resourceGroupScope)) {
      const scope = (a.scope ?? '').toLowerCase();
      const forHer = a.principalId === identity.principalId || (a.principalId === ada.principal.objectId && a.roleDefinitionId?.endsWith(ROLE_IDS['Key Vault Secrets Officer']));
      if (forHer && scope.startsWith(ada.names.resourceGroupScope.toLowerCase())) mine.push({ id: a.id!, principalId: a.principalId!, role: a.roleDefinitionId!.split('/').pop()! });
    }
    expect(mine.map((a) => a.role)).toContain(ROLE_IDS.Reader);
    for (const a of mine) await ada.clients.authorization.roleAssignments.deleteById(a.id);
    // The class's own grants to her are not hers to remove (the condition allows only lab roles).
    const classGrant: string[] = [];
    for await (const a of ada.clients.authorization.roleAssignments.listForScope(ada.names.resourceGroupScope)) {
      if (a.principalId === ada.principal.objectId && a.roleDefinitionId?.endsWith(ROLE_IDS['Key Vault Contributor'])) classGrant.push(a.id!);
    }
    expect(await refusal(ada.clients.authorization.roleAssignments.deleteById(classGrant[0]!))).toMatchObject({ status: 403, code: 'AuthorizationFailed' });
    // Bob's identity's Reader (lab 02) is not hers either.
    const bobIdentity = await instructor.msi.userAssignedIdentities.get(bob.names.resourceGroup, bob.names.identity);
    for await (const a of instructor.authorization.roleAssignments.listForScope(bob.names.resourceGroupScope)) {
      if (a.principalId === bobIdentity.principalId && a.roleDefinitionId?.endsWith(ROLE_IDS.Reader)) {
        expect(await refusal(ada.clients.authorization.roleAssignments.deleteById(a.id!))).toMatchObject({ status: 403 });
      }
    }
    // The container groups, the VM's identities (detached), the identity.
    for (const name of [containerGroupName(ada.names), systemContainerGroupName(ada.names)]) await ada.clients.resources.resources.beginDeleteByIdAndWait(containerGroupId(ada.names, name), CONTAINER_API_VERSION);
    expect(await refusal(ada.clients.resources.resources.beginDeleteByIdAndWait(containerGroupId(bob.names, containerGroupName(bob.names)), CONTAINER_API_VERSION))).toMatchObject({ status: 403 });
    await ada.clients.compute.virtualMachines.beginUpdateAndWait(ada.names.resourceGroup, ada.names.vm, { identity: { type: 'None' } });
    await ada.clients.msi.userAssignedIdentities.delete(ada.names.resourceGroup, ada.names.identity);
    expect(await refusal(ada.clients.msi.userAssignedIdentities.delete(bob.names.resourceGroup, bob.names.identity))).toMatchObject({ status: 403, code: 'AuthorizationFailed' });
  }, 120_000);

  it("bob's lab 11 solution, with only the class's roles, removes what he made and passes lab 11: his vault deleted and left for the instructor to purge, the class's VM and group kept", async () => {
    await solve(bob, '11');
    const { report } = await gradeLabs([grader11], { config: bob.config, env: bob.env });
    expect(failed(report)).toEqual([]);
    expect(report.status).toBe('passed');
    expect(said(result(report, '11.vault-purged'))).toContain('the instructor purges it');
    // What the class made for him stays (tagged class=cls), for `milab class teardown`.
    expect((await instructor.compute.virtualMachines.get(bob.names.resourceGroup, bob.names.vm)).tags).toMatchObject({ class: 'cls', learner: OTHER });
    expect((await instructor.resources.resourceGroups.get(bob.names.resourceGroup)).name).toBe(bob.names.resourceGroup);
  }, 300_000);

  it('lab 11 in a class grade of ada and bob reads the one snapshot (resources with their tags, deleted vaults): no ARM read per learner, the same grades as live', async () => {
    // Ada's clean-up, half done (above: no lab 11 setup, her identity gone, her vault deleted and
    // purged), graded as she is; bob's finished.
    const live = { ada: (await gradeLabs([grader11], { config: ada.config, env: ada.env })).report, bob: (await gradeLabs([grader11], { config: bob.config, env: bob.env })).report };
    expect(live.bob.status).toBe('passed');
    const graderEnv = Object.fromEntries(Object.entries(ada.env).filter(([k]) => !k.startsWith('AZURE_')));
    const reads: string[] = [];
    const snapshot = await takeSnapshot({ config: loadConfig({ env: graderEnv }), env: graderEnv, as: 'grader', onRead: (what) => reads.push(what) });
    // Lab 11's lists are the subscription's, once for the class: the resources (with their tags
    // and identity blocks) and the deleted vaults (bob's, soft-deleted, for the instructor to purge).
    const sub = `/subscriptions/${ada.names.subscriptionId}`;
    expect(reads.filter((r) => r === `GET ${sub}/resources` || r === `GET ${sub}/providers/Microsoft.KeyVault/deletedVaults`).sort()).toEqual([`GET ${sub}/providers/Microsoft.KeyVault/deletedVaults`, `GET ${sub}/resources`]);
    expect(snapshot.deletedVaults?.map((d) => d.name)).toEqual([vaultName(bob.names)]);
    expect(snapshot.resourceDetails?.find((r) => r.id?.toLowerCase() === bob.names.vmId.toLowerCase())?.tags).toMatchObject({ class: 'cls', learner: OTHER });

    const saved = JSON.parse(JSON.stringify(snapshot)) as typeof snapshot;
    const graderReads = () => readAudit(world.stateDir, { principal: 'grader' }).filter((e) => e.path.includes('/subscriptions/'));
    const before = graderReads().length;
    const fromSnapshot = {
      ada: (await gradeLabs([grader11], { ctx: createSnapshotContext(saved, { config: ada.config, env: ada.env, learnerObjectId: ada.principal.objectId }) })).report,
      bob: (await gradeLabs([grader11], { ctx: createSnapshotContext(saved, { config: bob.config, env: bob.env, learnerObjectId: bob.principal.objectId }) })).report,
    };
    // Two learners graded, and the grader read nothing more of ARM: everything came from the snapshot.
    expect(graderReads().slice(before)).toEqual([]);
    expect(strip(fromSnapshot.ada)).toEqual(strip(live.ada));
    expect(strip(fromSnapshot.bob)).toEqual(strip(live.bob));
    expect(said(result(fromSnapshot.bob, '11.vault-purged'))).toContain('the instructor purges it');

    // A snapshot saved before lab 11 (neither list in it): the same grade, lab 11's two lists read live.
    const { resourceDetails: _details, deletedVaults: _deleted, ...older } = saved;
    const olderBefore = graderReads().length;
    expect(strip((await gradeLabs([grader11], { ctx: createSnapshotContext(older, { config: bob.config, env: bob.env, learnerObjectId: bob.principal.objectId }) })).report)).toEqual(strip(live.bob));
    expect(graderReads().slice(olderBefore).map((e) => e.path.split('?')[0]?.toLowerCase()).sort()).toEqual([`${sub}/providers/Microsoft.KeyVault/deletedVaults`, `${bob.names.resourceGroupScope}/resources`].map((p) => p.toLowerCase()).sort());
  }, 300_000);
});
