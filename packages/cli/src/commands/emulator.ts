// `milab emulator start | stop | status | reset | env | log`: run the local Azure and hand out
// what tools need to use it. Errors are MilabErrors (message, hint, exit code) for runMain to print.
import type { Command } from 'commander';
import { beforeParsing, lazyAction } from '../run.js';
import { PROFILE_FLAG_HELP, registerProfile } from './profile.js';

/** The actions, loaded when one runs: `milab --help` and the other commands never pay for them. */
const actions = () => import('./emulator-actions.js');
const azActions = () => import('./emulator-az.js');

/** `milab emulator …`. */
export function registerEmulator(program: Command): void {
  const emulator = program
    .command('emulator')
    .description('Run the embedded emulator: a local Azure (Entra and ARM with RBAC) on https://127.0.0.1.');
  const stateDirHelp = 'state directory (default: $MILAB_EMULATOR_DIR, $MILAB_HOME/emulator, or <repo>/.milab/emulator)';

  emulator
    .command('start')
    .description('Start the emulator (foreground, or in the background with --detach).')
    .option('-d, --detach', 'run in the background; returns once it is serving')
    .option('-p, --port <port>', 'HTTPS port on 127.0.0.1 (default: $MILAB_EMULATOR_PORT or 8443; 0 picks a free one)')
    .option('--state-dir <dir>', stateDirHelp)
    .option('--rbac-delay <seconds>', 'RBAC propagation delay: role assignments take effect this many seconds after they are made (default 0)')
    .option('--latency <spec>', PROFILE_FLAG_HELP.latency)
    .option('--throttle <spec>', PROFILE_FLAG_HELP.throttle)
    .option('--imds-faults <spec>', PROFILE_FLAG_HELP.imdsFaults)
    .option('--imds-limits <spec>', PROFILE_FLAG_HELP.imdsLimits)
    .action(lazyAction(actions, 'start'));

  emulator.command('stop').description('Stop an emulator started with --detach.').option('--state-dir <dir>', stateDirHelp).action(lazyAction(actions, 'stop'));

  emulator
    .command('status')
    .description('Say whether the emulator is up, where, and what is in it.')
    .option('--state-dir <dir>', stateDirHelp)
    .option('--json', 'machine-readable output')
    .action(lazyAction(actions, 'status'));

  emulator
    .command('reset')
    .description('Return to the seeded world (running or not); client secrets, keys and certificates are kept.')
    .option('--state-dir <dir>', stateDirHelp)
    .action(lazyAction(actions, 'reset'));

  const env = emulator
    .command('env')
    .description(
      'Print shell exports with which Azure tools sign in to the emulator: eval "$(./milab emulator env)". ' +
        "The SDKs' sign-in (AZURE_CLIENT_ID/SECRET/TENANT_ID, AZURE_AUTHORITY_HOST), the emulator's ARM, and its CA for " +
        "Node (NODE_EXTRA_CA_CERTS), Python requests (REQUESTS_CA_BUNDLE), OpenSSL tools (SSL_CERT_FILE) and curl (CURL_CA_BUNDLE): " +
        "the last three replace their store, so they get the system CAs plus the emulator's. For az: `./milab emulator az`.",
    )
    .option('--as <principal>', 'seeded principal to sign in as', 'learner')
    .option('--state-dir <dir>', stateDirHelp)
    .option('--json', 'print the variables as a JSON object')
    .action(lazyAction(actions, 'env'));

  const az = emulator
    .command('az')
    .description(
      'Sign the az CLI in to the emulator and print the exports for your shell: eval "$(./milab emulator az)". ' +
        'Registers the emulator as the az cloud MilabEmulator in a profile of its own (AZURE_CONFIG_DIR in the emulator\'s state ' +
        'directory: ~/.azure is never read or written), trusts its CA (REQUESTS_CA_BUNDLE and SSL_CERT_FILE: the system CAs plus the ' +
        "emulator's), and runs `az login --service-principal` as the principal (the secret goes to az on its stdin, never on a command " +
        "line). Works with Microsoft's azure-cli and Debian's 2.45 (there, lab 02's `az role assignment create` is broken: use the " +
        "README's `az rest` line). Takes a few seconds: az starts up to three times.",
    )
    .option('--as <principal>', 'seeded principal to sign in as', 'learner')
    .option('--profile <profile>', "az API profile of the cloud (default: latest; 2020-09-01-hybrid for Debian's azure-cli, whose latest profile cannot run az vm)")
    .option('--state-dir <dir>', stateDirHelp)
    .option('--json', 'print the variables as a JSON object')
    .addHelpText('after', ['', 'Examples:', '  eval "$(./milab emulator az)"              # az as the learner', '  eval "$(./milab emulator az --as grader)"  # read-only: every write is refused', '  az identity list -g DevTest -o table'].join('\n'))
    .action(lazyAction(azActions, 'azAction'));

  emulator
    .command('log')
    .description('Show the audit log of ARM calls (time, principal, method, status, path).')
    .option('--principal <name>', 'only calls by this principal (learner, grader, instructor, an identity name, or an object id)')
    .option('--limit <n>', 'only the last N calls')
    .option('--state-dir <dir>', stateDirHelp)
    .option('--json', 'machine-readable output')
    .action(lazyAction(actions, 'log'));

  registerProfile(emulator, stateDirHelp);

  // The principals' names come with the actions' module (from @milab/emulator).
  beforeParsing(program, 'emulator', async () => {
    const names = (await actions()).PRINCIPAL_NAMES.join(', ');
    for (const command of [env, az]) {
      const as = command.options.find((option) => option.long === '--as');
      if (as) as.description = `seeded principal to sign in as: ${names}`;
    }
  });
}
