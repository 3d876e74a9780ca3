// `milab vm list | env | exec`: run code "on" an emulated VM. Every emulated VM has its own IMDS
// on http://127.0.0.1:PORT; a process whose AZURE_POD_IDENTITY_AUTHORITY_HOST points there gets
// that VM's managed identity tokens, from curl, @milab/core or @azure/identity alike.
// The one difference from a real VM: ARM is the emulator's (https://127.0.0.1:PORT, its CA
// trusted through NODE_EXTRA_CA_CERTS, REQUESTS_CA_BUNDLE, SSL_CERT_FILE and CURL_CA_BUNDLE),
// not management.azure.com. With --az, MSI_ENDPOINT lets `az login --identity` sign in there.
// `milab container` (container.ts) registers the same three commands for container groups.
import type { Command } from 'commander';
import { lazyAction } from '../run.js';

/** What the `vm` and `container` commands say about themselves (the rest is shared). */
export interface HostCommandSpec {
  /** `vm`, `container`. */
  command: string;
  /** The command's own description. */
  description: string;
  /** `VM`, `container group`: in argument help. */
  noun: string;
  /** `on`, `in`. */
  on: 'on' | 'in';
  /** An example name (`labvm`, `ci-milab-<learner>`). */
  example: string;
  /** `MILAB_VM_*`, `MILAB_CONTAINER_GROUP_*`: the names the environment carries. */
  namesVar: string;
  /** How az signs in there, after --az. */
  azExample: string;
  /** Help of a `--container <name>` option of env and exec (container groups: whose variables to set). */
  containerOption?: string;
  /** The actions module (list, env, exec), loaded when one runs. */
  actions: () => Promise<{ list: (...args: never[]) => unknown; env: (...args: never[]) => unknown; exec: (...args: never[]) => unknown }>;
}

/** Registers `<command> list | env | exec` for VMs or container groups. */
export function registerHostCommands(program: Command, spec: HostCommandSpec): void {
  const { noun, on, example } = spec;
  const host = program.command(spec.command).enablePositionalOptions().description(spec.description);
  const stateDirHelp = 'emulator state directory (default: $MILAB_EMULATOR_DIR, $MILAB_HOME/emulator, or <repo>/.milab/emulator)';
  const azHelp = `also set MSI_ENDPOINT (the ${noun}'s IMDS answers it as Cloud Shell does), so \`az login --identity\` signs az in as the ${noun}'s managed identity; only for az: the SDKs would use it instead of IMDS`;
  const actions = spec.actions as () => Promise<Record<'list' | 'env' | 'exec', (...args: unknown[]) => unknown>>;

  host
    .command('list')
    .description(`List the emulated ${noun}s with their IMDS address and identities.`)
    .option('--state-dir <dir>', stateDirHelp)
    .option('--json', 'machine-readable output')
    .action(lazyAction(actions, 'list'));

  const env = host
    .command('env')
    .argument(`<${spec.command}>`, `${noun} name (or resourceGroup/name, or its ARM id)`)
    // The one line `milab ${spec.command} --help` lists; `env --help` says it all.
    .summary(`Print shell exports that put a process "${on}" the ${noun}.`)
    .description(
      [
        `Print shell exports that put a process "${on}" the ${noun}: eval "$(./milab ${spec.command} env ${example})".`,
        `Sets AZURE_POD_IDENTITY_AUTHORITY_HOST (the ${noun}'s IMDS), the emulator CA for every client (NODE_EXTRA_CA_CERTS and`,
        "MILAB_EMULATOR_CA: the CA; REQUESTS_CA_BUNDLE, SSL_CERT_FILE, CURL_CA_BUNDLE: the system CAs plus the emulator's),",
        `AZURE_CONFIG_DIR (an az profile of the ${noun}'s own, not ~/.azure),`,
        `AZURE_RESOURCE_MANAGER_ENDPOINT (the emulator's ARM: the one difference from Azure), AZURE_SUBSCRIPTION_ID,`,
        `AZURE_RESOURCE_GROUP, MILAB_TARGET=emulator and ${spec.namesVar}; unsets AZURE_CLIENT_ID/SECRET/TENANT_ID and the other`,
        `managed identity sources, as ${on} a real ${noun}.`,
      ].join('\n'),
    )
    .option('--state-dir <dir>', stateDirHelp)
    .option('--json', 'print the variables as a JSON object')
    .option('--az', azHelp)
    .addHelpText('after', ['', `az ${on} the ${noun} (as ${on} a real one, with the emulator's ARM):`, `  eval "$(./milab ${spec.command} env ${example} --az)"`, spec.azExample, '  az group show -n DevTest'].join('\n'))
    .action(lazyAction(actions, 'env'));

  const exec = host
    .command('exec')
    .argument(`<${spec.command}>`, `${noun} name (or resourceGroup/name, or its ARM id)`)
    .argument('[command...]', 'the command and its arguments, after --')
    .summary(`Run a command "${on}" the ${noun}, with its IMDS; exits with its exit code.`)
    .description(
      [
        `Run a command "${on}" the ${noun} (with the environment of \`milab ${spec.command} env\`); exits with its exit code. Example:`,
        `  ./milab ${spec.command} exec ${example} -- sh -c 'curl -s -H Metadata:true "$AZURE_POD_IDENTITY_AUTHORITY_HOST/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/"'`,
        `(single quotes: the variable is the ${noun}'s, expanded inside the command, not by your shell).`,
      ].join('\n'),
    )
    .option('--state-dir <dir>', stateDirHelp)
    .option('--az', azHelp)
    .passThroughOptions()
    .action(lazyAction(actions, 'exec'));
  if (spec.containerOption) for (const command of [env, exec]) command.option('--container <name>', spec.containerOption);
}

/** `milab vm …`. */
export function registerVm(program: Command): void {
  registerHostCommands(program, {
    command: 'vm',
    description: "Run code \"on\" an emulated VM: each VM has its own IMDS on http://127.0.0.1, serving that VM's managed identities.",
    noun: 'VM',
    on: 'on',
    example: 'labvm',
    namesVar: 'MILAB_VM_*',
    azExample: '  az login --identity --username <client id of an identity on the VM> --allow-no-subscriptions',
    actions: () => import('./vm-actions.js'),
  });
}
