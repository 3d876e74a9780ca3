// The "Done when", through the real CLI: `milab emulator start --detach`, then the
// exports of `milab emulator env --as learner` let a script using only the public Azure SDK
// packages do steps 1–3 of the seed; the same script as grader is refused every write; then
// status, log, reset and stop. Temp state directory, a free port on 127.0.0.1.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorEnv, shellQuote } from '../src/commands/emulator-actions.js';
import { parseExports } from './support.js';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const main = join(root, 'packages', 'cli', 'src', 'main.ts');
const script = join(root, 'packages', 'emulator', 'test', 'fixtures', 'seed-steps.mjs');

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** A clean environment: no Azure or milab variables leak in from the developer's shell. */
function baseEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(AZURE_|MILAB_|ARM_|NODE_EXTRA_CA_CERTS)/.test(key)));
}

interface StepResult {
  step: string;
  ok: boolean;
  status?: number;
  code?: string;
  message?: string;
}

describe('milab emulator (CLI, end to end)', () => {
  let stateDir = '';
  let port = 0;
  const milab = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await run(process.execPath, ['--conditions=source', '--import', 'tsx', main, 'emulator', ...args, '--state-dir', stateDir], {
        cwd: root,
        env: baseEnv(),
        timeout: 30_000,
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  };
  const seedSteps = async (vars: Record<string, string>): Promise<{ code: number; results: StepResult[] }> => {
    let stdout = '';
    let code = 0;
    try {
      ({ stdout } = await run(process.execPath, [script], { cwd: root, env: { ...baseEnv(), ...vars }, timeout: 30_000 }));
    } catch (error) {
      const e = error as { code?: number; stdout?: string };
      stdout = e.stdout ?? '';
      code = e.code ?? 1;
    }
    const line = stdout.trim().split('\n').at(-1) ?? '[]';
    return { code, results: JSON.parse(line) as StepResult[] };
  };

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'milab-cli-emulator-'));
    port = await freePort();
  });
  afterAll(async () => {
    await milab('stop');
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('start --detach serves; env as learner lets the seed script do steps 1–3; as grader every write is refused', async () => {
    const started = await milab('start', '--detach', '--port', String(port));
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toContain(`https://127.0.0.1:${port}`);
    // Typically 0.5–0.8 s on an idle machine; the bound only catches a hang (CI machines are shared).
    const readyMs = Number(/ready in (\d+) ms/.exec(started.stdout)?.[1]);
    expect(readyMs).toBeLessThan(10_000);

    const learnerEnv = await milab('env', '--as', 'learner');
    expect(learnerEnv.code, learnerEnv.stderr).toBe(0);
    const learner = parseExports(learnerEnv.stdout);
    expect(Object.keys(learner)).toEqual(
      expect.arrayContaining([
        'AZURE_TENANT_ID',
        'AZURE_CLIENT_ID',
        'AZURE_CLIENT_SECRET',
        'AZURE_AUTHORITY_HOST',
        'AZURE_SUBSCRIPTION_ID',
        'AZURE_RESOURCE_MANAGER_ENDPOINT',
        'NODE_EXTRA_CA_CERTS',
        'ARM_CLOUD_METADATA_URL',
      ]),
    );
    const asLearner = await seedSteps(learner);
    expect(asLearner.results.map((r) => [r.step, r.ok, r.code])).toEqual([
      ['read resource group', true, undefined],
      ['1 create identity', true, undefined],
      ['2 grant Reader on the subscription', true, undefined],
      ['3 attach identity to labvm', true, undefined],
    ]);
    expect(asLearner.code).toBe(0);

    const grader = parseExports((await milab('env', '--as', 'grader')).stdout);
    const asGrader = await seedSteps(grader);
    expect(asGrader.code).toBe(1);
    expect(asGrader.results[0]).toMatchObject({ step: 'read resource group', ok: true });
    for (const write of asGrader.results.slice(1)) {
      expect(write, write.step).toMatchObject({ ok: false, status: 403, code: 'AuthorizationFailed' });
    }
    expect(asGrader.results[1]?.message).toContain("'Microsoft.ManagedIdentity/userAssignedIdentities/write'");
    expect(asGrader.results[2]?.message).toContain("'Microsoft.Authorization/roleAssignments/write'");
    expect(asGrader.results[3]?.message).toContain("'Microsoft.Compute/virtualMachines/write'");
  }, 90_000);

  it('log --principal grader shows only reads and refused writes; status, reset and stop', async () => {
    const log = await milab('log', '--principal', 'grader', '--json');
    expect(log.code, log.stderr).toBe(0);
    const entries = JSON.parse(log.stdout) as { method: string; status: number }[];
    expect(entries.length).toBeGreaterThan(3);
    for (const entry of entries) {
      if (entry.method === 'GET' || entry.method === 'HEAD') expect(entry.status).toBeLessThan(400);
      else expect(entry.status).toBe(403);
    }
    expect(log.stdout).not.toMatch(/eyJ[\w-]+\./);

    const status = await milab('status', '--json');
    const body = JSON.parse(status.stdout) as { running: boolean; url: string; world: { userAssignedIdentities: string[]; virtualMachines: { name: string; identity: string }[] } };
    expect(body).toMatchObject({ running: true, url: `https://127.0.0.1:${port}` });
    expect(body.world.userAssignedIdentities).toEqual(['seed-identity']);
    expect(body.world.virtualMachines).toEqual([{ name: 'labvm', identity: 'UserAssigned' }]);

    const reset = await milab('reset');
    expect(reset.code, reset.stderr).toBe(0);
    const after = JSON.parse((await milab('status', '--json')).stdout) as typeof body;
    expect(after.world.userAssignedIdentities).toEqual([]);
    expect(after.world.virtualMachines).toEqual([{ name: 'labvm', identity: 'None' }]);

    const stopped = await milab('stop');
    expect(stopped.stdout).toContain('stopped the emulator');
    const down = await milab('status');
    expect(down.stdout).toContain('not running');
    const env = await milab('env');
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('not running');
    expect(env.stderr).toContain('./milab emulator start --detach');
    expect(env.stderr).not.toContain('    at ');
  }, 90_000);

  it('rejects bad input with the input, what was expected and the next step', async () => {
    const who = await milab('env', '--as', 'admin');
    expect(who.code).toBe(1);
    expect(who.stderr).toContain("unknown principal 'admin': expected one of learner, grader, instructor");
    const badPort = await milab('start', '--port', 'http');
    expect(badPort.code).toBe(1);
    expect(badPort.stderr).toContain("invalid --port value 'http'");
  }, 60_000);

  it('quotes values for the shell', () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    const vars = emulatorEnv(
      {
        version: 1,
        pid: 1,
        url: 'https://127.0.0.1:8443',
        caFile: '/tmp/ca.pem',
        tenantId: 't',
        subscriptionId: 's',
        resourceGroup: 'DevTest',
        location: 'westus',
        principals: {
          learner: { displayName: 'l', clientId: 'c', objectId: 'o', clientSecret: "a'b" },
          grader: { displayName: 'g', clientId: 'c', objectId: 'o', clientSecret: 'x' },
          instructor: { displayName: 'i', clientId: 'c', objectId: 'o', clientSecret: 'y' },
        },
        startedAt: '',
      },
      'learner',
    );
    expect(vars.AZURE_RESOURCE_MANAGER_ENDPOINT).toBe('https://127.0.0.1:8443');
    expect(parseExports(`export AZURE_CLIENT_SECRET=${shellQuote(vars.AZURE_CLIENT_SECRET ?? '')}`).AZURE_CLIENT_SECRET).toBe("a'b");
  });
});
