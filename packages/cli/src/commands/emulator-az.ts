// `milab emulator az [--as learner|grader|instructor]`: signs the az CLI in to the emulator in a
// profile of its own (AZURE_CONFIG_DIR = <state>/az/<principal>, never ~/.azure) and prints the
// exports with which a shell's az uses it. Steps, each one az run:
//   1. `az cloud register` the emulator as the cloud `MilabEmulator` (its ARM; its login at the
//      emulator's AD FS-style /adfs door, where MSAL Python makes no call to
//      login.microsoftonline.com: see packages/emulator/src/entra/handlers.ts), with the API
//      profile that az's own packages can run (Debian's 2.45: 2020-09-01-hybrid, see below);
//   2. `az cloud set` to it (both skipped when the profile has them: az takes ~1 s per run);
//   3. `az login --service-principal` as the principal. The secret goes through az's stdin
//      (`-p @-`: az reads an argument given as `@-` from stdin), never on a command line.
// The CA: az's requests trust REQUESTS_CA_BUNDLE and its urllib SSL_CERT_FILE, both the bundle
// of the system's CAs plus the emulator's (writeCaBundle).
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { EmulatorNotRunningError, MilabError } from '@milab/core';
import { azConfigDir, caEnv, defaultStateDir, EMULATOR_CLOUD_NAME, parseConfig, readConnection, writeCaBundle, type EmulatorConnection, type PrincipalName } from '@milab/emulator';
import { emulatorEnv, parsePrincipal, shellQuote } from './emulator-actions.js';

/** The audience az asks tokens for (the cloud's active_directory_resource_id), as on Azure. */
const ARM_AUDIENCE = 'https://management.core.windows.net/';

/**
 * The API profile of Debian's azure-cli package (2.45): its `latest` profile asks
 * azure-mgmt-compute for 2022-11-01, which Debian's package does not have ("API version
 * 2022-11-01 does not have operation group 'virtual_machines'"), so every `az vm` command fails;
 * the hybrid profile's 2020-06-01 is there. (Its `az role assignment create` fails under both:
 * "'RoleAssignmentsOperations' object has no attribute 'config'", a packaging bug.)
 */
export const DEBIAN_AZ_PROFILE = '2020-09-01-hybrid';

/** What to say when az is missing or broken: the versions that work. */
export const AZ_VERSIONS_HINT =
  "Install the az CLI: Microsoft's package (https://learn.microsoft.com/cli/azure/install-azure-cli-linux; every command of labs 01-03 works) " +
  "or Debian/Ubuntu's (`sudo apt-get install azure-cli`, 2.45: labs 01 and 03 work, lab 02's `az role assignment create` is broken there: use the README's `az rest` line).";

/** Variables the az children and the user's shell get besides the CA: no telemetry upload (offline). */
const AZ_QUIET_ENV = { AZURE_CORE_COLLECT_TELEMETRY: 'false', AZURE_CORE_SURVEY_MESSAGE: 'false' };

/** The az executable on PATH (or $MILAB_AZ), or `undefined`. */
export function findAz(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const explicit = env.MILAB_AZ?.trim();
  const candidates = explicit ? [explicit] : (env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'az'));
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not there, or not executable: the next one
    }
  }
  return undefined;
}

/**
 * Whether `az` is Debian's azure-cli package: a Python script run by the system's python3 from
 * /usr/lib/python3/dist-packages (Microsoft's package is a shell script running its own Python in
 * /opt/az).
 */
export function isDebianAz(az: string): boolean {
  try {
    const head = readFileSync(realpathSync(az), 'utf8').slice(0, 200);
    return /^#!\S*python3/.test(head) && existsSync('/usr/lib/python3/dist-packages/azure/cli/core/__init__.py');
  } catch {
    return false;
  }
}

/** The cloud's section of az's clouds.config (an INI file, one section per cloud), if there is one. */
function registeredCloud(configDir: string): Record<string, string> | undefined {
  let text: string;
  try {
    text = readFileSync(join(configDir, 'clouds.config'), 'utf8');
  } catch {
    return undefined;
  }
  let section: Record<string, string> | undefined;
  for (const line of text.split(/\r?\n/)) {
    const header = /^\[(.+)\]\s*$/.exec(line);
    if (header) {
      if (section) break;
      if (header[1] === EMULATOR_CLOUD_NAME) section = {};
      continue;
    }
    const pair = /^([^=\s]+)\s*=\s*(.*)$/.exec(line);
    if (section && pair) section[pair[1] ?? ''] = (pair[2] ?? '').trim();
  }
  return section;
}

/** Whether the cloud is az's active one in the profile (its `config` file's `[cloud] name`). */
function cloudActive(configDir: string): boolean {
  try {
    return new RegExp(`^\\[cloud\\][^[]*^name\\s*=\\s*${EMULATOR_CLOUD_NAME}\\s*$`, 'm').test(readFileSync(join(configDir, 'config'), 'utf8'));
  } catch {
    return false;
  }
}

interface AzRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs az with `args` (never a secret: `input` goes to its stdin). */
function runAz(az: string, args: string[], env: NodeJS.ProcessEnv, input = ''): Promise<AzRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(az, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** The last lines of az's error output, without anything that looks like the secret. */
function azError(run: AzRun, secret: string): string {
  const lines = run.stderr
    .split('\n')
    .map((line) => (secret ? line.split(secret).join('<secret>') : line).trimEnd())
    .filter((line) => line && !line.startsWith('WARNING: '));
  return lines.slice(-4).join('\n  ') || `exit code ${run.code}`;
}

export interface AzSession {
  /** The exports for the shell (no secret). */
  vars: Record<string, string>;
  configDir: string;
  profile: string;
  debianAz: boolean;
  subscriptionId: string;
}

/** The environment of az in `configDir`: the caller's, minus what would steer it elsewhere. */
function azChildEnv(parent: NodeJS.ProcessEnv, vars: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...parent, ...vars };
  // With ARM_CLOUD_METADATA_URL set, az's known clouds come from it and `az cloud register` of the
  // same name fails; the registered cloud is what the profile keeps.
  delete env.ARM_CLOUD_METADATA_URL;
  // az reads no AZURE_CLIENT_SECRET itself; keep the secret out of its environment anyway.
  delete env.AZURE_CLIENT_SECRET;
  return env;
}

/**
 * Registers the emulator as an az cloud in `<state>/az/<name>` and signs az in there as `name`.
 * Throws MilabErrors naming what failed and the next step.
 */
export async function signInAz(connection: EmulatorConnection, name: PrincipalName, options: { az?: string; profile?: string; env?: NodeJS.ProcessEnv } = {}): Promise<AzSession> {
  const parent = options.env ?? process.env;
  const az = options.az ?? findAz(parent);
  if (!az) {
    throw new MilabError('the az CLI is not installed (no `az` on PATH, and MILAB_AZ is not set).', { code: 'MILAB_AZ_MISSING', hint: AZ_VERSIONS_HINT, exitCode: 2 });
  }
  const debianAz = isDebianAz(az);
  const profile = options.profile ?? (debianAz ? DEBIAN_AZ_PROFILE : 'latest');
  const configDir = azConfigDir(connection, name);
  // The profile is kept from one run to the next (az rebuilds its command index, seconds, in a new
  // one); the cloud's endpoints are written again each time: the emulator's port may have changed.
  mkdirSync(configDir, { recursive: true, mode: 0o700 });
  writeCaBundle(connection, parent);
  const vars = azShellEnv(connection, name);
  const env = azChildEnv(parent, vars);
  const principal = connection.principals[name];
  const secret = principal.clientSecret;
  const arm = `${(connection.armEndpoint ?? connection.url).replace(/\/+$/, '')}/`;
  const login = `${(connection.authorityHost ?? connection.url).replace(/\/+$/, '')}/adfs`;

  const step = async (what: string, args: string[], input = ''): Promise<AzRun> => {
    let run: AzRun;
    try {
      run = await runAz(az, args, env, input);
    } catch (error) {
      throw new MilabError(`could not run ${az}: ${(error as Error).message}.`, { code: 'MILAB_AZ_MISSING', hint: AZ_VERSIONS_HINT, exitCode: 2 });
    }
    if (run.code !== 0) {
      throw new MilabError(`az could not ${what}:\n  ${azError(run, secret)}`, {
        code: 'MILAB_AZ_FAILED',
        hint: `Run it again; if it fails the same way, check the emulator (\`./milab emulator status\`) and your az (\`az version\`). ${AZ_VERSIONS_HINT}`,
        exitCode: 1,
      });
    }
    return run;
  };

  const registered = registeredCloud(configDir);
  const current = registered?.endpoint_resource_manager === arm && registered.endpoint_active_directory === login && registered.profile === profile;
  if (!current) await step(`${registered ? 'update' : 'register'} the emulator as the cloud ${EMULATOR_CLOUD_NAME}`, [
    'cloud', registered ? 'update' : 'register', '--name', EMULATOR_CLOUD_NAME,
    '--endpoint-resource-manager', arm,
    '--endpoint-active-directory', login,
    '--endpoint-active-directory-resource-id', ARM_AUDIENCE,
    '--endpoint-management', ARM_AUDIENCE,
    '--profile', profile,
    '--only-show-errors',
  ]);
  if (!cloudActive(configDir)) await step(`switch to the cloud ${EMULATOR_CLOUD_NAME}`, ['cloud', 'set', '--name', EMULATOR_CLOUD_NAME, '--only-show-errors']);
  const signedIn = await step(
    `sign in as ${name} (${principal.displayName})`,
    ['login', '--service-principal', '--username', principal.clientId, '--password', '@-', '--tenant', connection.tenantId, '--only-show-errors', '--output', 'json'],
    secret,
  );
  let subscriptionId = connection.subscriptionId;
  try {
    const subscriptions = JSON.parse(signedIn.stdout) as { id: string; isDefault?: boolean }[];
    subscriptionId = subscriptions.find((s) => s.isDefault)?.id ?? subscriptions[0]?.id ?? subscriptionId;
  } catch {
    // az printed no JSON: the emulator's subscription is the one
  }
  return { vars, configDir, profile, debianAz, subscriptionId };
}

/**
 * The exports of a shell whose az is signed in to the emulator as `name`: the profile, the CA
 * for every client, the emulator's names, and no secret (`emulator env` prints those for SDKs).
 */
export function azShellEnv(connection: EmulatorConnection, name: PrincipalName): Record<string, string> {
  const { AZURE_CLIENT_SECRET: _secret, AZURE_CLIENT_ID: _client, ARM_CLOUD_METADATA_URL: _metadata, ...rest } = emulatorEnv(connection, name);
  return { ...rest, ...caEnv(connection), AZURE_CONFIG_DIR: azConfigDir(connection, name), ...AZ_QUIET_ENV };
}

function stateDirOf(options: { stateDir?: string }): string {
  return options.stateDir ? parseConfig({ stateDir: options.stateDir, port: 0 }).stateDir : defaultStateDir();
}

/** The action of `milab emulator az`. */
export async function azAction(options: { as: string; stateDir?: string; profile?: string; json?: boolean }): Promise<void> {
  const name = parsePrincipal(options.as, 'emulator az');
  const stateDir = stateDirOf(options);
  const connection = readConnection(stateDir);
  if (!connection) throw new EmulatorNotRunningError(stateDir);
  const session = await signInAz(connection, name, { profile: options.profile });
  if (options.json) {
    console.log(JSON.stringify(session.vars, null, 2));
    return;
  }
  const principal = connection.principals[name];
  console.log(`# az signed in to the milab emulator at ${connection.url} as ${name} (${principal.displayName}), cloud ${EMULATOR_CLOUD_NAME}, profile ${session.profile}`);
  console.log(`# subscription ${session.subscriptionId}; az's own profile here, not ~/.azure: ${session.configDir}`);
  if (session.debianAz) console.log("# Debian's azure-cli 2.45: `az role assignment create` is broken there (lab 02: use the README's `az rest` line)");
  // Another principal's secret from an earlier `emulator env` would steer the SDKs elsewhere.
  console.log('unset AZURE_CLIENT_ID AZURE_CLIENT_SECRET ARM_CLOUD_METADATA_URL');
  for (const [key, value] of Object.entries(session.vars)) console.log(`export ${key}=${shellQuote(value)}`);
}
