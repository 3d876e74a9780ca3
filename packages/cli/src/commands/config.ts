// `milab config show | set KEY VALUE | unset KEY`: the settings every command uses, and where
// each value comes from (environment, the config file, the running emulator, a default).
import type { Command } from 'commander';
import { CONFIG_ENV, CONFIG_KEYS, loadConfig, setConfigValue, unsetConfigValue, type ConfigOrigin, type MilabConfig } from '@milab/core';

function describeOrigin(origin: ConfigOrigin): string {
  switch (origin.source) {
    case 'env':
      return `env ${origin.detail}`;
    case 'file':
      return 'file';
    case 'emulator':
      return 'emulator';
    case 'default':
      return origin.detail ? `default: ${origin.detail}` : 'default';
    case 'unset':
      return 'not set';
  }
}

function show(config: MilabConfig): string {
  const rows = CONFIG_KEYS.map((key) => [key, config[key] ?? '-', describeOrigin(config.origins[key])] as const);
  const keyWidth = Math.max(...rows.map(([k]) => k.length));
  const valueWidth = Math.max(...rows.map(([, v]) => v.length));
  const lines = [
    `config file: ${config.paths.configFile}`,
    '',
    ...rows.map(([k, v, o]) => `${k.padEnd(keyWidth)}  ${v.padEnd(valueWidth)}  (${o})`),
  ];
  if (CONFIG_KEYS.some((key) => config.origins[key].source === 'unset')) {
    lines.push(
      '',
      config.target === 'emulator'
        ? 'Values not set come from the emulator once it runs: `pnpm milab emulator start --detach`.'
        : 'Set missing values with `pnpm milab config set KEY VALUE`.',
    );
  }
  return lines.join('\n');
}

function asJson(config: MilabConfig): string {
  const values = Object.fromEntries(CONFIG_KEYS.map((key) => [key, { value: config[key] ?? null, ...config.origins[key] }]));
  return JSON.stringify({ configFile: config.paths.configFile, home: config.paths.home, values }, null, 2);
}

const KEYS_HELP = [
  '',
  'Keys (the environment variable wins over the file):',
  ...CONFIG_KEYS.map((key) => `  ${key.padEnd(15)} ${CONFIG_ENV[key]}`),
  '',
  'Examples:',
  '  pnpm milab config set target azure',
  '  pnpm milab config set subscriptionId 98f51385-2edc-4b79-bed9-7718de4cb861',
].join('\n');

/** Registers `milab config`. */
export function registerConfig(program: Command): void {
  const config = program
    .command('config')
    .description('Show or change the target, subscription, resource group, location and learner id')
    .addHelpText('after', KEYS_HELP);

  config
    .command('show')
    .description('Show every setting and where it comes from (env, file, emulator, default)')
    .option('--json', 'print as JSON')
    .action((options: { json?: boolean }) => {
      const loaded = loadConfig();
      process.stdout.write(`${options.json ? asJson(loaded) : show(loaded)}\n`);
    });

  config
    .command('set')
    .description('Validate a value and store it in the config file')
    .argument('<key>', `one of ${CONFIG_KEYS.join(', ')}`)
    .argument('<value>', 'the value')
    .addHelpText('after', KEYS_HELP)
    .action((key: string, value: string) => {
      const result = setConfigValue(key, value);
      process.stdout.write(`${result.key} = ${result.value} (saved in ${result.file})\n`);
      if (result.overriddenBy) {
        process.stderr.write(`note: ${result.overriddenBy} is set in the environment and wins over the file; unset it to use this value.\n`);
      }
    });

  config
    .command('unset')
    .description('Remove a value from the config file (back to the environment, emulator or default)')
    .argument('<key>', `one of ${CONFIG_KEYS.join(', ')}`)
    .action((key: string) => {
      const removed = unsetConfigValue(key);
      process.stdout.write(removed ? `${key} removed from the config file\n` : `${key} was not set in the config file\n`);
    });
}
