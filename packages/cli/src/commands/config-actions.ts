// What `milab config show | set | unset` do (registered, with their options, in config.ts), loaded
// only when one of them runs.
import { CONFIG_ENV, CONFIG_KEYS, loadConfig, setConfigValue, unsetConfigValue, type ConfigOrigin, type MilabConfig } from '@milab/core';

export { CONFIG_ENV, CONFIG_KEYS };

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

function describe(config: MilabConfig): string {
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
        ? 'Values not set come from the emulator once it runs: `./milab emulator start --detach`.'
        : 'Set missing values with `./milab config set KEY VALUE`.',
    );
  }
  return lines.join('\n');
}

function asJson(config: MilabConfig): string {
  const values = Object.fromEntries(CONFIG_KEYS.map((key) => [key, { value: config[key] ?? null, ...config.origins[key] }]));
  return JSON.stringify({ configFile: config.paths.configFile, home: config.paths.home, values }, null, 2);
}


/** `milab config show`. */
export function show(options: { json?: boolean }): void {
  const loaded = loadConfig();
  process.stdout.write(`${options.json ? asJson(loaded) : describe(loaded)}\n`);
}

/** `milab config set`. */
export function set(key: string, value: string): void {
  const result = setConfigValue(key, value);
  process.stdout.write(`${result.key} = ${result.value} (saved in ${result.file})\n`);
  if (result.overriddenBy) {
    process.stderr.write(`note: ${result.overriddenBy} is set in the environment and wins over the file; unset it to use this value.\n`);
  }
}

/** `milab config unset`. */
export function unset(key: string): void {
  const removed = unsetConfigValue(key);
  process.stdout.write(removed ? `${key} removed from the config file\n` : `${key} was not set in the config file\n`);
}
