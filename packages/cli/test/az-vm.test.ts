// `az login --identity` on an emulated VM, with the real az CLI: `milab vm env labvm --az` sets
// MSI_ENDPOINT (the VM's IMDS answers it as Cloud Shell does; az 2.45 asks it instead of
// 169.254.169.254), and az signs in as the VM's user-assigned identity, reads with its Reader
// role and is refused a write. One sign-in for the file: az starts slowly.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmulator, parseConfig, type Emulator } from '@milab/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AZ_VERSIONS_HINT, findAz } from '../src/commands/emulator-az.js';
import { cleanEnv, type CliResult, milab, parseExports } from './support.js';
import { attachIdentity, type AttachedIdentity } from './vm-support.js';

const az = findAz();
if (!az) throw new Error(`These tests run the real az CLI, which is not installed. ${AZ_VERSIONS_HINT}`);

describe('az login --identity on an emulated VM (real az)', () => {
  let home: string;
  let emulator: Emulator;
  let identity: AttachedIdentity;
  let vmShell: Record<string, string>;
  let login: CliResult;
  const base = () => ({ MILAB_HOME: home, HOME: join(home, 'user') });
  const runAz = (args: string[]): Promise<CliResult> =>
    new Promise((resolve) => {
      execFile(az, args, { env: cleanEnv({ ...base(), ...vmShell }), timeout: 120_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      });
    });

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'milab-cli-az-vm-'));
    mkdirSync(join(home, 'user'));
    emulator = createEmulator(parseConfig({ stateDir: join(home, 'emulator'), port: 0, log: () => undefined }));
    await emulator.listen();
    await emulator.ready();
    identity = attachIdentity(emulator, 'id-vm-az', { reader: true });
    const env = await milab(['vm', 'env', 'labvm', '--az'], base());
    expect(env.code, env.stderr).toBe(0);
    vmShell = parseExports(env.stdout);
    login = await runAz(['login', '--identity', '--username', identity.clientId, '-o', 'json']);
  }, 180_000);
  afterAll(async () => {
    await emulator?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it("exports MSI_ENDPOINT only with --az, and an az profile of the VM's own", async () => {
    const imdsUrl = emulator.connection().vms?.labvm?.imdsUrl ?? '';
    expect(vmShell.MSI_ENDPOINT).toBe(`${imdsUrl}/msi/token`);
    expect(vmShell.AZURE_CONFIG_DIR).toBe(join(home, 'emulator', 'az', 'vm-labvm'));
    expect(vmShell.REQUESTS_CA_BUNDLE).toBe(join(home, 'emulator', 'ca-bundle.pem'));
    const plain = parseExports((await milab(['vm', 'env', 'labvm'], base())).stdout);
    expect(plain.MSI_ENDPOINT).toBeUndefined();
    expect(plain.AZURE_POD_IDENTITY_AUTHORITY_HOST).toBe(imdsUrl);
  }, 60_000);

  it("signs az in as the VM's user-assigned identity, which reads with its Reader role and cannot write", async () => {
    expect(login.code, login.stderr.slice(-800)).toBe(0);
    const [account] = JSON.parse(login.stdout) as { id: string; environmentName: string; user: { name: string; type: string; assignedIdentityInfo: string } }[];
    expect(account).toMatchObject({ id: emulator.connection().subscriptionId, environmentName: 'MilabEmulator' });
    expect(account?.user).toMatchObject({ name: 'userAssignedIdentity', type: 'servicePrincipal', assignedIdentityInfo: `MSIClient-${identity.clientId}` });
    const group = await runAz(['group', 'show', '-n', 'DevTest', '--query', 'name', '-o', 'tsv']);
    expect(group.code, group.stderr).toBe(0);
    expect(group.stdout.trim()).toBe('DevTest');
    const write = await runAz(['group', 'update', '-n', 'DevTest', '--tags', 'x=y', '-o', 'none']);
    expect(write.code).not.toBe(0);
    expect(write.stderr).toContain('AuthorizationFailed');
    expect(write.stderr).toContain(identity.principalId);
  }, 180_000);
});
