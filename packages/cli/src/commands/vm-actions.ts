// The actions of `milab vm list | env | exec` (registered, with their options, in vm.ts), loaded
// only when one of them runs; `milab container list | env | exec` (container-actions.ts) is the
// same code for container groups, through a {@link HostKind}: a VM and a container group are
// both a place with its own IMDS where code runs with a managed identity.
import { spawn } from 'node:child_process';
import { EmulatorNotRunningError, MilabError } from '@milab/core';
import { defaultStateDir, parseConfig, readConnection, readWorld, prepareAzConfigDir, VM_UNSET_ENV, vmAzEnv, vmEndpoint, vmEnv, vmProcessEnv, writeCaBundle, type EmulatorConnection, type ResourceRecord, type VmEndpoint } from '@milab/emulator';
import { shellQuote } from './emulator-actions.js';

export interface VmOptions {
  stateDir?: string;
  json?: boolean;
  /** Also MSI_ENDPOINT, for `az login --identity` (vmAzEnv). */
  az?: boolean;
  /** The container of a group whose environment variables to set (default: its first). */
  container?: string;
}

/** Variables a place sets itself (a container's `environmentVariables`), and what to warn about. */
export interface OwnEnv {
  vars: Record<string, string>;
  warnings: string[];
}

export { VM_UNSET_ENV, vmEnv } from '@milab/emulator';

/** What differs between running code "on" a VM and "in" a container group. */
export interface HostKind {
  /** The CLI command (`vm`, `container`). */
  command: string;
  /** What one is called in messages: `VM`, `container group`. */
  noun: string;
  /** Plural, for "no … in the emulator". */
  nouns: string;
  /** Code runs "on" a VM, "in" a container group. */
  on: 'on' | 'in';
  /** The endpoints connection.json lists for this kind. */
  endpoints(connection: EmulatorConnection): Record<string, VmEndpoint>;
  /** The endpoint a name (or `resourceGroup/name`, or ARM id) means. */
  find(connection: EmulatorConnection, wanted: string): VmEndpoint | undefined;
  /** How to make one, for the not-found hint. */
  createHint: string;
  /** Error codes: not found, exec failed. */
  codes: { notFound: string; execFailed: string };
  /** What the place itself sets in its processes' environment (a container's variables), from its record in the world. */
  ownEnv?(record: ResourceRecord | undefined, options: VmOptions): OwnEnv;
}

export const VM_KIND: HostKind = {
  command: 'vm',
  noun: 'VM',
  nouns: 'VMs',
  on: 'on',
  endpoints: (connection) => connection.vms ?? {},
  find: vmEndpoint,
  createHint: 'create one with `az vm create` or the SDK against the emulator.',
  codes: { notFound: 'MILAB_VM_NOT_FOUND', execFailed: 'MILAB_VM_EXEC_FAILED' },
};

function stateDirOf(options: VmOptions): string {
  return options.stateDir ? parseConfig({ stateDir: options.stateDir, port: 0 }).stateDir : defaultStateDir();
}

function requireRunning(options: VmOptions): EmulatorConnection {
  const stateDir = stateDirOf(options);
  const connection = readConnection(stateDir);
  if (!connection) throw new EmulatorNotRunningError(stateDir);
  return connection;
}

/** The VM (or container group) a name, `resourceGroup/name` or ARM id means, or a MilabError naming the choices. */
export function findHost(kind: HostKind, connection: EmulatorConnection, wanted: string): VmEndpoint {
  const match = kind.find(connection, wanted);
  if (match) return match;
  const names = Object.keys(kind.endpoints(connection));
  throw new MilabError(`no ${kind.noun} named '${wanted}' in the emulator${names.length ? ` (it has: ${names.join(', ')})` : ' (it has none)'}.`, {
    code: kind.codes.notFound,
    hint: `\`./milab ${kind.command} list\` shows the ${kind.nouns}; ${kind.createHint}`,
    exitCode: 1,
  });
}

/** The place's own variables (none for a VM), read from the world it is in. */
function ownEnvOf(kind: HostKind, endpoint: VmEndpoint, options: VmOptions): OwnEnv {
  if (!kind.ownEnv) return { vars: {}, warnings: [] };
  const world = readWorld(stateDirOf(options));
  const record = world ? Object.values(world.resources).find((r) => r.id.toLowerCase() === endpoint.id.toLowerCase()) : undefined;
  return kind.ownEnv(record, options);
}

/** The VM a name (or `resourceGroup/name`, or ARM id) means, or a MilabError naming the choices. */
export function findVm(connection: EmulatorConnection, wanted: string): VmEndpoint {
  return findHost(VM_KIND, connection, wanted);
}

/** The whole environment of a child "on" `vm`: the parent's, minus sign-in secrets, plus the VM's. */
export const childEnv = vmProcessEnv;

function identityLabel(identity: { type: string; userAssignedIdentities?: Record<string, unknown> } | undefined): string {
  if (!identity) return 'none';
  const user = Object.keys(identity.userAssignedIdentities ?? {}).map((id) => id.split('/').pop());
  return user.length ? `${identity.type} (${user.join(', ')})` : identity.type;
}

/** `list` for either kind. */
export function listHosts(kind: HostKind, options: VmOptions): void {
  const connection = requireRunning(options);
  const world = readWorld(stateDirOf(options));
  const rows = Object.entries(kind.endpoints(connection)).flatMap(([key, vm]) => {
    const record = world ? Object.values(world.resources).find((r) => r.id.toLowerCase() === vm.id.toLowerCase()) : undefined;
    // Gone from the world but not yet from connection.json (a container group deleted with its
    // resource group: its listener closes at its next request): not listed.
    if (world && !record) return [];
    return [{ name: key, resourceGroup: vm.resourceGroup, identity: identityLabel(record?.identity), imdsUrl: vm.imdsUrl, id: vm.id }];
  });
  if (options.json) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  if (rows.length === 0) {
    console.log(`no ${kind.nouns} in the emulator.`);
    return;
  }
  const width = Math.max(4, ...rows.map((r) => r.name.length));
  const groupWidth = Math.max(14, ...rows.map((r) => r.resourceGroup.length));
  console.log(`${'NAME'.padEnd(width)}  ${'RESOURCE GROUP'.padEnd(groupWidth)}  ${'IMDS'.padEnd(22)}  IDENTITY`);
  for (const r of rows) console.log(`${r.name.padEnd(width)}  ${r.resourceGroup.padEnd(groupWidth)}  ${r.imdsUrl.padEnd(22)}  ${r.identity}`);
  console.log(`Run code ${kind.on} one: ./milab ${kind.command} exec NAME -- COMMAND (or: eval "$(./milab ${kind.command} env NAME)")`);
}

export function list(options: VmOptions): void {
  listHosts(VM_KIND, options);
}

/** `env` for either kind. */
export function envOf(kind: HostKind, name: string, options: VmOptions): void {
  const connection = requireRunning(options);
  const vm = findHost(kind, connection, name);
  const own = ownEnvOf(kind, vm, options);
  for (const warning of own.warnings) console.error(`milab: warning: ${warning}`);
  const vars = { ...vmEnv(connection, vm), ...(options.az ? vmAzEnv(connection, vm) : {}), ...own.vars };
  prepareAzConfigDir(vars.AZURE_CONFIG_DIR ?? '');
  try {
    writeCaBundle(connection);
  } catch (error) {
    console.error(`milab: warning: could not write ${vars.SSL_CERT_FILE} (${(error as Error).message}); Python, curl and OpenSSL tools on the ${kind.noun} will not trust the emulator.`);
  }
  if (options.json) {
    console.log(JSON.stringify(vars, null, 2));
    return;
  }
  console.log(`# ${kind.on} emulated ${kind.noun} ${vm.name} (${vm.resourceGroup}): its IMDS is ${vm.imdsUrl}; ARM is the emulator's at ${vars.AZURE_RESOURCE_MANAGER_ENDPOINT}`);
  console.log(`unset ${VM_UNSET_ENV.join(' ')}`);
  for (const [key, value] of Object.entries(vars)) console.log(`export ${key}=${shellQuote(value)}`);
}

export function env(name: string, options: VmOptions): void {
  envOf(VM_KIND, name, options);
}

/** `exec` for either kind. */
export async function execIn(kind: HostKind, name: string, command: string[], options: VmOptions): Promise<void> {
  const connection = requireRunning(options);
  const vm = findHost(kind, connection, name);
  const where = `${kind.on} ${kind.noun} ${vm.name}`;
  // `exec --state-dir D labvm -- cmd`: an option before the VM name leaves the `--` in the command
  // (commander passes everything after the first argument through); it separates, it is no command.
  const [program, ...args] = command[0] === '--' ? command.slice(1) : command;
  if (!program) {
    throw new MilabError(`no command given to run ${kind.on} the ${kind.noun}.`, {
      code: 'MILAB_USAGE',
      hint: `For example: ./milab ${kind.command} exec ${vm.name} -- sh -c 'curl -s -H Metadata:true "$AZURE_POD_IDENTITY_AUTHORITY_HOST/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/"'`,
      exitCode: 1,
    });
  }
  if (command.some((arg) => arg.startsWith('/metadata/'))) {
    // `curl "$AZURE_POD_IDENTITY_AUTHORITY_HOST/metadata/…"` in double quotes: the calling shell
    // expanded the variable (empty there) before milab could set it.
    console.error(
      `milab: warning: an argument starts with /metadata/: your shell expanded $AZURE_POD_IDENTITY_AUTHORITY_HOST before the ${kind.noun}'s was set. ` +
        `Wrap the command in sh -c '…' (single quotes), or run eval "$(./milab ${kind.command} env ${vm.name})" first.`,
    );
  }
  const own = ownEnvOf(kind, vm, options);
  for (const warning of own.warnings) console.error(`milab: warning: ${warning}`);
  const env = { ...childEnv(process.env, connection, vm), ...(options.az ? vmAzEnv(connection, vm) : {}), ...own.vars };
  const child = spawn(program, args, { stdio: 'inherit', env });
  const forward = (signal: NodeJS.Signals) => () => {
    child.kill(signal);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const handlers = signals.map((signal) => [signal, forward(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  try {
    const outcome = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    if (outcome.signal) {
      // Exit as the child did: 128 + the signal's number, as shells report it.
      const numbers: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
      process.exitCode = 128 + (numbers[outcome.signal] ?? 1);
    } else {
      process.exitCode = outcome.code ?? 1;
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new MilabError(`could not run '${program}' ${where}: ${code === 'ENOENT' ? 'command not found' : (error as Error).message}.`, {
      code: kind.codes.execFailed,
      hint: 'Check the command name and your PATH; put the command after `--`.',
      exitCode: 127,
    });
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  }
}

export async function exec(name: string, command: string[], options: VmOptions): Promise<void> {
  await execIn(VM_KIND, name, command, options);
}
