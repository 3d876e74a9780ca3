import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConfigError,
  configFilePath,
  emulatorDir,
  loadConfig,
  milabHome,
  repoRoot,
  setConfigValue,
  unsetConfigValue,
  validateConfigValue,
} from '../src/index.js';
import { SEEDED_SUBSCRIPTION, fakeConnection } from './support/connection.js';

const SEEDED_SUB = SEEDED_SUBSCRIPTION;
const OTHER_SUB = '0b1f6471-1bf0-4dda-aec3-cb9272f09590';

let home: string;
let env: Record<string, string | undefined>;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'milab-config-'));
  env = { MILAB_HOME: home };
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe('paths', () => {
  it('puts home, config file and emulator state where the design says', () => {
    expect(milabHome(env)).toBe(home);
    expect(configFilePath(env)).toBe(join(home, 'config.json'));
    expect(emulatorDir(env)).toBe(join(home, 'emulator'));
    expect(emulatorDir({ ...env, MILAB_EMULATOR_DIR: '/tmp/emu' })).toBe('/tmp/emu');
    // Default home: <repo root>/.milab, found from the package's own location, not the cwd.
    expect(milabHome({})).toBe(join(repoRoot(), '.milab'));
    expect(readFileSync(join(repoRoot(), 'pnpm-workspace.yaml'), 'utf8')).toContain('packages/*');
  });
});

describe('loadConfig precedence', () => {
  it('defaults: emulator target, learner from the OS user, nothing guessed without an emulator', () => {
    const config = loadConfig({ env, connection: null, username: 'Jane Doe' });
    expect(config.target).toBe('emulator');
    expect(config.learnerId).toBe('jane-doe');
    expect(config.subscriptionId).toBeUndefined();
    expect(config.origins.target).toEqual({ source: 'default' });
    expect(config.origins.learnerId.source).toBe('default');
    expect(config.origins.subscriptionId).toEqual({ source: 'unset' });
    expect(config.location).toBe('westus');
  });

  it('emulator target: the running emulator fills what is not set', () => {
    const config = loadConfig({ env, connection: fakeConnection(), username: 'jane' });
    expect(config.subscriptionId).toBe(SEEDED_SUB);
    expect(config.resourceGroup).toBe('DevTest');
    expect(config.location).toBe('westus');
    expect(config.tenantId).toBe('72f988bf-86f1-41af-91ab-2d7cd011db47');
    expect(config.origins.subscriptionId.source).toBe('emulator');
  });

  it('reads the emulator connection file through the emulator seam', () => {
    const dir = emulatorDir(env);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'connection.json'), JSON.stringify(fakeConnection({ resourceGroup: 'FromFile' })));
    expect(loadConfig({ env, username: 'jane' }).resourceGroup).toBe('FromFile');
    // A connection left by a dead process does not count.
    writeFileSync(join(dir, 'connection.json'), JSON.stringify(fakeConnection({ pid: 2 ** 22 + 12345 })));
    expect(loadConfig({ env, username: 'jane' }).origins.resourceGroup.source).toBe('unset');
  });

  it('file beats emulator, environment beats file', () => {
    setConfigValue('resourceGroup', 'FromFile', env);
    setConfigValue('subscriptionId', OTHER_SUB, env);
    let config = loadConfig({ env, connection: fakeConnection(), username: 'jane' });
    expect(config.resourceGroup).toBe('FromFile');
    expect(config.origins.resourceGroup).toEqual({ source: 'file', detail: join(home, 'config.json') });
    expect(config.subscriptionId).toBe(OTHER_SUB);

    config = loadConfig({
      env: { ...env, MILAB_RESOURCE_GROUP: 'FromEnv', AZURE_SUBSCRIPTION_ID: SEEDED_SUB.toUpperCase() },
      connection: fakeConnection(),
      username: 'jane',
    });
    expect(config.resourceGroup).toBe('FromEnv');
    expect(config.origins.resourceGroup).toEqual({ source: 'env', detail: 'MILAB_RESOURCE_GROUP' });
    expect(config.subscriptionId).toBe(SEEDED_SUB);
    expect(config.origins.subscriptionId).toEqual({ source: 'env', detail: 'AZURE_SUBSCRIPTION_ID' });
  });

  it('every key has its environment variable', () => {
    const config = loadConfig({
      env: {
        ...env,
        MILAB_TARGET: 'azure',
        AZURE_SUBSCRIPTION_ID: OTHER_SUB,
        AZURE_TENANT_ID: 'contoso.onmicrosoft.com',
        MILAB_RESOURCE_GROUP: 'rg1',
        MILAB_LOCATION: 'West Europe',
        MILAB_LEARNER: 'sam',
      },
      username: 'jane',
    });
    expect(config).toMatchObject({
      target: 'azure',
      subscriptionId: OTHER_SUB,
      tenantId: 'contoso.onmicrosoft.com',
      resourceGroup: 'rg1',
      location: 'westeurope',
      learnerId: 'sam',
    });
    expect(Object.values(config.origins).every((o) => o.source === 'env')).toBe(true);
  });

  it('azure target never takes values from the emulator; the resource group is named from the learner', () => {
    setConfigValue('target', 'azure', env);
    const config = loadConfig({ env, connection: fakeConnection(), username: 'jane' });
    expect(config.target).toBe('azure');
    expect(config.subscriptionId).toBeUndefined();
    expect(config.resourceGroup).toBe('rg-milab-jane');
    expect(config.origins.resourceGroup.source).toBe('default');
  });

  it('an invalid environment value names the variable', () => {
    expect(() => loadConfig({ env: { ...env, AZURE_SUBSCRIPTION_ID: 'abc' }, connection: null })).toThrow(
      /Invalid subscriptionId "abc" \(from environment variable AZURE_SUBSCRIPTION_ID\): expected a GUID/,
    );
    expect(() => loadConfig({ env: { ...env, MILAB_TARGET: 'aws' }, connection: null })).toThrow(ConfigError);
  });

  it('a broken config file is reported with its path and a fix', () => {
    writeFileSync(join(home, 'config.json'), '{ not json');
    const error = (() => {
      try {
        loadConfig({ env, connection: null });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.message).toContain(join(home, 'config.json'));
    expect(error?.hint).toMatch(/delete it/);
    writeFileSync(join(home, 'config.json'), JSON.stringify({ target: 'mars' }));
    expect(() => loadConfig({ env, connection: null })).toThrow(/Invalid target "mars" \(from .*config.json\)/);
  });
});

describe('config set / unset', () => {
  it('validates keys and values with what is expected and the next step', () => {
    const cases: [string, string, RegExp, RegExp][] = [
      ['colour', 'blue', /Unknown config key "colour"\. Expected one of: target, subscriptionId/, /config set target azure/],
      ['target', 'aws', /Invalid target "aws".*expected one of emulator, azure/, /config set target/],
      ['subscriptionId', 'not-a-guid', /Invalid subscriptionId "not-a-guid".*expected a GUID/, /az account show/],
      ['tenantId', 'bad tenant!', /Invalid tenantId/, /az account show/],
      ['resourceGroup', 'bad/name', /Invalid resourceGroup/, /config set resourceGroup/],
      ['resourceGroup', 'ends.', /Invalid resourceGroup/, /config set resourceGroup/],
      ['location', 'west us 2!', /Invalid location/, /list-locations/],
      ['learnerId', 'Jane Doe', /Invalid learnerId "Jane Doe"/, /config set learnerId jane-doe/],
    ];
    for (const [key, value, message, hint] of cases) {
      let error: ConfigError | undefined;
      try {
        setConfigValue(key, value, env);
      } catch (e) {
        error = e as ConfigError;
      }
      expect(error, `${key}=${value}`).toBeInstanceOf(ConfigError);
      expect(error?.message).toMatch(message);
      expect(error?.hint).toMatch(hint);
      expect(error?.code).toBe('MILAB_CONFIG_INVALID');
    }
    expect(() => readFileSync(join(home, 'config.json'))).toThrow(); // nothing written
  });

  it('normalises and stores values, and says when the environment wins', () => {
    expect(setConfigValue('target', 'AZURE', env)).toMatchObject({ key: 'target', value: 'azure', overriddenBy: undefined });
    expect(setConfigValue('location', 'West US 2', env).value).toBe('westus2');
    expect(setConfigValue('subscriptionId', OTHER_SUB, { ...env, AZURE_SUBSCRIPTION_ID: SEEDED_SUB }).overriddenBy).toBe('AZURE_SUBSCRIPTION_ID');
    expect(JSON.parse(readFileSync(join(home, 'config.json'), 'utf8'))).toEqual({
      target: 'azure',
      subscriptionId: OTHER_SUB,
      location: 'westus2',
    });
    expect(unsetConfigValue('location', env)).toBe(true);
    expect(unsetConfigValue('location', env)).toBe(false);
    expect(() => unsetConfigValue('colour', env)).toThrow(/Unknown config key/);
    expect(loadConfig({ env, connection: null }).origins.location.source).toBe('default');
  });

  it('accepts valid values as they are', () => {
    expect(validateConfigValue('resourceGroup', 'DevTest')).toBe('DevTest');
    expect(validateConfigValue('resourceGroup', 'my_rg(1).x')).toBe('my_rg(1).x');
    expect(validateConfigValue('tenantId', '72F988BF-86F1-41AF-91AB-2D7CD011DB47')).toBe('72f988bf-86f1-41af-91ab-2d7cd011db47');
    expect(validateConfigValue('learnerId', 'jane-2')).toBe('jane-2');
  });
});
