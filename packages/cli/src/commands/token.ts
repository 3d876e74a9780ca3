// `milab token`: a managed identity token from IMDS, shown as its decoded claims and expiry.
// The token itself is printed only with --raw (for piping), never in the human or JSON output.
import { Option, type Command } from 'commander';
import { beforeParsing, lazyAction } from '../run.js';

/** The action, loaded when it runs: `milab --help` and the other commands never pay for it. */
const actions = () => import('./token-actions.js');

/** The resource `milab token` asks for unless told otherwise: ARM, as in the labs. */
export const DEFAULT_RESOURCE = 'https://management.azure.com/';

/** Registers `milab token`. */
export function registerToken(program: Command): void {
  const token = program
    .command('token')
    .description('Get a managed identity token from IMDS and show its claims and expiry (never the token itself)')
    .option('--resource <url>', 'the resource (audience) the token is for', DEFAULT_RESOURCE)
    .option('--client-id <id>', 'a user-assigned identity, by client id')
    .option('--object-id <id>', 'a user-assigned identity, by object (principal) id')
    .option('--msi-res-id <id>', 'a user-assigned identity, by ARM resource id')
    .addOption(new Option('--json', 'print the claims and expiry as JSON (never the token)').conflicts('raw'))
    .option('--raw', 'print only the token, for piping (e.g. into an Authorization header)')
    .action(lazyAction(actions, 'token'));
  // The IMDS endpoint's variable and default come with the actions' module (from @milab/core).
  beforeParsing(program, 'token', async () => {
    const { IMDS_DEFAULT_ENDPOINT, IMDS_ENDPOINT_ENV } = await actions();
    token.addHelpText(
      'after',
      [
        '',
        `IMDS endpoint: $${IMDS_ENDPOINT_ENV}, default ${IMDS_DEFAULT_ENDPOINT}.`,
        'Give at most one of --client-id, --object-id, --msi-res-id; none selects the system-assigned identity.',
        'On the emulator target it runs on an emulated VM only (`milab vm exec`), where that variable is set.',
        'Exit codes: 0 a token, 1 IMDS refused (its error is printed), 2 IMDS unreachable or not on a VM.',
        '',
        'Examples:',
        '  ./milab vm exec labvm -- milab token',
        '  curl -H "Authorization: Bearer $(./milab token --raw)" "https://management.azure.com/subscriptions?api-version=2022-12-01"',
      ].join('\n'),
    );
  });
}
