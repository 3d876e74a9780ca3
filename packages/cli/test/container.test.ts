// `milab container list | env | exec` against a real emulator started in this process (state in
// the test's MILAB_HOME), the CLI spawned as `./milab` runs it. The groups are written straight
// into the emulator's store (the ARM path, through @azure/arm-containerinstance, is covered by the
// emulator's aci tests); the emulator's event then starts each group's IMDS.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmulator, parseConfig, SEED, type Emulator } from '@milab/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { milab } from './support.js';
import { attachIdentity } from './vm-support.js';

const RG = `/subscriptions/${SEED.subscriptionId}/resourceGroups/DevTest`;

/** A container group with `identityId` attached (user-assigned), written into the store. */
async function addGroup(emulator: Emulator, name: string, identity: { id: string; principalId: string; clientId: string }, containers?: unknown[]): Promise<string> {
  const id = `${RG}/providers/Microsoft.ContainerInstance/containerGroups/${name}`;
  emulator.store.mutate((draft) => {
    draft.resources[id.toLowerCase()] = {
      id,
      name,
      type: 'Microsoft.ContainerInstance/containerGroups',
      location: 'westus',
      resourceGroup: 'DevTest',
      properties: { osType: 'Linux', containers: containers ?? [{ name: 'app', properties: { image: 'node:20', resources: { requests: { cpu: 1, memoryInGB: 1 } } } }] },
      identity: { type: 'UserAssigned', userAssignedIdentities: { [identity.id]: { principalId: identity.principalId, clientId: identity.clientId } } },
      createdAt: new Date().toISOString(),
    };
  });
  emulator.events.emit('vm', { vmId: id, kind: 'created', identity: undefined });
  await emulator.imds.settled();
  return emulator.connection().containerGroups?.[name]?.imdsUrl ?? '';
}

describe('milab container', () => {
  let home: string;
  let emulator: Emulator;
  let imdsUrl: string;
  let identity: { id: string; principalId: string; clientId: string };

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'milab-cli-container-'));
    emulator = createEmulator(parseConfig({ stateDir: join(home, 'emulator'), port: 0, log: () => undefined }));
    await emulator.listen();
    await emulator.ready();
    identity = attachIdentity(emulator, 'id-container-test', { reader: true });
    imdsUrl = await addGroup(emulator, 'ci-milab-test', identity);
  });
  afterAll(async () => {
    await emulator.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('has help for every subcommand, in container group words', async () => {
    // One after another: three CLIs at once on a loaded machine outlast the test's timeout.
    const help = [];
    for (const c of [['container'], ['container', 'env'], ['container', 'exec']]) help.push(await milab([...c, '--help'], { MILAB_HOME: home }));
    const [container, env, exec] = help;
    expect(container?.stdout).toContain('Usage: milab container');
    expect(container?.stdout).toContain('Azure Container Instances');
    // The group's help lists each subcommand in one line (its own --help has the whole text).
    expect(container?.stdout).toMatch(/^ {2}env \[options\] <container> +Print shell exports that put a process "in" the container group\.$/m);
    expect(container?.stdout).not.toContain('REQUESTS_CA_BUNDLE');
    expect(env?.stdout).toContain('AZURE_POD_IDENTITY_AUTHORITY_HOST');
    expect(env?.stdout).toContain('MILAB_CONTAINER_GROUP_*');
    expect(exec?.stdout).toContain('./milab container exec ci-milab-<learner> -- sh -c');
  });

  it('list and env show the group and its IMDS; vm list does not', async () => {
    expect(imdsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const list = await milab(['container', 'list', '--json'], { MILAB_HOME: home });
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ name: 'ci-milab-test', resourceGroup: 'DevTest', imdsUrl, identity: 'UserAssigned (id-container-test)' })]);
    const text = await milab(['container', 'list'], { MILAB_HOME: home });
    expect(text.stdout).toContain('Run code in one: ./milab container exec NAME -- COMMAND');
    const vms = await milab(['vm', 'list', '--json'], { MILAB_HOME: home });
    expect(JSON.parse(vms.stdout).map((r: { name: string }) => r.name)).toEqual(['labvm']);
    const env = await milab(['container', 'env', 'ci-milab-test'], { MILAB_HOME: home });
    expect(env.code).toBe(0);
    expect(env.stdout).toContain('# in emulated container group ci-milab-test (DevTest)');
    expect(env.stdout).toContain(`export AZURE_POD_IDENTITY_AUTHORITY_HOST='${imdsUrl}'`);
    expect(env.stdout).toContain("export MILAB_CONTAINER_GROUP_NAME='ci-milab-test'");
    expect(env.stdout).not.toContain('MILAB_VM_NAME');
    expect(env.stdout).toContain('unset AZURE_CLIENT_ID AZURE_CLIENT_SECRET AZURE_TENANT_ID');
  });

  it('an unknown group is a one-line error with the next step, never a stack trace', async () => {
    const result = await milab(['container', 'exec', 'labvm', '--', 'true'], { MILAB_HOME: home });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("milab: no container group named 'labvm' in the emulator (it has: ci-milab-test).");
    expect(result.stderr).toContain('`./milab container list` shows the container groups');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("exec runs the command in the group: its identity's token by client id reads ARM, no sign-in secrets, its exit code", async () => {
    const script = [
      'const imds = process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST + "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/&client_id=" + process.argv[1];',
      'const { access_token } = await (await fetch(imds, { headers: { Metadata: "true" } })).json();',
      'const rg = `${process.env.AZURE_RESOURCE_MANAGER_ENDPOINT}/subscriptions/${process.env.AZURE_SUBSCRIPTION_ID}/resourceGroups/${process.env.AZURE_RESOURCE_GROUP}?api-version=2016-09-01`;',
      'const r = await fetch(rg, { headers: { authorization: `Bearer ${access_token}` } });',
      'const claims = JSON.parse(Buffer.from(access_token.split(".")[1], "base64url"));',
      'console.log(JSON.stringify({ status: r.status, oid: claims.oid, mirid: claims.xms_mirid, secret: process.env.AZURE_CLIENT_SECRET ?? null, group: process.env.MILAB_CONTAINER_GROUP_NAME }));',
      'process.exit(4);',
    ].join('\n');
    const result = await milab(['container', 'exec', 'ci-milab-test', '--', process.execPath, '--input-type=module', '-e', script, identity.clientId], {
      MILAB_HOME: home,
      AZURE_CLIENT_SECRET: 'parent-secret',
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(4);
    expect(JSON.parse(result.stdout)).toEqual({ status: 200, oid: identity.principalId, mirid: identity.id, secret: null, group: 'ci-milab-test' });
  });

  it('exec of a command that does not exist says so (exit 127)', async () => {
    const result = await milab(['container', 'exec', 'ci-milab-test', '--', 'no-such-command-milab'], { MILAB_HOME: home });
    expect(result.code).toBe(127);
    expect(result.stderr).toContain("could not run 'no-such-command-milab' in container group ci-milab-test: command not found.");
  });

  it('list leaves out a group gone from the world that connection.json still names (deleted with its resource group)', async () => {
    await addGroup(emulator, 'ci-milab-gone', identity);
    const before = await milab(['container', 'list', '--json'], { MILAB_HOME: home });
    expect(JSON.parse(before.stdout).map((r: { name: string }) => r.name)).toEqual(['ci-milab-gone', 'ci-milab-test']);
    // As resourceGroups.ts deletes it: out of the world, no event for the group.
    emulator.store.mutate((draft) => {
      delete draft.resources[`${RG}/providers/Microsoft.ContainerInstance/containerGroups/ci-milab-gone`.toLowerCase()];
    });
    const after = await milab(['container', 'list', '--json'], { MILAB_HOME: home });
    expect(JSON.parse(after.stdout).map((r: { name: string }) => r.name)).toEqual(['ci-milab-test']);
  });

  it("env and exec set the container's own environmentVariables (the first container's, or --container's); a secure one is named, not set", async () => {
    const resources = { requests: { cpu: 1, memoryInGB: 1 } };
    await addGroup(emulator, 'ci-milab-vars', identity, [
      { name: 'app', properties: { image: 'node:20', resources, environmentVariables: [{ name: 'AZURE_CLIENT_ID', value: identity.clientId }, { name: 'API_KEY' }] } },
      { name: 'sidecar', properties: { image: 'node:20', resources, environmentVariables: [{ name: 'ROLE', value: 'sidecar' }] } },
    ]);
    const env = await milab(['container', 'env', 'ci-milab-vars'], { MILAB_HOME: home });
    expect(env.code).toBe(0);
    expect(env.stdout).toContain(`export AZURE_CLIENT_ID='${identity.clientId}'`);
    expect(env.stderr).toContain('API_KEY is a secure environment variable of container app: the emulator does not keep its value, so it is not set.');
    const sidecar = await milab(['container', 'exec', '--container', 'sidecar', 'ci-milab-vars', '--', process.execPath, '-e', 'console.log(JSON.stringify([process.env.ROLE, process.env.AZURE_CLIENT_ID ?? null]))'], {
      MILAB_HOME: home,
      AZURE_CLIENT_ID: 'parent-client',
    });
    expect(sidecar.stderr).toBe('');
    expect(JSON.parse(sidecar.stdout)).toEqual(['sidecar', null]);
    const missing = await milab(['container', 'env', '--container', 'nope', 'ci-milab-vars'], { MILAB_HOME: home });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("container group ci-milab-vars has no container named 'nope' (it has: app, sidecar).");
  });
});
