// `milab config show | set KEY VALUE | unset KEY`: the settings every command uses, and where
// each value comes from (environment, the config file, the running emulator, a default).
import type { Command } from 'commander';
import { beforeParsing, lazyAction } from '../run.js';

/** The actions, loaded when one runs: `milab --help` and the other commands never pay for them. */
const actions = () => import('./config-actions.js');

/** The keys and their variables, for the help: from @milab/core, loaded only for `milab config …`. */
async function keysHelp(): Promise<{ keys: readonly string[]; text: string }> {
  const { CONFIG_ENV, CONFIG_KEYS } = await import('./config-actions.js');
  const text = [
    '',
    'Keys (the environment variable wins over the file):',
    ...CONFIG_KEYS.map((key) => `  ${key.padEnd(15)} ${CONFIG_ENV[key]}`),
    '',
    'Examples:',
    '  ./milab config set target azure',
    '  ./milab config set subscriptionId 98f51385-2edc-4b79-bed9-7718de4cb861',
  ].join('\n');
  return { keys: CONFIG_KEYS, text };
}

/** Registers `milab config`. */
export function registerConfig(program: Command): void {
  const config = program
    .command('config')
    .description('Show or change the target, subscription, resource group, location and learner id');

  config
    .command('show')
    .description('Show every setting and where it comes from (env, file, emulator, default)')
    .option('--json', 'print as JSON')
    .action(lazyAction(actions, 'show'));

  const set = config
    .command('set')
    .description('Validate a value and store it in the config file')
    .argument('<key>', 'the key (see below)')
    .argument('<value>', 'the value')
    .action(lazyAction(actions, 'set'));

  const unset = config
    .command('unset')
    .description('Remove a value from the config file (back to the environment, emulator or default)')
    .argument('<key>', 'the key (see `milab config --help`)')
    .action(lazyAction(actions, 'unset'));

  beforeParsing(program, 'config', async () => {
    const { keys, text } = await keysHelp();
    config.addHelpText('after', text);
    set.addHelpText('after', text);
    for (const command of [set, unset]) {
      const key = command.registeredArguments[0];
      if (key) key.description = `one of ${keys.join(', ')}`;
    }
  });
}
