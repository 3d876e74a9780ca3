// Lab 08, the Azure Identity SDK on the VM: the starter leaves its grader failing, the solution
// passes it, and each named mistake — a variant of the solution, run in a child process "on"
// labvm with the real @azure/identity against the in-process emulator — fails the right check
// with found / expected / fix. No request leaves 127.0.0.1: lab 08's harness part refuses every
// other host name (a developer credential's sign-in at login.microsoftonline.com among them).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ArmClients } from '@milab/core';
import { findLab } from '@milab/labs';
import type { GradeReport } from '@milab/grading';
import { createGrader04 } from '../04-imds-token.js';
import { createGrader08 } from '../08-identity-sdk.js';
import { GRADERS } from '../index.js';
import { failed, LAB_04_DONE, type LabWorld, result, said, useVmLabWorld, type VmLabWorld } from './support.js';

let vm: VmLabWorld;
let world: LabWorld;
let learner: ArmClients;
const lab04 = findLab('04');
const lab08 = findLab('08');
// Lab 04 done, for the mistakes: its real grader runs lab 04's program on the VM under IMDS faults
// (the starter-and-solution test does that); the mistakes are lab 08's alone.
const grade08 = (program: string, previous = LAB_04_DONE): Promise<GradeReport> => vm.grade(createGrader08(program, previous));

useVmLabWorld('lab08-', (started, as) => {
  vm = started;
  world = started.world;
  learner = as;
});

/** Writes a variant of the solution with `edits` (each must change it); returns its path. */
function variant(name: string, edits: [string, string][]): string {
  let source = readFileSync(lab08.solution, 'utf8');
  for (const [from, to] of edits) {
    expect(source, `the ${name} variant edits "${from.slice(0, 60)}"`).toContain(from);
    source = source.replace(from, to);
  }
  const file = join(vm.dir, `${name}.ts`);
  writeFileSync(file, source);
  return file;
}

const NO_CLIENT_ID: [string, string] = ['return new ManagedIdentityCredential({ clientId: ctx.clientId });', 'return new ManagedIdentityCredential();'];
const NO_SETTINGS: [string, string] = ['return ctx.clientId ? { AZURE_CLIENT_ID: ctx.clientId } : {};', 'void ctx;\n  return {};'];
/** The solution whose settings hold what `./milab emulator env --as learner` exports (tenant: LEFTOVER_TENANT, else the emulator's). */
function developerCredential(): string {
  return variant('developer-credential', [
      ["import { decodeClaims } from '@milab/core';", "import { decodeClaims } from '@milab/core';\nimport { readFileSync } from 'node:fs';"],
      [
        'return ctx.clientId ? { AZURE_CLIENT_ID: ctx.clientId } : {};',
        "const conn = JSON.parse(readFileSync(`${process.env.MILAB_EMULATOR_DIR}/connection.json`, 'utf8'));\n  void ctx;\n  return { AZURE_TENANT_ID: process.env.LEFTOVER_TENANT ?? conn.tenantId, AZURE_CLIENT_ID: conn.principals.learner.clientId, AZURE_CLIENT_SECRET: conn.principals.learner.clientSecret, AZURE_AUTHORITY_HOST: conn.url };",
      ],
  ]);
}
const identity = () => learner.msi.userAssignedIdentities.get(world.names.resourceGroup, world.names.identity);

describe('lab 08', () => {
  it('is graded by `milab grade all`, after lab 06, and runs on the VM', () => {
    const ids = GRADERS.map((g) => g.lab.id);
    expect(ids).toContain('08');
    expect(ids.indexOf('08')).toBeGreaterThan(ids.indexOf('06'));
    expect(lab08.runsOn).toBe('vm');
  });

  it('the starter fails with its TODOs; the solution passes every check (after the real lab 04 grader)', async () => {
    const grader04 = createGrader04(lab04.solution);
    const before = await grade08(lab08.starter, grader04);
    expect(before.status).toBe('failed');
    expect(said(result(before, '08.managed-identity-credential'))).toContain("managedIdentityCredential still throws the starter's TODO");
    expect(said(result(before, '08.default-credential'))).toContain('Complete TODO 2');
    expect(result(before, '08.no-token-in-output').status).toBe('skip');

    const after = await grade08(lab08.solution, grader04);
    expect(failed(after)).toEqual([]);
    expect(after.status).toBe('passed');
    expect(said(result(after, '08.second-resource'))).toContain('aud https://vault.azure.net');
    expect(JSON.stringify(after)).not.toMatch(/eyJ[\w-]+\.eyJ/);
  }, 180_000);
});

describe('lab 08 mistakes', () => {
  it('no client id with two identities attached: IMDS refuses to choose', async () => {
    const report = await grade08(variant('no-client-id', [NO_CLIENT_ID]));
    const check = result(report, '08.managed-identity-credential');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('ManagedIdentityCredential was made without a client id');
    expect(said(check)).toContain('labvm has 2 user-assigned identities');
    expect(said(check)).toContain('Multiple user assigned identities exist');
    expect(said(check)).toContain('new ManagedIdentityCredential({ clientId: ctx.clientId })');
    // DefaultAzureCredential, told through AZURE_CLIENT_ID, is right all the same.
    expect(result(report, '08.default-credential').status).toBe('pass');

    // Its twin: no AZURE_CLIENT_ID in the settings; the chain goes on past the managed identity
    // to the developer tools, which find no sign-in on the VM.
    const unset = result(await grade08(variant('no-azure-client-id', [NO_SETTINGS])), '08.default-credential');
    expect(unset.status).toBe('fail');
    expect(said(unset)).toContain('AZURE_CLIENT_ID is not set');
    expect(said(unset)).toContain('Multiple user assigned identities exist');
    expect(said(unset)).toContain('{ AZURE_CLIENT_ID: ctx.clientId }');
  }, 120_000);

  it('the system identity used by accident: no client id, and the VM has a system-assigned identity', async () => {
    const on = await learner.compute.virtualMachines.update(world.names.resourceGroup, world.names.vm, { identity: { type: 'SystemAssigned, UserAssigned' } });
    const report = await grade08(variant('system-by-accident', [NO_CLIENT_ID, NO_SETTINGS]));
    const mi = result(report, '08.managed-identity-credential');
    expect(mi.status).toBe('fail');
    expect(said(mi)).toContain(`the token is for labvm's system-assigned identity (oid ${on.identity!.principalId}`);
    expect(said(mi)).toContain('the system identity, used by accident');
    const dac = result(report, '08.default-credential');
    expect(dac.status).toBe('fail');
    expect(said(dac)).toContain('AZURE_CLIENT_ID is not set');
    expect(said(dac)).toContain('the system identity, used by accident');
    expect(said(dac)).toContain('{ AZURE_CLIENT_ID: ctx.clientId }');
  }, 90_000);

  it('AZURE_CLIENT_ID set to the principal (object) id', async () => {
    const mine = await identity();
    const report = await grade08(variant('principal-id', [['return ctx.clientId ? { AZURE_CLIENT_ID: ctx.clientId } : {};', `void ctx;\n  return { AZURE_CLIENT_ID: '${mine.principalId}' };`]]));
    const check = result(report, '08.default-credential');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain(`AZURE_CLIENT_ID is ${mine.principalId}, the principal (object) id of id-milab-ada, not its client id`);
    expect(said(check)).toContain(`AZURE_CLIENT_ID=${mine.clientId}`);
    expect(said(check)).toContain('az identity show -g DevTest -n id-milab-ada --query clientId -o tsv');
    expect(result(report, '08.managed-identity-credential').status).toBe('pass');
  }, 90_000);

  it('a scope without /.default: works through IMDS, named all the same', async () => {
    const report = await grade08(variant('no-default-suffix', [['return { arm: `${ARM_RESOURCE}/.default`, keyVault: `${KEY_VAULT_RESOURCE}/.default` };', "return { arm: 'https://management.azure.com/', keyVault: KEY_VAULT_RESOURCE };"]]));
    const check = result(report, '08.scopes');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain("tokenScopes().arm is 'https://management.azure.com/', without /.default");
    expect(said(check)).toContain("tokenScopes().keyVault is 'https://vault.azure.net', without /.default");
    expect(said(check)).toContain('AADSTS1002012');
    // The managed identity takes it: the tokens and the list are right.
    expect(result(report, '08.second-resource').status).toBe('pass');
    expect(result(report, '08.resources').status).toBe('pass');
  }, 90_000);

  it('a developer credential left in the settings: EnvironmentCredential comes first, and its failure ends the chain', async () => {
    const leftover = developerCredential();
    const report = await grade08(leftover);
    const check = result(report, '08.default-credential');
    expect(check.status).toBe('fail');
    expect(said(check)).toContain('AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET are set');
    expect(said(check)).toContain('a developer credential left behind');
    expect(said(check)).toContain('EnvironmentCredential, tried it and failed');
    expect(said(check)).toContain('the managed identity was never asked');
    expect(said(check)).toContain('AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential');
    expect(JSON.stringify(report)).not.toContain(JSON.parse(readFileSync(join(world.stateDir, 'connection.json'), 'utf8')).principals.learner.clientSecret);
    expect(result(report, '08.managed-identity-credential').status).toBe('pass');
  }, 90_000);

  it('a developer credential that signs in wins over the managed identity', async () => {
    // An AD FS-style tenant skips MSAL's instance discovery, so the emulator signs it in offline
    // (packages/emulator/src/entra/handlers.ts): as on Azure with a working secret.
    process.env.LEFTOVER_TENANT = 'adfs';
    try {
      const leftover = developerCredential();
      const report = await grade08(leftover);
      const check = result(report, '08.default-credential');
      expect(check.status).toBe('fail');
      expect(said(check)).toContain("signed in with it and won: the token is for the emulator's learner principal");
      expect(said(check)).toContain('not for the managed identity');
    } finally {
      delete process.env.LEFTOVER_TENANT;
    }
  }, 90_000);
});
