// `az container` (Debian's azure-cli 2.45, the real one) against the emulator. `milab emulator az`
// signs az in with the API profile 2020-09-01-hybrid (the one under which Debian's `az vm` works,
// see emulator-az.ts), and that profile has no `az container` at all; with the `latest` profile
// (in a copy of the signed-in az profile here) `az container create --assign-identity` works, for
// a user-assigned identity and a system-assigned one, and so do show, list and delete; under the
// hybrid profile `az rest` PUT/DELETE on the group does the same. Then `az
// login --identity` "in" a group (`milab container env … --az`). One sign-in: az starts slowly.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmulator, parseConfig, type Emulator } from '@milab/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AZ_VERSIONS_HINT, findAz } from '../src/commands/emulator-az.js';
import { cleanEnv, type CliResult, milab, parseExports } from './support.js';

const az = findAz();
if (!az) throw new Error(`These tests run the real az CLI, which is not installed. ${AZ_VERSIONS_HINT}`);

describe('az container against the emulator (real az)', () => {
  let home: string;
  let emulator: Emulator;
  /** What `eval "$(./milab emulator az)"` exports (profile 2020-09-01-hybrid). */
  let hybrid: Record<string, string>;
  /** The same sign-in, in a copy of its az profile switched to the `latest` API profile. */
  let latest: Record<string, string>;
  let identity: { id: string; clientId: string; principalId: string };
  const base = () => ({ MILAB_HOME: home, HOME: join(home, 'user') });
  /** Runs az; never prints its output (a token could be in it). */
  const runAz = (args: string[], shell: Record<string, string>): Promise<CliResult> =>
    new Promise((resolve) => {
      execFile(az, args, { env: cleanEnv({ ...base(), ...shell }), timeout: 180_000, maxBuffer: 8 * 1024 * 1024 }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      });
    });
  const azJson = async <T>(args: string[], shell = latest): Promise<T> => {
    const run = await runAz([...args, '-o', 'json'], shell);
    expect(run.code, `az ${args.slice(0, 3).join(' ')}: ${run.stderr.slice(-800)}`).toBe(0);
    return JSON.parse(run.stdout) as T;
  };

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'milab-cli-container-az-'));
    mkdirSync(join(home, 'user'));
    emulator = createEmulator(parseConfig({ stateDir: join(home, 'emulator'), port: 0, log: () => undefined }));
    await emulator.listen();
    await emulator.ready();
    const signIn = await milab(['emulator', 'az', '--as', 'learner'], base());
    expect(signIn.code, signIn.stderr).toBe(0);
    hybrid = parseExports(signIn.stdout);
    const latestDir = join(home, 'az-latest');
    cpSync(hybrid.AZURE_CONFIG_DIR ?? '', latestDir, { recursive: true });
    latest = { ...hybrid, AZURE_CONFIG_DIR: latestDir };
    const switched = await runAz(['cloud', 'update', '--profile', 'latest'], latest);
    expect(switched.code, switched.stderr.slice(-600)).toBe(0);
    identity = await azJson(['identity', 'create', '-g', 'DevTest', '-n', 'id-milab-az', '--query', '{id: id, clientId: clientId, principalId: principalId}']);
  }, 300_000);
  afterAll(async () => {
    await emulator?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('the 2020-09-01-hybrid profile (what `milab emulator az` sets) has no `az container`', async () => {
    const run = await runAz(['container', 'list', '-g', 'DevTest', '-o', 'json'], hybrid);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("'container' is misspelled or not recognized by the system");
  }, 180_000);

  it('under 2020-09-01-hybrid, az rest creates the same group (the route a README can give instead)', async () => {
    const sub = emulator.connection().subscriptionId;
    const body = {
      location: 'westus',
      identity: { type: 'UserAssigned', userAssignedIdentities: { [identity.id]: {} } },
      properties: { osType: 'Linux', containers: [{ name: 'app', properties: { image: 'mcr.microsoft.com/azure-cli', resources: { requests: { cpu: 1, memoryInGB: 1.5 } } } }] },
    };
    const url = `/subscriptions/${sub}/resourceGroups/DevTest/providers/Microsoft.ContainerInstance/containerGroups/ci-milab-rest?api-version=2023-05-01`;
    const created = await azJson<{ properties: { provisioningState: string }; identity: { userAssignedIdentities: Record<string, { clientId: string }> } }>(
      ['rest', '--method', 'put', '--url', url, '--body', JSON.stringify(body)],
      hybrid,
    );
    expect(created.properties.provisioningState).toBe('Succeeded');
    expect(Object.values(created.identity.userAssignedIdentities).map((u) => u.clientId)).toEqual([identity.clientId]);
    const deleted = await runAz(['rest', '--method', 'delete', '--url', url, '-o', 'none'], hybrid);
    expect(deleted.code, deleted.stderr.slice(-600)).toBe(0);
  }, 300_000);

  it('with the latest profile, az container create --assign-identity attaches a user-assigned identity', async () => {
    const group = await azJson<{ provisioningState: string; instanceView: { state: string }; identity: { type: string; userAssignedIdentities: Record<string, { clientId: string }> } }>([
      'container', 'create', '-g', 'DevTest', '-n', 'ci-milab-az', '--image', 'mcr.microsoft.com/azure-cli', '--os-type', 'Linux', '--cpu', '1', '--memory', '1.5', '--assign-identity', identity.id,
    ]);
    expect(group.provisioningState).toBe('Succeeded');
    expect(group.instanceView.state).toBe('Running');
    expect(group.identity.type).toBe('UserAssigned');
    expect(Object.values(group.identity.userAssignedIdentities).map((u) => u.clientId)).toEqual([identity.clientId]);
    const shown = await azJson<{ name: string; containers: { image: string }[] }>(['container', 'show', '-g', 'DevTest', '-n', 'ci-milab-az']);
    expect(shown).toMatchObject({ name: 'ci-milab-az', containers: [{ image: 'mcr.microsoft.com/azure-cli' }] });
  }, 300_000);

  it('and --assign-identity alone (system-assigned), whose principal goes with az container delete', async () => {
    const group = await azJson<{ identity: { type: string; principalId: string } }>([
      'container', 'create', '-g', 'DevTest', '-n', 'ci-milab-az-sys', '--image', 'mcr.microsoft.com/azure-cli', '--os-type', 'Linux', '--cpu', '1', '--memory', '1', '--assign-identity',
    ]);
    expect(group.identity.type).toBe('SystemAssigned');
    expect(emulator.store.state.principals[group.identity.principalId]).toBeDefined();
    const names = await azJson<string[]>(['container', 'list', '-g', 'DevTest', '--query', '[].name']);
    expect(names.sort()).toEqual(['ci-milab-az', 'ci-milab-az-sys']);
    const deleted = await runAz(['container', 'delete', '-g', 'DevTest', '-n', 'ci-milab-az-sys', '--yes', '-o', 'none'], latest);
    expect(deleted.code, deleted.stderr.slice(-600)).toBe(0);
    expect(emulator.store.state.principals[group.identity.principalId]).toBeUndefined();
    expect(await azJson<string[]>(['container', 'list', '--query', '[].name'])).toEqual(['ci-milab-az']);
  }, 300_000);

  it("in the group (milab container env --az), az login --identity signs in as the group's identity", async () => {
    const env = await milab(['container', 'env', 'ci-milab-az', '--az'], base());
    expect(env.code, env.stderr).toBe(0);
    const inGroup = parseExports(env.stdout);
    expect(inGroup.AZURE_CONFIG_DIR).toBe(join(home, 'emulator', 'az', 'container-ci-milab-az'));
    const login = await runAz(['login', '--identity', '--username', identity.clientId, '--allow-no-subscriptions', '-o', 'json'], inGroup);
    expect(login.code, login.stderr.slice(-800)).toBe(0);
    const [account] = JSON.parse(login.stdout) as { user: { type: string; assignedIdentityInfo: string } }[];
    expect(account?.user).toMatchObject({ type: 'servicePrincipal', assignedIdentityInfo: `MSIClient-${identity.clientId}` });
  }, 300_000);
});
