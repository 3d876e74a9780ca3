// Cold start to first token: `milab emulator start --detach` run as a process (as a learner runs
// it), then client-credentials token requests until one is issued; on a fresh state directory
// and again on the one that start left behind.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PartOptions } from '../part.js';
import { cliEnv, directLauncher, runProcess } from '../processes.js';
import { median } from '../stats.js';
import type { Row } from '../table.js';
import { Agent, readConnection, request, stopEmulator } from '../workspace.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts the emulator through the CLI in `stateDir`; times the start and the first token after it. */
async function startToToken(home: string, stateDir: string): Promise<{ startMs: number; tokenMs: number }> {
  const start = await runProcess(directLauncher().command, [...directLauncher().args, 'emulator', 'start', '--detach', '--port', '0', '--state-dir', stateDir], { env: cliEnv(home), timeoutMs: 60_000 });
  if (start.code !== 0) throw new Error(`milab emulator start --detach exited with ${start.code ?? 'a signal'}: ${start.output.trim().split('\n').slice(-3).join(' ')}`);
  const returned = performance.now();
  const connection = readConnection(stateDir);
  if (!connection) throw new Error(`milab emulator start --detach returned but ${stateDir} has no connection.json`);
  const dispatcher = new Agent({ connect: { ca: readFileSync(connection.caFile, 'utf8') } });
  const learner = connection.principals.learner;
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: learner.clientId, client_secret: learner.clientSecret, scope: 'https://management.azure.com/.default' }).toString();
  try {
    for (const deadline = returned + 15_000; performance.now() < deadline; await sleep(5)) {
      try {
        const answer = await request(`${connection.url}/${connection.tenantId}/oauth2/v2.0/token`, { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' }, dispatcher });
        await answer.body.dump();
        if (answer.statusCode === 200) return { startMs: start.ms, tokenMs: performance.now() - returned };
      } catch {
        // Not serving yet: ask again.
      }
    }
    throw new Error('no token within 15 s of start --detach returning');
  } finally {
    await dispatcher.close();
  }
}

/** Runs this part of the suite. */
export async function run({ quick, log }: PartOptions): Promise<Row[]> {
  const runs = quick ? 1 : 2;
  const fresh: { startMs: number; tokenMs: number }[] = [];
  const existing: { startMs: number; tokenMs: number }[] = [];
  for (let i = 0; i < runs; i++) {
    const home = mkdtempSync(join(tmpdir(), 'milab-bench-home-'));
    const stateDir = join(home, 'emulator');
    // A detached emulator outlives this process: Ctrl-C stops it and removes its home first.
    const interrupted = () => {
      void stopEmulator(stateDir)
        .catch(() => undefined)
        .finally(() => {
          rmSync(home, { recursive: true, force: true });
          process.exit(130);
        });
    };
    process.once('SIGINT', interrupted);
    try {
      log(`cold-start: run ${i + 1} of ${runs}, fresh state, then the same state again`);
      fresh.push(await startToToken(home, stateDir));
      await stopEmulator(stateDir);
      existing.push(await startToToken(home, stateDir));
    } finally {
      await stopEmulator(stateDir).catch(() => undefined);
      rmSync(home, { recursive: true, force: true });
      process.off('SIGINT', interrupted);
    }
  }
  const row = (state: string, samples: typeof fresh): Row => ({
    part: 'cold-start',
    name: `first token after start --detach returns, ${state} state`,
    measured: { value: median(samples.map((s) => s.tokenMs)), unit: 'ms' },
    reference: { name: 'start --detach itself', value: median(samples.map((s) => s.startMs)), unit: 'ms' },
    target: { text: '≤ 500 ms after start', test: (ms) => ms <= 500, on: 'measured' },
  });
  return [row('fresh', fresh), row('existing', existing)];
}
