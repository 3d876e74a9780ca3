// Lab 09, read a Key Vault secret with the identity: the starter leaves its grader failing, the
// solution passes it, and each named mistake — the access-policy model, Key Vault Reader, the role
// at subscription scope, Secrets Officer for a reader, a token for ARM sent to the vault, the
// secret printed — fails the right check with the right message, and no report holds the value.
// On an in-process emulator with labs 01-03 solved; the VM part runs in a child process "on" labvm
// with the real SecretClient and ManagedIdentityCredential.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ArmClients } from '@milab/core';
import { findLab, ROLE_IDS, TodoError, VAULT_API_VERSION, vaultId, vaultName, type LabContext } from '@milab/labs';
import type { GradeReport } from '@milab/grading';
import { readAudit } from '@milab/emulator';
import grader03 from '../03-attach-to-vm.js';
import { createGrader09 } from '../09-key-vault-secret.js';
import { GRADERS } from '../index.js';
import { assignRole, failed, type LabWorld, result, said, useVmLabWorld, type VmLabWorld } from './support.js';

let vm: VmLabWorld;
let world: LabWorld;
let learner: ArmClients;
const lab09 = findLab('09');
const vmSolution = lab09.vmProgram!.solution;
const vmStarter = lab09.vmProgram!.starter;
const grade09 = (program = vmSolution): Promise<GradeReport> => vm.grade(createGrader09(program, grader03));

useVmLabWorld('lab09-', (started, as) => {
  vm = started;
  world = started.world;
  learner = as;
});

const identityPrincipal = async () => (await learner.msi.userAssignedIdentities.get(world.names.resourceGroup, world.names.identity)).principalId!;
const VAULT = () => vaultId(world.names);
/** The identity's Key Vault assignments, as the learner lists them. */
async function identityAssignments(): Promise<{ id: string; scope: string; role: string }[]> {
  const principal = await identityPrincipal();
  const found: { id: string; scope: string; role: string }[] = [];
  for await (const a of learner.authorization.roleAssignments.listForSubscription()) {
    if (a.principalId === principal) found.push({ id: a.id!, scope: a.scope!, role: a.roleDefinitionId!.split('/').pop()! });
  }
  return found;
}
/** Replaces the identity's Secrets User on the vault by `role` at `scope`. */
async function regrant(role: keyof typeof ROLE_IDS, scope: string): Promise<void> {
  for (const a of await identityAssignments()) if (a.role === ROLE_IDS['Key Vault Secrets User']) await learner.authorization.roleAssignments.deleteById(a.id);
  await assignRole(learner, world.names, role, scope, await identityPrincipal());
}
/** The solution's vm.ts with `edits` made (each must change it), saved as a variant; returns its path. */
function variant(name: string, edits: [string, string][]): string {
  let source = readFileSync(vmSolution, 'utf8');
  for (const [from, to] of edits) {
    const edited = source.replace(from, to);
    expect(edited, `the edit of ${JSON.stringify(from)}`).not.toBe(source);
    source = edited;
  }
  // Variants live outside the lab folder: their import of the lab's names is made absolute.
  source = source.replace("from '../names.js'", `from ${JSON.stringify(pathToFileURL(join(lab09.dir, 'names.ts')).href)}`);
  const file = join(vm.dir, `${name}.ts`);
  writeFileSync(file, source);
  return file;
}
/** The secret's current value, from the emulator's keyvault.json (the test reads its state): what no report may hold. */
async function secretValue(): Promise<string> {
  const file = JSON.parse(readFileSync(join(world.stateDir, 'keyvault.json'), 'utf8')) as { vaults: Record<string, { secrets: Record<string, { versions: { value: string }[] }> }> };
  const values = Object.values(file.vaults).flatMap((v) => Object.values(v.secrets).map((s) => s.versions.at(-1)!.value));
  expect(values).toHaveLength(1);
  return values[0]!;
}

describe('lab 09', () => {
  it("is graded by `milab grade all`, after lab 08; the lab's vault name is one Azure accepts", () => {
    expect(GRADERS.findIndex((g) => g.lab.id === '09')).toBe(GRADERS.findIndex((g) => g.lab.id === '08') + 1);
    expect(lab09.vmProgram?.starter).toBe(join(lab09.dir, 'starter', 'vm.ts'));
    for (const names of [world.names, { ...world.names, learnerId: 'Ada.Lovelace-the-first', subscriptionId: 'ABCDEF01-2345-6789-abcd-ef0123456789' }]) {
      expect(vaultName(names)).toMatch(/^[a-z][a-z0-9-]{1,22}[a-z0-9]$/);
      expect(vaultName(names)).not.toContain('--');
    }
  });

  it('the starter throws its TODO and leaves the grader failing; the solution passes every check, and no report holds the value', async () => {
    const ctx = await world.labContext('09');
    const { main: starter } = (await import(pathToFileURL(lab09.starter).href)) as { main: (ctx: LabContext) => Promise<void> };
    await expect(starter(ctx)).rejects.toBeInstanceOf(TodoError);
    const before = await grade09(vmStarter);
    expect(before.status).toBe('failed');
    expect(said(result(before, '09.vault-rbac'))).toContain(`there is no vault ${vaultName(world.names)}`);

    await world.solve('09');
    const starterRun = await grade09(vmStarter);
    expect(result(starterRun, '09.reads-secret').status).toBe('fail');
    expect(said(result(starterRun, '09.reads-secret'))).toContain('TODO: read the secret');

    const after = await grade09();
    expect(failed(after)).toEqual([]);
    expect(after.status).toBe('passed');
    expect(JSON.stringify(result(after, '09.reads-secret'))).toContain('compared as a sha256 digest');
    expect(JSON.stringify(after)).not.toContain(await secretValue());
    // Three grades, two with a program run on the VM: more than the default 30 s on a loaded machine.
  }, 120_000);

  it('the access-policy model chosen instead of RBAC is named', async () => {
    await world.solve('09');
    await learner.resources.resources.beginUpdateByIdAndWait(VAULT(), VAULT_API_VERSION, { properties: { enableRbacAuthorization: false } } as never);
    const report = await grade09();
    const check = result(report, '09.vault-rbac');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('the access-policy model chosen instead of RBAC');
    expect(said(check)).toContain('--enable-rbac-authorization true');
  });

  it('Key Vault Reader granted (metadata only) is named; the read is refused with 403', async () => {
    await world.solve('09');
    await regrant('Key Vault Reader', VAULT());
    const report = await grade09();
    const check = result(report, '09.identity-can-read');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('Key Vault Reader granted (metadata only)');
    expect(said(check)).toContain('Key Vault Secrets User');
    expect(result(report, '09.reads-secret').status).toBe('skip');
  });

  it('the role at subscription scope is named (it reads, but every vault there)', async () => {
    await world.solve('09');
    await regrant('Key Vault Secrets User', world.names.subscriptionScope);
    const report = await grade09();
    expect(result(report, '09.identity-can-read').status).toBe('pass');
    const check = result(report, '09.least-privilege');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('the role at subscription scope');
    expect(said(check)).toContain('az role assignment create');
  });

  it('Secrets Officer for a reader is named', async () => {
    await world.solve('09');
    await regrant('Key Vault Secrets Officer', VAULT());
    const check = result(await grade09(), '09.least-privilege');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('Key Vault Secrets Officer for an app that only reads');
  });

  it('a token for ARM used on the vault is named, and the audit log names the identity', async () => {
    await world.solve('09');
    const program = variant('arm-token', [
      [
        'const client = new SecretClient(vaultUrl, credentialFor(ctx), { disableChallengeResourceVerification: true });',
        // A wrapper that hands out the ARM token whatever it is asked for.
        "const mi = credentialFor(ctx);\n  const armOnly = { getToken: () => mi.getToken(`${ctx.armResource}.default`) };\n  const client = new SecretClient(vaultUrl, armOnly, { disableChallengeResourceVerification: true });",
      ],
    ]);
    const report = await grade09(program);
    const check = result(report, '09.reads-secret');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('a token for ARM used on the vault');
    expect(said(check)).toContain('AKV10022');
    expect(said(check)).toContain(`the emulator's audit log names ${world.names.identity}`);
    const refused = readAudit(world.stateDir, { principal: await identityPrincipal() }).filter((e) => e.status === 401 && e.path.startsWith('https://'));
    expect(refused.length).toBeGreaterThan(0);
  });

  it('the secret printed is named, and blotted out of the report', async () => {
    await world.solve('09');
    const program = variant('prints', [['  console.log(JSON.stringify({ vault: vaultUrl', "  console.error(`the secret is ${value}`);\n  console.log(JSON.stringify({ vault: vaultUrl"]]);
    const report = await grade09(program);
    expect(result(report, '09.reads-secret').status).toBe('pass');
    const check = result(report, '09.no-secret-in-output');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('the secret printed');
    expect(said(check)).toContain('what the program wrote (stderr)');
    expect(JSON.stringify(report)).not.toContain(await secretValue());
  });

  it('the secret written straight to a file descriptor (around the capture) is found by its digest', async () => {
    await world.solve('09');
    const program = variant('fd-write', [['  console.log(JSON.stringify({ vault: vaultUrl', "  writeSync(2, `value=${value}\\n`);\n  console.log(JSON.stringify({ vault: vaultUrl"], ["import { ResourceManagementClient }", "import { writeSync } from 'node:fs';\nimport { ResourceManagementClient }"]]);
    const report = await grade09(program);
    const check = result(report, '09.no-secret-in-output');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('written around the harness');
    expect(JSON.stringify(report)).not.toContain(await secretValue());
  });

  it('a value that is not the secret is told apart by its digest', async () => {
    await world.solve('09');
    const program = variant('wrong-value', [['  return secret.value;', "  return `${secret.value}!`;"]]);
    const check = result(await grade09(program), '09.reads-secret');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('their sha256 digests differ');
  });
});
