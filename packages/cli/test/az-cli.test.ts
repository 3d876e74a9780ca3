// The az route on the emulator, with the real az CLI (Debian's azure-cli 2.45 in CI, installed by
// scripts/test.mjs): `milab emulator az` signs az in, then labs 01-03's az blocks run as their
// READMEs write them (with the emulator's values) and the graders pass. az starts slowly (about a
// second each run, more on a loaded machine), so the file signs in once and runs the labs in order.
// Every az run has its own HOME and an AZURE_CONFIG_DIR in the test's folder: nothing reads or
// writes ~/.azure, and the test asserts so.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmulator, parseConfig, type Emulator, type EmulatorConnection } from '@milab/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AZ_VERSIONS_HINT, findAz, isDebianAz } from '../src/commands/emulator-az.js';
import { cleanEnv, type CliResult, milab, parseExports, repo } from './support.js';

const LEARNER = 'ada';
const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';

/** The sh blocks of a lab README's "### az CLI" section, as written. */
function azBlocks(labDir: string): string[] {
  const text = readFileSync(join(repo, 'labs', labDir, 'README.md'), 'utf8');
  const start = text.indexOf('### az CLI');
  const end = text.indexOf('\n### ', start + 1);
  const section = text.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
}

/** The last JSON document az printed (a block's commands each print one; az indents all but the first line). */
function lastJson<T>(stdout: string): T {
  const lines = stdout.trimEnd().split('\n');
  const start = lines.findLastIndex((line) => /^[[{]/.test(line));
  return JSON.parse(lines.slice(start).join('\n')) as T;
}

const az = findAz();
if (!az) {
  // Fail, not skip: the az route is part of what the workshop promises.
  throw new Error(`These tests run the real az CLI, which is not installed. ${AZ_VERSIONS_HINT} (scripts/test.mjs installs Debian's package when run as root, as in CI.)`);
}
const debian = isDebianAz(az);

describe('the az route on the emulator (real az)', () => {
  let home: string;
  let emulator: Emulator;
  let connection: EmulatorConnection;
  /** The environment of the test's shell: what `eval "$(./milab emulator az)"` exports. */
  let shell: Record<string, string>;
  let signIn: CliResult;
  const base = () => ({ MILAB_HOME: home, MILAB_LEARNER: LEARNER, HOME: join(home, 'user') });

  /** Runs az in the shell's environment; never prints its output (a token could be in it). */
  const runAz = (args: string[], env = shell): Promise<CliResult> =>
    new Promise((resolve) => {
      execFile(az, args, { env: cleanEnv({ ...base(), ...env }), timeout: 120_000, maxBuffer: 8 * 1024 * 1024 }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      });
    });
  /** Runs a README block with bash (-e: it stops at the first failing command), its <placeholders> filled in. */
  const runBlock = (block: string): Promise<CliResult> => {
    const values: Record<string, string> = {
      '<learner id>': LEARNER,
      '<resource group>': connection.resourceGroup,
      '<location>': connection.location,
      '<subscription id>': connection.subscriptionId,
      '<vm name>': 'labvm',
    };
    const script = block.replace(/<[a-z ]+>/g, (placeholder) => values[placeholder] ?? placeholder);
    expect(script, 'a placeholder the test does not know').not.toMatch(/=<[a-z ]+>/);
    return new Promise((resolve) => {
      execFile('bash', ['-e', '-o', 'pipefail', '-c', script], { env: cleanEnv({ ...base(), ...shell }), timeout: 180_000, maxBuffer: 8 * 1024 * 1024 }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      });
    });
  };
  const blockOk = async (block: string): Promise<string> => {
    const run = await runBlock(block);
    expect(run.code, `${block}\n${run.stderr.slice(-800)}`).toBe(0);
    return run.stdout;
  };
  const azOk = async (args: string[]): Promise<string> => {
    const run = await runAz(args);
    expect(run.code, `az ${args.slice(0, 3).join(' ')}: ${run.stderr.slice(-600)}`).toBe(0);
    return run.stdout.trim();
  };
  const grade = async (lab: string) => {
    const graded = await milab(['grade', lab, '--json'], base());
    expect(graded.code, `grade ${lab}: ${graded.stdout.slice(-1500)}${graded.stderr.slice(-600)}`).toBe(0);
  };

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'milab-cli-az-'));
    mkdirSync(join(home, 'user'));
    emulator = createEmulator(parseConfig({ stateDir: join(home, 'emulator'), port: 0, log: () => undefined }));
    await emulator.listen();
    await emulator.ready();
    connection = emulator.connection();
    signIn = await milab(['emulator', 'az', '--as', 'learner'], base());
    shell = parseExports(signIn.stdout);
  }, 180_000);
  afterAll(async () => {
    await emulator?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('signs az in with one command, printing exports and no secret, in a profile of its own', () => {
    expect(signIn.code, signIn.stderr).toBe(0);
    expect(signIn.stdout).toContain('# az signed in to the milab emulator');
    expect(shell.AZURE_CONFIG_DIR).toBe(join(home, 'emulator', 'az', 'learner'));
    expect(shell.REQUESTS_CA_BUNDLE).toBe(join(home, 'emulator', 'ca-bundle.pem'));
    expect(shell.SSL_CERT_FILE).toBe(shell.REQUESTS_CA_BUNDLE);
    expect(shell.CURL_CA_BUNDLE).toBe(shell.REQUESTS_CA_BUNDLE);
    expect(shell.NODE_EXTRA_CA_CERTS).toBe(connection.caFile);
    expect(Object.keys(shell)).not.toContain('AZURE_CLIENT_SECRET');
    for (const principal of Object.values(connection.principals)) {
      expect(signIn.stdout).not.toContain(principal.clientSecret);
      expect(signIn.stderr).not.toContain(principal.clientSecret);
    }
    // The user's own az profile is never created.
    expect(existsSync(join(home, 'user', '.azure'))).toBe(false);
  });

  it('is signed in to the emulator as the learner, in the cloud MilabEmulator', async () => {
    const account = JSON.parse(await azOk(['account', 'show', '-o', 'json'])) as { id: string; tenantId: string; environmentName: string; user: { name: string; type: string } };
    expect(account).toMatchObject({ id: connection.subscriptionId, tenantId: connection.tenantId, environmentName: 'MilabEmulator' });
    expect(account.user).toEqual({ name: connection.principals.learner.clientId, type: 'servicePrincipal' });
  }, 120_000);

  it('gets an ARM token with az account get-access-token (its length only: never printed)', async () => {
    const token = JSON.parse(await azOk(['account', 'get-access-token', '--query', '{type: tokenType, length: length(accessToken), tenant: tenant}', '-o', 'json'])) as { type: string; length: number; tenant: string };
    expect(token.type).toBe('Bearer');
    expect(token.length).toBeGreaterThan(100);
    expect(token.tenant).toBe(connection.tenantId);
  }, 120_000);

  it("runs lab 01's az block as written, then grader 01 passes", async () => {
    const [block] = azBlocks('01-create-identity');
    expect(block).toContain('az identity create');
    const shown = lastJson<{ clientId: string; principalId: string }>(await blockOk(block ?? ''));
    expect(shown.clientId).toMatch(/^[0-9a-f-]{36}$/);
    expect(shown.principalId).toMatch(/^[0-9a-f-]{36}$/);
    await grade('01');
  }, 180_000);

  it("grants lab 02's Reader as its README writes it (az rest with Debian's az), then grader 02 passes", async () => {
    const [first = '', rest = ''] = azBlocks('02-grant-reader');
    expect(first).toContain('az role assignment create');
    expect(rest).toContain('az rest --method put');
    if (debian) {
      // Debian's azure-cli 2.45 breaks `az role assignment create` itself (its packaged
      // azure-mgmt-authorization does not match: "'RoleAssignmentsOperations' object has no
      // attribute 'config'"; under the hybrid profile --assignee-principal-type does not exist):
      // the README's first block fails there, and its az rest block is the way.
      const broken = await runBlock(first);
      expect(broken.code, "Debian's az role assignment create works now: lab 02's README and this test can say so").not.toBe(0);
      expect(broken.stderr).toMatch(/has no attribute 'config'|unrecognized argument/);
      // The values and PRINCIPAL lines of the first block, then the az rest block.
      const setup = first.split('\n').slice(0, 2).join('\n');
      const listed = lastJson<{ role: string; scope: string }[]>(await blockOk(`${setup}\n${rest}`));
      expect(listed.map((a) => [a.role.split('/').pop(), a.scope])).toEqual([[READER, `/subscriptions/${connection.subscriptionId}`]]);
    } else {
      await blockOk(first);
    }
    await grade('02');
  }, 180_000);

  it("runs lab 03's az block as written, then grader 03 passes", async () => {
    // `milab start` prepares lab 03 (the app's identity already on the VM), as a learner runs it.
    const started = await milab(['start'], base());
    expect(started.code, started.stderr).toBe(0);
    const [block = ''] = azBlocks('03-attach-to-vm');
    expect(block).toContain('az vm identity assign');
    const shown = lastJson<{ type: string; userAssignedIdentities: Record<string, unknown> }>(await blockOk(block));
    const ID = await azOk(['identity', 'show', '-n', `id-milab-${LEARNER}`, '-g', connection.resourceGroup, '--query', 'id', '-o', 'tsv']);
    expect(Object.keys(shown.userAssignedIdentities).map((id) => id.toLowerCase())).toEqual(expect.arrayContaining([ID.toLowerCase(), `${ID.toLowerCase()}-app`]));
    await grade('03');
  }, 180_000);

  it('signed in as the grader, az is refused every write with ARM\'s AuthorizationFailed', async () => {
    const grader = await milab(['emulator', 'az', '--as', 'grader'], base());
    expect(grader.code, grader.stderr).toBe(0);
    const env = parseExports(grader.stdout);
    expect(env.AZURE_CONFIG_DIR).toBe(join(home, 'emulator', 'az', 'grader'));
    const refused = await runAz(['identity', 'create', '-n', 'id-milab-nope', '-g', connection.resourceGroup, '-o', 'none'], env);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('AuthorizationFailed');
    // The learner's shell is still the learner's.
    const learner = await azOk(['account', 'show', '--query', 'user.name', '-o', 'tsv']);
    expect(learner).toBe(connection.principals.learner.clientId);
  }, 180_000);

  it('says what to do when az is missing or the emulator is not running', async () => {
    const [missing, stopped, help] = await Promise.all([
      milab(['emulator', 'az'], { ...base(), MILAB_AZ: join(home, 'no-az') }),
      milab(['emulator', 'az', '--state-dir', join(home, 'nothing')], base()),
      milab(['emulator', 'az', '--help'], base()),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('the az CLI is not installed');
    expect(missing.stderr).toContain("Debian/Ubuntu's (`sudo apt-get install azure-cli`, 2.45");
    expect(stopped.code).not.toBe(0);
    expect(stopped.stderr).toContain('The emulator is not running');
    expect(help.stdout).toContain('MilabEmulator');
    expect(help.stdout).toContain('--as <principal>');
  }, 120_000);
});
