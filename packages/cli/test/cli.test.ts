import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { registerConfig } from '../src/commands/config.js';
import { registerDoctor } from '../src/commands/doctor.js';
import { registerToken } from '../src/commands/token.js';
import { fakeImds, makeJwt, milab } from './support.js';

const SUB = '98f51385-2edc-4b79-bed9-7718de4cb861';
const MIRID = `/subscriptions/${SUB}/resourceGroups/DevTest/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-milab-jane`;
const now = () => Math.floor(Date.now() / 1000);

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'milab-cli-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe('--help', () => {
  it('the real entry point prints help, for the program and a command', async () => {
    const [top, token] = await Promise.all([milab(['--help'], { MILAB_HOME: home }), milab(['token', '--help'], { MILAB_HOME: home })]);
    expect(top.code).toBe(0);
    for (const name of ['doctor', 'token', 'config']) expect(top.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    expect(token.code).toBe(0);
    expect(token.stdout).toContain('Usage: milab token [options]');
    expect(token.stdout).toContain('--msi-res-id');
    expect(token.stdout).toContain('AZURE_POD_IDENTITY_AUTHORITY_HOST');
  });

  it('`milab help COMMAND` prints what `milab COMMAND --help` does, text loaded on demand included', async () => {
    const [viaFlag, viaHelp] = await Promise.all([milab(['token', '--help'], { MILAB_HOME: home }), milab(['help', 'token'], { MILAB_HOME: home })]);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toContain('AZURE_POD_IDENTITY_AUTHORITY_HOST');
    expect(viaHelp.stdout).toBe(viaFlag.stdout);
  });

  it('every command and subcommand has a description and help (in-process, same definitions)', () => {
    const program = new Command('milab');
    registerDoctor(program);
    registerToken(program);
    registerConfig(program);
    const all = (command: Command): Command[] => [command, ...command.commands.flatMap(all)];
    const commands = all(program).slice(1);
    expect(commands.map((c) => c.name())).toEqual(['doctor', 'token', 'config', 'show', 'set', 'unset']);
    // What `--help` prints, including the text added after the options.
    const helpOf = (command: Command) => {
      let text = '';
      command.configureOutput({ writeOut: (s) => void (text += s) });
      command.outputHelp();
      return text;
    };
    for (const command of commands) {
      expect(command.description(), command.name()).not.toBe('');
      expect(helpOf(command)).toContain('-h, --help');
    }
    const byName = (name: string) => helpOf(commands.find((c) => c.name() === name) ?? program);
    expect(byName('doctor')).toContain('--json');
    expect(byName('set')).toContain('<key> <value>');
  });

  it('the help of a command whose text comes from a module loaded on demand has it (config --help, in-process)', async () => {
    const program = new Command('milab').exitOverride();
    registerConfig(program);
    let text = '';
    for (const command of [program, ...program.commands, ...program.commands.flatMap((c) => c.commands)]) command.exitOverride().configureOutput({ writeOut: (s) => void (text += s) });
    await expect(program.parseAsync(['node', 'milab', 'config', '--help'])).rejects.toThrow();
    expect(text).toContain('AZURE_SUBSCRIPTION_ID');
  });
});

describe('milab token', () => {
  const claims = () => ({
    aud: 'https://management.azure.com/',
    iss: 'https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/',
    iat: now() - 60,
    nbf: now() - 60,
    exp: now() + 86_340,
    appid: 'c0ffee00-0000-4000-8000-000000000001',
    oid: 'c0ffee00-0000-4000-8000-000000000002',
    tid: '72f988bf-86f1-41af-91ab-2d7cd011db47',
    idtyp: 'app',
    xms_mirid: MIRID,
  });
  let token: string;
  let imds: Awaited<ReturnType<typeof fakeImds>>;
  beforeAll(async () => {
    token = makeJwt(claims());
    imds = await fakeImds((url, headers, res) => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (headers.metadata !== 'true') return send(400, { error: 'invalid_request', error_description: 'Required metadata header not specified' });
      if (url.searchParams.get('client_id') === 'unknown') return send(400, { error: 'invalid_request', error_description: 'Identity not found' });
      send(200, {
        access_token: token,
        expires_in: '86399',
        expires_on: String(now() + 86_399),
        not_before: String(now()),
        resource: url.searchParams.get('resource'),
        token_type: 'Bearer',
        client_id: 'c0ffee00-0000-4000-8000-000000000001',
      });
    });
  });
  afterAll(() => imds.close());
  const env = () => ({ MILAB_HOME: home, AZURE_POD_IDENTITY_AUTHORITY_HOST: imds.url });
  const signature = () => token.split('.')[2] ?? '';

  it('shows decoded claims and time left, never the token', async () => {
    const result = await milab(['token'], env());
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Managed identity token for https://management.azure.com/');
    for (const text of ['aud', 'https://sts.windows.net/', 'c0ffee00-0000-4000-8000-000000000002', MIRID, 'app']) {
      expect(result.stdout).toContain(text);
    }
    expect(result.stdout).toContain(new Date(claims().exp * 1000).toISOString().slice(0, 16));
    expect(result.stdout).toMatch(/expires\s+\S+ \(in 2[34]h \d\dm \d\ds\)/);
    expect(result.stdout + result.stderr).not.toContain(token);
    expect(result.stdout + result.stderr).not.toContain(signature());
  });

  it('--raw prints exactly the token', async () => {
    const result = await milab(['token', '--raw', '--client-id', 'c0ffee00-0000-4000-8000-000000000001'], env());
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(token);
    expect(imds.seen.at(-1)?.searchParams.get('client_id')).toBe('c0ffee00-0000-4000-8000-000000000001');
  });

  it('--json prints claims and expiry, never access_token', async () => {
    const result = await milab(['token', '--json', '--resource', 'https://vault.azure.net'], env());
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(Object.keys(parsed).sort()).toEqual(['claims', 'clientId', 'endpoint', 'expiresInSeconds', 'expiresOn', 'resource', 'tokenType']);
    expect(parsed).toMatchObject({ endpoint: imds.url, resource: 'https://vault.azure.net', tokenType: 'Bearer', claims: { xms_mirid: MIRID } });
    expect(parsed.expiresInSeconds).toBeGreaterThan(86_000);
    expect(result.stdout).not.toContain('access_token');
    expect(result.stdout).not.toContain(signature());
  });

  it('exits 1 with IMDS error text when IMDS refuses', async () => {
    const result = await milab(['token', '--client-id', 'unknown'], env());
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('HTTP 400 invalid_request: Identity not found');
    expect(result.stderr).toMatch(/next step: .*attached to this VM/);
    expect(result.stderr).not.toMatch(/^\s+at /m); // no stack trace
  });

  it('exits 1 before any request when two selectors are given', async () => {
    const before = imds.seen.length;
    const result = await milab(['token', '--client-id', 'a', '--object-id', 'b'], env());
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Choose one identity: got client id and object id');
    expect(imds.seen.length).toBe(before);
  });

  it('exits 2 and explains when IMDS is unreachable', async () => {
    const result = await milab(['token'], { MILAB_HOME: home, AZURE_POD_IDENTITY_AUTHORITY_HOST: 'http://127.0.0.1:9' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('IMDS at http://127.0.0.1:9 is unreachable');
    expect(result.stderr).toContain('not running on an Azure VM');
    expect(result.stderr).toContain('AZURE_POD_IDENTITY_AUTHORITY_HOST');
  });

  it('refuses --raw with --json', async () => {
    const result = await milab(['token', '--raw', '--json'], env());
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cannot be used with/);
    expect(result.stdout).toBe('');
  });
});

describe('milab config', () => {
  it('set validates keys and values, naming the input, what is expected and the next step', async () => {
    const [badKey, badSub, badTarget] = await Promise.all([
      milab(['config', 'set', 'colour', 'blue'], { MILAB_HOME: home }),
      milab(['config', 'set', 'subscriptionId', 'not-a-guid'], { MILAB_HOME: home }),
      milab(['config', 'set', 'target', 'aws'], { MILAB_HOME: home }),
    ]);
    expect(badKey.code).toBe(1);
    expect(badKey.stderr).toContain('Unknown config key "colour". Expected one of: target, subscriptionId, tenantId, resourceGroup, location, learnerId, mode.');
    expect(badKey.stderr).toContain('next step:');
    expect(badSub.code).toBe(1);
    expect(badSub.stderr).toContain('Invalid subscriptionId "not-a-guid": expected a GUID');
    expect(badSub.stderr).toContain('az account show');
    expect(badTarget.stderr).toContain('expected one of emulator, azure');
    expect(() => readFileSync(join(home, 'config.json'))).toThrow();
  });

  it('set stores, show reports the source, and the environment wins', async () => {
    const set = await milab(['config', 'set', 'target', 'azure'], { MILAB_HOME: home });
    expect(set.code).toBe(0);
    expect(set.stdout).toContain(`target = azure (saved in ${join(home, 'config.json')})`);
    await milab(['config', 'set', 'subscriptionId', SUB], { MILAB_HOME: home });

    const shown = await milab(['config', 'show', '--json'], { MILAB_HOME: home, MILAB_LEARNER: 'jane' });
    expect(shown.code).toBe(0);
    const { values } = JSON.parse(shown.stdout) as { values: Record<string, { value: string; source: string; detail?: string }> };
    expect(values.target).toMatchObject({ value: 'azure', source: 'file' });
    expect(values.subscriptionId).toMatchObject({ value: SUB, source: 'file' });
    expect(values.learnerId).toMatchObject({ value: 'jane', source: 'env', detail: 'MILAB_LEARNER' });
    expect(values.resourceGroup).toMatchObject({ value: 'rg-milab-jane', source: 'default' });

    const human = await milab(['config', 'show'], { MILAB_HOME: home, MILAB_TARGET: 'emulator' });
    expect(human.stdout).toMatch(/target\s+emulator\s+\(env MILAB_TARGET\)/);

    const overridden = await milab(['config', 'set', 'target', 'emulator'], { MILAB_HOME: home, MILAB_TARGET: 'azure' });
    expect(overridden.stderr).toContain('MILAB_TARGET is set in the environment and wins over the file');
  });

  it('prints a stack trace only with MILAB_DEBUG=1', async () => {
    const [plain, debug] = await Promise.all([
      milab(['config', 'set', 'target', 'aws'], { MILAB_HOME: home }),
      milab(['config', 'set', 'target', 'aws'], { MILAB_HOME: home, MILAB_DEBUG: '1' }),
    ]);
    expect(plain.stderr).not.toMatch(/^\s+at /m);
    expect(debug.stderr).toMatch(/^\s+at /m);
    expect(debug.stderr).toContain('ConfigError');
  });
});

describe('milab doctor', () => {
  it('reports a missing emulator with the fix, and exits 1', async () => {
    const result = await milab(['doctor', '--json'], { MILAB_HOME: home });
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as { ok: boolean; checks: { id: string; status: string; fix?: string }[] };
    expect(report.ok).toBe(false);
    expect(report.checks.map((c) => [c.id, c.status])).toEqual([
      ['node', 'pass'],
      ['config', 'pass'],
      ['reachable', 'fail'],
      ['signed-in', 'skip'],
      ['subscription', 'skip'],
    ]);
    expect(report.checks[2]?.fix).toContain('./milab emulator start --detach');
  });

  it('one line per check in human output, with the fix on failures', async () => {
    const result = await milab(['doctor'], { MILAB_HOME: home, MILAB_TARGET: 'mars' });
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^✔ Node\.js/);
    expect(lines[1]).toMatch(/^✖ Config .*Invalid target "mars".* — fix: /);
    expect(lines.slice(2).every((l) => l.startsWith('- '))).toBe(true);
  });
});

describe('a closed pipe', () => {
  it('ends quietly with exit 0 on EPIPE (milab … | head), and rethrows any other stream error', async () => {
    const { EventEmitter } = await import('node:events');
    const { exitQuietlyOnClosedPipe } = await import('../src/run.js');
    const stream = new EventEmitter() as unknown as NodeJS.WriteStream;
    const exits: number[] = [];
    exitQuietlyOnClosedPipe(stream, (code) => exits.push(code));
    stream.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    expect(exits).toEqual([0]);
    expect(() => stream.emit('error', Object.assign(new Error('disk full'), { code: 'ENOSPC' }))).toThrow('disk full');
  });
});
