// The one place that decides the target, the subscription, the resource group, the learner id
// and the location. Precedence, highest first: environment, the config file `milab config set`
// writes, the running emulator's seeded world (emulator target only), built-in defaults.
// Parsed once into a read-only object; every value says where it came from.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname } from 'node:path';
import { normalizeRegion, readConnection, suggestRegions, type EmulatorConnection } from '@milab/common';
import { ConfigError } from './errors.js';
import { isGenericLearnerId, isValidLearnerId, labResourceNames, sanitizeLearnerId } from './naming.js';
import { configFilePath, emulatorDir, milabHome } from './paths.js';

/** Where milab sends its calls: the embedded emulator (default) or a real Azure subscription. */
export type Target = 'emulator' | 'azure';

/** The targets, in the order help text lists them. */
export const TARGETS: readonly Target[] = ['emulator', 'azure'];

/**
 * How the learner's work is laid out: `own` (the learner has a subscription of their own: lab 02's
 * Reader is at subscription scope) or `shared` (a class shares one subscription, each learner works
 * in their own resource group, and lab 02's Reader is at that group's scope, the only scope their
 * conditional Role Based Access Control Administrator role lets them assign it at).
 */
export type Mode = 'own' | 'shared';

/** The modes, in the order help text lists them; the first is the default. */
export const MODES: readonly Mode[] = ['own', 'shared'];

/** The keys `milab config set` accepts. */
export const CONFIG_KEYS = ['target', 'subscriptionId', 'tenantId', 'resourceGroup', 'location', 'learnerId', 'mode'] as const;

/** One configuration key. */
export type ConfigKey = (typeof CONFIG_KEYS)[number];

/** The environment variable that overrides each key (environment wins over the file). */
export const CONFIG_ENV: Readonly<Record<ConfigKey, string>> = Object.freeze({
  target: 'MILAB_TARGET',
  subscriptionId: 'AZURE_SUBSCRIPTION_ID',
  tenantId: 'AZURE_TENANT_ID',
  resourceGroup: 'MILAB_RESOURCE_GROUP',
  location: 'MILAB_LOCATION',
  learnerId: 'MILAB_LEARNER',
  mode: 'MILAB_MODE',
});

/** Where a value came from. */
export type ConfigSource = 'env' | 'file' | 'emulator' | 'default' | 'unset';

/** Provenance of one value: the source and, for env and file, which variable or file. */
export interface ConfigOrigin {
  source: ConfigSource;
  /** The environment variable name, the file path, or the emulator state directory. */
  detail?: string;
}

/** Resolved configuration. Read-only: change it with {@link setConfigValue} and load it again. */
export interface MilabConfig {
  readonly target: Target;
  readonly subscriptionId: string | undefined;
  readonly tenantId: string | undefined;
  readonly resourceGroup: string | undefined;
  readonly location: string | undefined;
  readonly learnerId: string;
  /** `own` (default) or `shared` (a class in one subscription: see {@link Mode}). */
  readonly mode: Mode;
  /** Where each value came from. */
  readonly origins: Readonly<Record<ConfigKey, ConfigOrigin>>;
  /** Local state locations this configuration was read with. */
  readonly paths: { readonly home: string; readonly configFile: string; readonly emulatorDir: string };
}

/** Values as stored in the config file. */
export type ConfigFileValues = Partial<Record<ConfigKey, string>>;

/** Inputs of {@link loadConfig}; all optional, for tests and tools. */
export interface LoadConfigOptions {
  /** Environment to read (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * The emulator connection to take seeded values from; default: read it from the emulator state
   * directory. `null` means "no emulator running".
   */
  connection?: EmulatorConnection | null;
  /** OS user name for the default learner id (default: the current user). */
  username?: string;
}

/** Default Azure region: the course's examples work in West US. */
export const DEFAULT_LOCATION = 'westus';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EXAMPLE_GUID = '98f51385-2edc-4b79-bed9-7718de4cb861';

/** Whether `key` is a configuration key. */
export function isConfigKey(key: string): key is ConfigKey {
  return (CONFIG_KEYS as readonly string[]).includes(key);
}

/** Throws a {@link ConfigError} listing the keys when `key` is not one. */
export function assertConfigKey(key: string, origin = 'input'): asserts key is ConfigKey {
  if (!isConfigKey(key)) {
    throw new ConfigError(`Unknown config key "${key}". Expected one of: ${CONFIG_KEYS.join(', ')}.`, {
      key,
      origin,
      hint: 'For example: `./milab config set target azure`.',
    });
  }
}

/** The way to put a good value where a bad one came from: the environment variable, or `milab config set`. */
function setCommand(origin: string, key: ConfigKey, example: string): string {
  const envName = CONFIG_ENV[key];
  return origin === `environment variable ${envName}`
    ? `Set ${envName}=${example}, or unset it (\`unset ${envName}\`) to use the config file`
    : `Use \`./milab config set ${key} ${example}\``;
}

/**
 * Validates and normalises one value. Throws a {@link ConfigError} naming the input, what is
 * expected and the next step. `origin` names where the value came from (an environment variable,
 * the file, or `input`).
 */
export function validateConfigValue(key: string, rawValue: string, origin = 'input'): string {
  assertConfigKey(key, origin);
  const value = rawValue.trim();
  // `input` is what the learner just typed: naming it adds nothing; a variable or a file must be named.
  const from = origin === 'input' ? '' : ` (from ${origin})`;
  const fail = (expected: string, hint: string): never => {
    throw new ConfigError(`Invalid ${key} "${rawValue}"${from}: expected ${expected}.`, { key, origin, hint });
  };
  switch (key) {
    case 'target':
      if (!(TARGETS as readonly string[]).includes(value.toLowerCase())) {
        fail(`one of ${TARGETS.join(', ')}`, '`./milab config set target emulator` (offline) or `… target azure`.');
      }
      return value.toLowerCase();
    case 'subscriptionId':
      if (!GUID.test(value)) {
        fail(`a GUID like ${EXAMPLE_GUID}`, 'Find yours with `az account show --query id -o tsv`.');
      }
      return value.toLowerCase();
    case 'tenantId':
      // A GUID only: Entra would also sign in with a domain name, but the graders compare this
      // value with the token's `tid` claim, which is always the GUID.
      if (!GUID.test(value)) {
        fail(`a tenant GUID like ${EXAMPLE_GUID} (not a domain name)`, 'Find yours with `az account show --query tenantId -o tsv`.');
      }
      return value.toLowerCase();
    case 'resourceGroup':
      // ARM's rule: 1-90 letters, digits, underscores, dashes, periods and parentheses, not ending in a period.
      if (!/^[\w\-.()]{1,90}$/u.test(value) || value.endsWith('.')) {
        fail('1-90 letters, digits, "-", "_", ".", "(" or ")", not ending in "."', 'For example: `./milab config set resourceGroup DevTest`.');
      }
      return value;
    case 'location': {
      // The one region list the emulator also uses (@milab/common): accept the display name
      // ("West US") and store the programmatic name ("westus").
      const name = normalizeRegion(value);
      if (name === undefined) {
        const close = suggestRegions(value).map((r) => r.name);
        throw new ConfigError(
          `Invalid location "${rawValue}"${from}: '${value}' is not an Azure region${close.length > 0 ? `; did you mean ${close.join(', ')}?` : '.'}`,
          {
            key,
            origin,
            hint: `${setCommand(origin, key, close[0] ?? DEFAULT_LOCATION)}; list the regions with \`az account list-locations --query [].name -o tsv\`.`,
          },
        );
      }
      return name;
    }
    case 'learnerId':
      if (!isValidLearnerId(value)) {
        const suggestion = sanitizeLearnerId(value);
        fail(
          'lower-case letters, digits and dashes, at most 24 characters, starting and ending with a letter or digit',
          `${setCommand(origin, key, suggestion || 'jane')}.`,
        );
      }
      return value;
    case 'mode':
      if (!(MODES as readonly string[]).includes(value.toLowerCase())) {
        fail(
          `one of ${MODES.join(', ')}`,
          `${setCommand(origin, key, 'own')} (your own subscription), or \`shared\` when your instructor's class shares one subscription.`,
        );
      }
      return value.toLowerCase();
  }
}

/** Reads the config file; `{}` when it does not exist. Throws a {@link ConfigError} when it is unreadable. */
export function readConfigFile(file: string): ConfigFileValues {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError(`Cannot read the config file ${file}: ${(error as Error).message}.`, {
      origin: file,
      hint: 'Check its permissions, or delete it and set values again with `./milab config set`.',
      cause: error,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`The config file ${file} is not valid JSON: ${(error as Error).message}.`, {
      origin: file,
      hint: 'Fix it by hand, or delete it and set values again with `./milab config set`.',
      cause: error,
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`The config file ${file} must hold a JSON object of settings.`, {
      origin: file,
      hint: 'Delete it and set values again with `./milab config set`.',
    });
  }
  const values: ConfigFileValues = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value !== 'string') {
      throw new ConfigError(`The config file ${file} has a non-string value for "${key}".`, {
        key,
        origin: file,
        hint: `Set it again with \`./milab config set ${key} VALUE\`.`,
      });
    }
    const normalised = validateConfigValue(key, value, file);
    values[key as ConfigKey] = normalised;
  }
  return values;
}

/** Writes the whole file atomically (write then rename), so a crash never leaves half a file. */
function writeConfigFile(file: string, values: ConfigFileValues): void {
  mkdirSync(dirname(file), { recursive: true });
  const ordered = Object.fromEntries(CONFIG_KEYS.filter((k) => values[k] !== undefined).map((k) => [k, values[k]]));
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(ordered, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, file);
}

/** Result of {@link setConfigValue}. */
export interface SetConfigResult {
  key: ConfigKey;
  /** The normalised value that was stored. */
  value: string;
  file: string;
  /** The environment variable that is set and will win over the file, if any. */
  overriddenBy: string | undefined;
}

/** Validates, normalises and stores one value in the config file. */
export function setConfigValue(
  key: string,
  value: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): SetConfigResult {
  const normalised = validateConfigValue(key, value);
  const configKey = key as ConfigKey;
  const file = configFilePath(env);
  const values = readConfigFile(file);
  values[configKey] = normalised;
  writeConfigFile(file, values);
  const envName = CONFIG_ENV[configKey];
  return { key: configKey, value: normalised, file, overriddenBy: env[envName]?.trim() ? envName : undefined };
}

/** Removes one value from the config file; returns whether it was there. */
export function unsetConfigValue(key: string, env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  assertConfigKey(key);
  const file = configFilePath(env);
  const values = readConfigFile(file);
  if (values[key] === undefined) return false;
  delete values[key];
  writeConfigFile(file, values);
  return true;
}

/** The variable the emulator takes its default port from (the emulator's config.ts `PORT_ENV`). */
const EMULATOR_PORT_ENV = 'MILAB_EMULATOR_PORT';

/**
 * Checks what the emulator reads from the environment (MILAB_EMULATOR_PORT), so a bad value is
 * reported by every command, named after the variable, instead of being ignored until the
 * emulator starts. The same rule as the emulator's `defaultPort` (a whole number from 0 to 65535,
 * blank meaning unset), written out here because calling it would load the whole emulator (its
 * store, lmdb, its server) into every command; test/emulator-port.test.ts holds the two together.
 */
function validateEmulatorEnv(env: Readonly<Record<string, string | undefined>>): void {
  const value = env[EMULATOR_PORT_ENV];
  if (value === undefined || value.trim() === '') return;
  const port = /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : Number.NaN;
  if (Number.isInteger(port) && port >= 0 && port <= 65535) return;
  throw new ConfigError(`Invalid ${EMULATOR_PORT_ENV} "${value}" (from environment variable ${EMULATOR_PORT_ENV}): expected a whole number from 0 to 65535.`, {
    key: EMULATOR_PORT_ENV,
    origin: `environment variable ${EMULATOR_PORT_ENV}`,
    hint: `Set ${EMULATOR_PORT_ENV} to a free port (0 picks one), or unset it to use the default 8443: \`unset ${EMULATOR_PORT_ENV}\`.`,
  });
}

/**
 * A warning when the learner id was taken from a generic OS user (root, azureuser, vscode, …),
 * which every machine of a class shares; `undefined` when the id is the learner's own.
 */
export function learnerIdWarning(config: Pick<MilabConfig, 'learnerId' | 'origins'>): string | undefined {
  if (config.origins.learnerId.source !== 'default' || !isGenericLearnerId(config.learnerId)) return undefined;
  return (
    `warning: your learner id "${config.learnerId}" comes from the OS user, which is the same on other machines of a class, ` +
    `so your resources (id-milab-${config.learnerId}) would collide with theirs. Set your own: \`./milab config set learnerId <your-name>\``
  );
}

/** The OS user name, or `undefined` when the OS cannot tell (some containers). */
function osUserName(env: Readonly<Record<string, string | undefined>>): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? env.USERNAME;
  }
}

/**
 * Resolves the configuration: environment, then the config file, then (emulator target) the
 * running emulator's seeded world, then defaults. Invalid values anywhere throw a {@link ConfigError}
 * that names where the value came from.
 */
export function loadConfig(options: LoadConfigOptions = {}): MilabConfig {
  const env = options.env ?? process.env;
  const paths = { home: milabHome(env), configFile: configFilePath(env), emulatorDir: emulatorDir(env) };
  const file = readConfigFile(paths.configFile);
  const origins = {} as Record<ConfigKey, ConfigOrigin>;

  const fromEnvOrFile = (key: ConfigKey): string | undefined => {
    const envName = CONFIG_ENV[key];
    const envValue = env[envName];
    if (envValue !== undefined && envValue.trim() !== '') {
      origins[key] = { source: 'env', detail: envName };
      return validateConfigValue(key, envValue, `environment variable ${envName}`);
    }
    if (file[key] !== undefined) {
      origins[key] = { source: 'file', detail: paths.configFile };
      return file[key];
    }
    return undefined;
  };
  const orDefault = (key: ConfigKey, value: string | undefined, fallback: () => ConfigOrigin & { value?: string }) => {
    if (value !== undefined) return value;
    const { value: fallbackValue, ...origin } = fallback();
    origins[key] = fallbackValue === undefined ? { source: 'unset' } : origin;
    return fallbackValue;
  };

  const target = orDefault('target', fromEnvOrFile('target'), () => ({ source: 'default', value: 'emulator' })) as Target;
  if (target === 'emulator') validateEmulatorEnv(env);
  const learnerId = orDefault('learnerId', fromEnvOrFile('learnerId'), () => ({
    source: 'default',
    detail: 'OS user name',
    value: sanitizeLearnerId(options.username ?? osUserName(env) ?? '') || 'learner',
  })) as string;

  // The emulator's seeded world fills what is not set, on the emulator target only: on Azure,
  // a subscription must never be guessed.
  const connection =
    target === 'emulator' ? (options.connection === undefined ? readConnection(paths.emulatorDir) : options.connection ?? undefined) : undefined;
  const seeded = (key: 'subscriptionId' | 'tenantId' | 'resourceGroup' | 'location') => (): ConfigOrigin & { value?: string } =>
    connection ? { source: 'emulator', detail: paths.emulatorDir, value: connection[key] } : { source: 'unset' };

  const subscriptionId = orDefault('subscriptionId', fromEnvOrFile('subscriptionId'), seeded('subscriptionId'));
  const tenantId = orDefault('tenantId', fromEnvOrFile('tenantId'), seeded('tenantId'));
  const resourceGroup = orDefault(
    'resourceGroup',
    fromEnvOrFile('resourceGroup'),
    target === 'emulator'
      ? seeded('resourceGroup')
      : () => ({ source: 'default', detail: 'named from the learner id', value: labResourceNames(learnerId).resourceGroup }),
  );
  const location = orDefault(
    'location',
    fromEnvOrFile('location'),
    connection ? seeded('location') : () => ({ source: 'default', value: DEFAULT_LOCATION }),
  );
  const mode = orDefault('mode', fromEnvOrFile('mode'), () => ({ source: 'default', value: MODES[0] })) as Mode;

  return Object.freeze({
    target,
    subscriptionId,
    tenantId,
    resourceGroup,
    location,
    learnerId,
    mode,
    origins: Object.freeze(origins),
    paths: Object.freeze(paths),
  });
}
