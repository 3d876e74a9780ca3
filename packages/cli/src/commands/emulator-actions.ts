// The actions of `milab emulator start | stop | status | reset | env | log` (registered, with their
// options, in emulator.ts), loaded only when one of them runs.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { EmulatorNotRunningError, MilabError } from '@milab/core';
import {
  ADMIN_KEY_HEADER,
  ADMIN_RESET_PATH,
  AUDIT_FILE,
  clearAudit,
  ConfigError,
  createEmulator,
  defaultStateDir,
  EmulatorStartError,
  LaunchError,
  parseConfig,
  PRINCIPAL_NAMES,
  PROCESS_LOG_FILE,
  readAudit,
  readConnection,
  readWorld,
  azConfigDir,
  caEnv,
  prepareAzConfigDir,
  writeCaBundle,
  startDetached,
  StateFileError,
  stopEmulator,
  writeSeededWorld,
  type EmulatorConnection,
  type PrincipalName,
} from '@milab/emulator';
import type { ProfileOptions } from './profile.js';

export { PRINCIPAL_NAMES };

const START_HINT = 'Start it with `./milab emulator start --detach`.';

interface StateDirOption {
  stateDir?: string;
}

function stateDirOf(options: StateDirOption): string {
  return options.stateDir ? parseConfig({ stateDir: options.stateDir, port: 0 }).stateDir : defaultStateDir();
}

function requireRunning(stateDir: string): EmulatorConnection {
  const connection = readConnection(stateDir);
  if (!connection) throw new EmulatorNotRunningError(stateDir);
  return connection;
}

function configError(error: unknown): never {
  if (error instanceof ConfigError) {
    // A value from the environment names the variable: no flag was given.
    const hint = error.envVar
      ? `Set ${error.envVar} to a valid value, or unset it: \`unset ${error.envVar}\`.`
      : `Check --${error.option} (see \`./milab emulator start --help\`).`;
    throw new MilabError(error.message, { code: 'MILAB_CONFIG_INVALID', hint, exitCode: 1 });
  }
  throw error;
}

/** Single-quotes a value for POSIX shells. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The environment variables with which Azure tools sign in to the emulator as `name`: the SDKs'
 * sign-in, the emulator's endpoints, the CA for every kind of client (caEnv), and az's own
 * profile for `name` (AZURE_CONFIG_DIR, signed in by `milab emulator az`), so that az in this
 * shell never uses ~/.azure (which ARM_CLOUD_METADATA_URL would otherwise rewrite).
 */
export function emulatorEnv(connection: EmulatorConnection, name: PrincipalName): Record<string, string> {
  const principal = connection.principals[name];
  return {
    AZURE_TENANT_ID: connection.tenantId,
    AZURE_CLIENT_ID: principal.clientId,
    AZURE_CLIENT_SECRET: principal.clientSecret,
    AZURE_AUTHORITY_HOST: connection.authorityHost ?? connection.url,
    AZURE_SUBSCRIPTION_ID: connection.subscriptionId,
    AZURE_RESOURCE_GROUP: connection.resourceGroup,
    AZURE_RESOURCE_MANAGER_ENDPOINT: connection.armEndpoint ?? connection.url,
    ARM_CLOUD_METADATA_URL: connection.metadataUrl ?? `${connection.url}/metadata/endpoints?api-version=2022-09-01`,
    ...caEnv(connection),
    AZURE_CONFIG_DIR: azConfigDir(connection, name),
  };
}

/** The seeded principal `--as` names, or a MilabError listing them. */
export function parsePrincipal(value: string, command = 'emulator env'): PrincipalName {
  const name = value.toLowerCase() as PrincipalName;
  if (!PRINCIPAL_NAMES.includes(name)) {
    throw new MilabError(`unknown principal '${value}': expected one of ${PRINCIPAL_NAMES.join(', ')}.`, {
      code: 'MILAB_USAGE',
      hint: `For example: \`./milab ${command} --as grader\`.`,
      exitCode: 1,
    });
  }
  return name;
}

function parseLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new MilabError(`invalid --limit '${value}': expected a whole number of 1 or more.`, { code: 'MILAB_USAGE', hint: 'For example: `--limit 20`.', exitCode: 1 });
  }
  return n;
}

function summary(stateDir: string): Record<string, unknown> {
  const world = readWorld(stateDir);
  if (!world) return {};
  const resources = Object.values(world.resources);
  const identities = resources.filter((r) => r.type === 'Microsoft.ManagedIdentity/userAssignedIdentities');
  const vms = resources.filter((r) => r.type === 'Microsoft.Compute/virtualMachines');
  return {
    tenantId: world.tenantId,
    subscriptions: Object.values(world.subscriptions).map((s) => s.subscriptionId),
    resourceGroups: Object.values(world.resourceGroups).map((g) => g.name),
    userAssignedIdentities: identities.map((i) => i.name),
    virtualMachines: vms.map((v) => ({ name: v.name, identity: v.identity?.type ?? 'None' })),
    roleAssignments: Object.keys(world.roleAssignments).length,
    principals: Object.keys(world.principals).length,
  };
}

export async function start(options: { detach?: boolean; port?: string; stateDir?: string; rbacDelay?: string } & ProfileOptions): Promise<void> {
  const profile = { latency: options.latency, throttle: options.throttle, imdsFaults: options.imdsFaults, imdsLimits: options.imdsLimits };
  let config;
  try {
    config = parseConfig({ stateDir: options.stateDir, port: options.port, rbacDelaySeconds: options.rbacDelay, profile });
  } catch (error) {
    configError(error);
  }
  const running = readConnection(config.stateDir);
  if (running) {
    throw new MilabError(`the emulator is already running at ${running.url} (pid ${running.pid}, state ${config.stateDir}).`, {
      code: 'MILAB_EMULATOR_ALREADY_RUNNING',
      hint: 'Use it as it is, or stop it first with `./milab emulator stop`.',
      exitCode: 2,
    });
  }
  const started = Date.now();
  if (options.detach) {
    let connection: EmulatorConnection;
    try {
      connection = await startDetached({ stateDir: config.stateDir, port: config.port, rbacDelaySeconds: config.rbacDelaySeconds, profile });
    } catch (error) {
      if (error instanceof LaunchError) {
        const detail = error.logTail ? `\n${error.logTail}` : '';
        // Exit code 2: the emulator refused (another one serves the directory, or a state file
        // is corrupt); its own words, in the tail, say why and what to do.
        const log = join(config.stateDir, PROCESS_LOG_FILE);
        throw new MilabError(`${error.message}.${detail}`, {
          code: 'MILAB_EMULATOR_START_FAILED',
          hint: error.exitCode === 2 ? `See ${log}.` : `See ${log}; if the port is taken, pass --port N (or set MILAB_EMULATOR_PORT).`,
          exitCode: 2,
        });
      }
      throw error;
    }
    console.log(`milab emulator serving at ${connection.url} (pid ${connection.pid}, ready in ${Date.now() - started} ms, state ${config.stateDir})`);
    console.log('Sign in from a shell:  eval "$(./milab emulator env --as learner)"');
    console.log('The az CLI:            eval "$(./milab emulator az --as learner)"');
    return;
  }
  let emulator: ReturnType<typeof createEmulator>;
  let url: string;
  try {
    emulator = createEmulator(config);
    url = await emulator.listen();
  } catch (error) {
    if (error instanceof StateFileError) {
      throw new MilabError(`could not start the emulator: ${error.summary}.`, { code: 'MILAB_EMULATOR_STATE_CORRUPT', hint: `${error.waysOut}.`, exitCode: 2 });
    }
    if (error instanceof EmulatorStartError) {
      throw new MilabError(`could not start the emulator: ${error.message}.`, {
        code: error.code === 'PortInUse' ? 'MILAB_PORT_IN_USE' : 'MILAB_EMULATOR_ALREADY_RUNNING',
        hint: error.code === 'PortInUse' ? 'Pass --port N (or set MILAB_EMULATOR_PORT), or stop what uses the port.' : 'Stop it with `./milab emulator stop`.',
        exitCode: 2,
      });
    }
    throw error;
  }
  console.log(`milab emulator serving at ${url} (pid ${process.pid}, ready in ${Date.now() - started} ms, state ${config.stateDir}); Ctrl-C stops it`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      void emulator.close().then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  console.log('milab emulator stopped');
}

export async function stop(options: StateDirOption): Promise<void> {
  const stateDir = stateDirOf(options);
  const stopped = await stopEmulator(stateDir);
  if (!stopped) {
    console.log(`the emulator is not running (state ${stateDir}); nothing to stop.`);
    return;
  }
  console.log(`stopped the emulator at ${stopped.url} (pid ${stopped.pid})`);
}

export function status(options: StateDirOption & { json?: boolean }): void {
  const stateDir = stateDirOf(options);
  const connection = readConnection(stateDir);
  const world = summary(stateDir);
  if (options.json) {
    const out: Record<string, unknown> = { running: Boolean(connection), stateDir };
    if (connection) Object.assign(out, { url: connection.url, pid: connection.pid, startedAt: connection.startedAt, caFile: connection.caFile });
    out.world = world;
    console.log(JSON.stringify(out, null, 2));
    return;
  }
  if (connection) console.log(`running at ${connection.url} (pid ${connection.pid}, since ${connection.startedAt})`);
  else console.log(`not running. ${START_HINT}`);
  console.log(`state directory: ${stateDir}`);
  if (Object.keys(world).length === 0) {
    console.log('world: not created yet (it is seeded on first start)');
    return;
  }
  const vms = (world.virtualMachines as { name: string; identity: string }[]).map((v) => `${v.name} (identity: ${v.identity})`);
  console.log(`tenant: ${world.tenantId as string}`);
  console.log(`subscription: ${(world.subscriptions as string[]).join(', ')}`);
  console.log(`resource groups: ${(world.resourceGroups as string[]).join(', ') || 'none'}`);
  console.log(`user-assigned identities: ${(world.userAssignedIdentities as string[]).join(', ') || 'none'}`);
  console.log(`virtual machines: ${vms.join(', ') || 'none'}`);
  console.log(`role assignments: ${world.roleAssignments as number}; service principals: ${world.principals as number}`);
}

export async function reset(options: StateDirOption): Promise<void> {
  const stateDir = stateDirOf(options);
  const connection = readConnection(stateDir);
  if (!connection) {
    // A state file the emulator refused is put aside (as <file>.corrupt) and made anew.
    for (const file of writeSeededWorld(stateDir)) console.log(`${file} was not usable: kept as ${file}.corrupt, replaced by a new one`);
    // The audit log (and its rotated file) starts over with the world.
    clearAudit(stateDir);
    console.log(`reset ${stateDir} to the seeded world (the emulator is not running; secrets, keys and certificates kept)`);
    return;
  }
  if (!connection.adminKey) {
    throw new MilabError('the running emulator does not accept reset requests (it is older than this CLI).', {
      code: 'MILAB_EMULATOR_RESET_FAILED',
      hint: 'Stop it with `./milab emulator stop`, then run `./milab emulator reset` again.',
      exitCode: 1,
    });
  }
  const statusCode = await new Promise<number>((resolve, reject) => {
    const req = request(
      `${connection.url}${ADMIN_RESET_PATH}`,
      { method: 'POST', headers: { [ADMIN_KEY_HEADER]: connection.adminKey }, ca: readFileSync(connection.caFile, 'utf8') },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
  if (statusCode !== 200) {
    throw new MilabError(`the emulator refused the reset (HTTP ${statusCode}).`, {
      code: 'MILAB_EMULATOR_RESET_FAILED',
      hint: 'Stop it with `./milab emulator stop`, then run `./milab emulator reset` again.',
      exitCode: 1,
    });
  }
  console.log(`reset the emulator at ${connection.url} to the seeded world (secrets, keys and certificates kept)`);
}

export function env(options: StateDirOption & { as: string; json?: boolean }): void {
  const name = parsePrincipal(options.as);
  const stateDir = stateDirOf(options);
  const connection = requireRunning(stateDir);
  const vars = emulatorEnv(connection, name);
  prepareAzConfigDir(vars.AZURE_CONFIG_DIR ?? '');
  try {
    writeCaBundle(connection);
  } catch (error) {
    console.error(`milab: warning: could not write ${vars.SSL_CERT_FILE} (${(error as Error).message}); Python, curl and OpenSSL tools will not trust the emulator. Restart it: \`./milab emulator stop && ./milab emulator start --detach\`.`);
  }
  if (options.json) {
    console.log(JSON.stringify(vars, null, 2));
    return;
  }
  console.log(`# milab emulator at ${connection.url}, signed in as ${name} (${connection.principals[name].displayName}); az: eval "$(./milab emulator az --as ${name})"`);
  for (const [key, value] of Object.entries(vars)) console.log(`export ${key}=${shellQuote(value)}`);
}

export function log(options: StateDirOption & { principal?: string; json?: boolean; limit?: string }): void {
  const stateDir = stateDirOf(options);
  const query: { principal?: string; limit?: number } = {};
  if (options.principal) query.principal = options.principal;
  if (options.limit !== undefined) query.limit = parseLimit(options.limit);
  const entries = readAudit(stateDir, query);
  if (options.json) {
    console.log(JSON.stringify(entries, null, 2));
    return;
  }
  if (entries.length === 0) {
    const who = options.principal ? ` by '${options.principal}'` : '';
    console.log(`no ARM calls${who} recorded in ${join(stateDir, AUDIT_FILE)}`);
    return;
  }
  for (const e of entries) {
    const error = e.error ? ` ${e.error}` : '';
    console.log(`${e.time}  ${e.principal.padEnd(12)} ${e.method.padEnd(6)} ${e.status}${error}  ${e.path}`);
  }
}
