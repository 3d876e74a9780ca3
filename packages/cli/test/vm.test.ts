// `milab vm list | env | exec` against a real emulator started in this process (state in the
// test's MILAB_HOME), the CLI spawned as `./milab` runs it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmulator, parseConfig, type Emulator } from '@milab/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { milab } from './support.js';
import { attachIdentity } from './vm-support.js';

describe('milab vm', () => {
  let home: string;
  let emulator: Emulator;
  let imdsUrl: string;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'milab-cli-vm-'));
    emulator = createEmulator(parseConfig({ stateDir: join(home, 'emulator'), port: 0, log: () => undefined }));
    await emulator.listen();
    await emulator.ready();
    imdsUrl = emulator.connection().vms?.labvm?.imdsUrl ?? '';
  });
  afterAll(async () => {
    await emulator.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('has help for every subcommand, naming what env sets', async () => {
    const [vm, env, exec] = await Promise.all([['vm'], ['vm', 'env'], ['vm', 'exec']].map((c) => milab([...c, '--help'], { MILAB_HOME: home })));
    expect(vm?.stdout).toContain('Usage: milab vm');
    expect(env?.stdout).toContain('AZURE_POD_IDENTITY_AUTHORITY_HOST');
    expect(exec?.stdout).toContain('./milab vm exec labvm -- sh -c');
  });

  it('list and env show labvm and its IMDS', async () => {
    const list = await milab(['vm', 'list', '--json'], { MILAB_HOME: home });
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ name: 'labvm', resourceGroup: 'DevTest', imdsUrl, identity: 'none' })]);
    const env = await milab(['vm', 'env', 'labvm'], { MILAB_HOME: home });
    expect(env.code).toBe(0);
    expect(env.stdout).toContain(`export AZURE_POD_IDENTITY_AUTHORITY_HOST='${imdsUrl}'`);
    expect(env.stdout).toContain('unset AZURE_CLIENT_ID AZURE_CLIENT_SECRET AZURE_TENANT_ID');
    expect(env.stdout).toContain(`export NODE_EXTRA_CA_CERTS='${emulator.certificates.caFile}'`);
    expect(env.stdout).toContain(`export AZURE_RESOURCE_MANAGER_ENDPOINT='${emulator.url}'`);
  });

  it('an unknown VM is a one-line error with the next step, never a stack trace', async () => {
    const result = await milab(['vm', 'env', 'nope'], { MILAB_HOME: home });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("milab: no VM named 'nope' in the emulator (it has: labvm).");
    expect(result.stderr).toContain('`./milab vm list` shows the VMs');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('exec runs the command on the VM: its IMDS, no sign-in secrets, and its exit code', async () => {
    const script = [
      'const keys = ["AZURE_POD_IDENTITY_AUTHORITY_HOST","AZURE_CLIENT_SECRET","AZURE_CLIENT_ID","AZURE_TENANT_ID","NODE_EXTRA_CA_CERTS","MILAB_TARGET","MILAB_VM_NAME","AZURE_SUBSCRIPTION_ID"];',
      'const out = Object.fromEntries(keys.map((k) => [k, process.env[k] ?? null]));',
      'const r = await fetch(process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST + "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/", { headers: { Metadata: "true" } });',
      'out.imds = { status: r.status, body: await r.json() };',
      'console.log(JSON.stringify(out)); process.exit(3);',
    ].join('\n');
    const result = await milab(['vm', 'exec', 'labvm', '--', process.execPath, '--input-type=module', '-e', script], {
      MILAB_HOME: home,
      AZURE_CLIENT_SECRET: 'parent-secret',
      AZURE_CLIENT_ID: 'parent-client',
      AZURE_TENANT_ID: 'parent-tenant',
    });
    expect(result.code).toBe(3);
    const seen = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(seen).toMatchObject({
      AZURE_POD_IDENTITY_AUTHORITY_HOST: imdsUrl,
      AZURE_CLIENT_SECRET: null,
      AZURE_CLIENT_ID: null,
      AZURE_TENANT_ID: null,
      NODE_EXTRA_CA_CERTS: emulator.certificates.caFile,
      MILAB_TARGET: 'emulator',
      MILAB_VM_NAME: 'labvm',
      imds: { status: 400, body: { error: 'invalid_request', error_description: 'Identity not found' } },
    });
  });

  it("the Done-when check: on labvm, a token from its IMDS reads the seed's resource group from the emulator's ARM", async () => {
    const identity = attachIdentity(emulator, 'done-when-identity', { reader: true });
    const script = [
      'const imds = process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST + "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/";',
      'const { access_token } = await (await fetch(imds, { headers: { Metadata: "true" } })).json();',
      'const rg = `${process.env.AZURE_RESOURCE_MANAGER_ENDPOINT}/subscriptions/${process.env.AZURE_SUBSCRIPTION_ID}/resourceGroups/${process.env.AZURE_RESOURCE_GROUP}?api-version=2016-09-01`;',
      'const r = await fetch(rg, { headers: { authorization: `Bearer ${access_token}` } });',
      'const oid = JSON.parse(Buffer.from(access_token.split(".")[1], "base64url")).oid;',
      'console.log(JSON.stringify({ status: r.status, oid, body: await r.json() }));',
    ].join('\n');
    const result = await milab(['vm', 'exec', 'labvm', '--', process.execPath, '--input-type=module', '-e', script], { MILAB_HOME: home });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      status: 200,
      oid: identity.principalId,
      body: { id: `/subscriptions/${emulator.connection().subscriptionId}/resourceGroups/DevTest`, name: 'DevTest', location: 'westus', tags: {}, properties: { provisioningState: 'Succeeded' } },
    });
    expect(result.stdout).not.toContain('eyJ');
  });

  it('exec takes its options before the VM name too: the `--` still only separates', async () => {
    const result = await milab(['vm', 'exec', '--state-dir', join(home, 'emulator'), 'labvm', '--', process.execPath, '-e', 'console.log(process.env.MILAB_VM_NAME)'], { MILAB_HOME: home });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe('labvm');
  });

  it('exec of a command that does not exist says so (exit 127)', async () => {
    const result = await milab(['vm', 'exec', 'labvm', '--', 'no-such-command-milab'], { MILAB_HOME: home });
    expect(result.code).toBe(127);
    expect(result.stderr).toContain("could not run 'no-such-command-milab' on VM labvm: command not found.");
  });

  it('warns when the calling shell expanded $AZURE_POD_IDENTITY_AUTHORITY_HOST too early', async () => {
    const result = await milab(['vm', 'exec', 'labvm', '--', process.execPath, '-e', '', '/metadata/identity/oauth2/token'], { MILAB_HOME: home });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("Wrap the command in sh -c '…' (single quotes)");
  });

  it('without a running emulator: exit 2 and how to start it', async () => {
    const other = mkdtempSync(join(tmpdir(), 'milab-cli-vm-none-'));
    try {
      const result = await milab(['vm', 'list'], { MILAB_HOME: other });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('./milab emulator start --detach');
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
