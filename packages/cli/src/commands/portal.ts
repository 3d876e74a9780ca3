// `milab portal`: the address of the emulator's portal (https://127.0.0.1:PORT/portal/), with the
// key of this emulator run in its fragment, so that the page can sign in as one of the emulator's
// principals; `--open` opens it in the default browser instead of printing the key.
import type { Command } from 'commander';
import { lazyAction } from '../run.js';

/** The action, loaded when it runs: `milab --help` and the other commands never pay for it. */
const actions = () => import('./portal-actions.js');

/** Registers `milab portal`. */
export function registerPortal(program: Command): void {
  program
    .command('portal')
    .description("Open the emulator's portal (the Portal steps of labs 01–03 offline): prints its address with this run's sign-in key, or opens it")
    .option('--open', 'open the portal in the default browser (the key is not printed)')
    .option('--state-dir <dir>', 'state directory of the emulator (default: $MILAB_EMULATOR_DIR, $MILAB_HOME/emulator, or <repo>/.milab/emulator)')
    .option('--json', 'print {"url": …} (the address with the key), for scripts')
    .addHelpText(
      'after',
      [
        '',
        'The portal is served by the running emulator (`./milab emulator start --detach`) under /portal.',
        'The address carries a key in its fragment (#key=…): the page needs it to sign in, and it is',
        "valid until the emulator stops. Treat it like the emulator's connection.json: anyone with it",
        'can act as any principal of the emulator. The browser warns about the certificate once:',
        "the emulator's own CA signed it (`./milab emulator env` names the CA file, to trust it).",
        '',
        'Examples:',
        '  ./milab portal            # print the address to paste into a browser',
        '  ./milab portal --open     # open it in the default browser',
      ].join('\n'),
    )
    .action(lazyAction(actions, 'portal'));
}
