// `milab vm list | env | exec`: run code "on" an emulated VM. Every emulated VM has its own IMDS
// on http://127.0.0.1:PORT; a process whose AZURE_POD_IDENTITY_AUTHORITY_HOST points there gets
// that VM's managed identity tokens, from curl, @milab/core or @azure/identity alike.
// The one difference from a real VM: ARM is the emulator's (https://127.0.0.1:PORT, its CA
// trusted through NODE_EXTRA_CA_CERTS, REQUESTS_CA_BUNDLE, SSL_CERT_FILE and CURL_CA_BUNDLE),
// not management.azure.com. With --az, MSI_ENDPOINT lets `az login --identity` sign in there.
import type { Command } from 'commander';
import { lazyAction } from '../run.js';

/** The actions, loaded when one runs: `milab --help` and the other commands never pay for them. */
const actions = () => import('./vm-actions.js');

/** `milab vm …`. */
export function registerVm(program: Command): void {
  const vm = program
    .command('vm')
    .enablePositionalOptions()
    .description("Run code \"on\" an emulated VM: each VM has its own IMDS on http://127.0.0.1, serving that VM's managed identities.");
  const stateDirHelp = 'emulator state directory (default: $MILAB_EMULATOR_DIR, $MILAB_HOME/emulator, or <repo>/.milab/emulator)';

  vm.command('list')
    .description('List the emulated VMs with their IMDS address and identities.')
    .option('--state-dir <dir>', stateDirHelp)
    .option('--json', 'machine-readable output')
    .action(lazyAction(actions, 'list'));

  vm.command('env')
    .argument('<vm>', 'VM name (or resourceGroup/name, or its ARM id)')
    .description(
      [
        'Print shell exports that put a process "on" the VM: eval "$(./milab vm env labvm)".',
        'Sets AZURE_POD_IDENTITY_AUTHORITY_HOST (the VM\'s IMDS), the emulator CA for every client (NODE_EXTRA_CA_CERTS and',
        'MILAB_EMULATOR_CA: the CA; REQUESTS_CA_BUNDLE, SSL_CERT_FILE, CURL_CA_BUNDLE: the system CAs plus the emulator\'s),',
        'AZURE_CONFIG_DIR (an az profile of the VM\'s own, not ~/.azure),',
        'AZURE_RESOURCE_MANAGER_ENDPOINT (the emulator\'s ARM: the one difference from a real VM), AZURE_SUBSCRIPTION_ID,',
        'AZURE_RESOURCE_GROUP, MILAB_TARGET=emulator and MILAB_VM_*; unsets AZURE_CLIENT_ID/SECRET/TENANT_ID and the other',
        'managed identity sources, as on a VM.',
      ].join('\n'),
    )
    .option('--state-dir <dir>', stateDirHelp)
    .option('--json', 'print the variables as a JSON object')
    .option('--az', 'also set MSI_ENDPOINT (the VM\'s IMDS answers it as Cloud Shell does), so `az login --identity` signs az in as the VM\'s managed identity; only for az: the SDKs would use it instead of IMDS')
    .addHelpText('after', ['', 'az on the VM (as on a real VM, with the emulator\'s ARM):', '  eval "$(./milab vm env labvm --az)"', '  az login --identity --username <client id of an identity on the VM> --allow-no-subscriptions', '  az group show -n DevTest'].join('\n'))
    .action(lazyAction(actions, 'env'));

  vm.command('exec')
    .argument('<vm>', 'VM name (or resourceGroup/name, or its ARM id)')
    .argument('[command...]', 'the command and its arguments, after --')
    .description(
      [
        'Run a command "on" the VM (with the environment of `milab vm env`); exits with its exit code. Example:',
        `  ./milab vm exec labvm -- sh -c 'curl -s -H Metadata:true "$AZURE_POD_IDENTITY_AUTHORITY_HOST/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/"'`,
        '(single quotes: the variable is the VM\'s, expanded inside the command, not by your shell).',
      ].join('\n'),
    )
    .option('--state-dir <dir>', stateDirHelp)
    .option('--az', 'also set MSI_ENDPOINT (the VM\'s IMDS answers it as Cloud Shell does), so `az login --identity` signs az in as the VM\'s managed identity; only for az: the SDKs would use it instead of IMDS')
    .passThroughOptions()
    .action(lazyAction(actions, 'exec'));
}
