// ARM GET of the seeded resource group against a bare node:https server with the same
// certificate and body, at concurrency 1, 10 and 50: throughput, p50 and p99, side by side.
// Each concurrency is measured in a few short rounds that alternate which server goes first,
// and each figure is the median of its rounds: on a machine others share, a change of load
// during one long run of one server would otherwise count against that server alone.
import { load, type LoadResult } from '../load.js';
import type { PartOptions } from '../part.js';
import { rgPath, startServers } from '../servers.js';
import { median } from '../stats.js';
import type { Row } from '../table.js';

/** Rounds per concurrency (odd: the median is one round's figure). */
const ROUNDS = 3;

/** Runs this part of the suite. */
export async function run({ quick, log }: PartOptions): Promise<Row[]> {
  const servers = await startServers({ bare: true });
  const rows: Row[] = [];
  try {
    const path = rgPath(servers.subscriptionId);
    const rounds = quick ? 1 : ROUNDS;
    for (const concurrency of [1, 10, 50]) {
      const requests = quick ? 60 : concurrency === 1 ? 1500 : 4000;
      log(`arm-get: ${rounds} round(s) of up to ${requests} GETs (at most 1 s) per server at concurrency ${concurrency}, alternating which goes first`);
      const common = { concurrency, requests, caPem: servers.caPem, warmup: quick ? 10 : 100, maxMs: quick ? 300 : 1000 };
      const arm: LoadResult[] = [];
      const bare: LoadResult[] = [];
      const runArm = async () => void arm.push(await load(servers.url, path, { ...common, headers: { authorization: `Bearer ${servers.token}` } }));
      const runBare = async () => void bare.push(await load(servers.bareUrl!, path, common));
      for (let round = 0; round < rounds; round++) {
        for (const next of round % 2 === 0 ? [runArm, runBare] : [runBare, runArm]) await next();
      }
      const of = (results: LoadResult[], key: keyof LoadResult) => median(results.map((r) => r[key]));
      const part = 'arm-get';
      rows.push(
        { part, name: `GET resource group, c=${concurrency}: throughput`, measured: { value: of(arm, 'rps'), unit: 'req/s' }, reference: { name: 'bare https', value: of(bare, 'rps'), unit: 'req/s' }, target: { text: '≥ 0.6 × bare', test: (r) => r >= 0.6 } },
        { part, name: `GET resource group, c=${concurrency}: p50`, measured: { value: of(arm, 'p50'), unit: 'ms' }, reference: { name: 'bare https', value: of(bare, 'p50'), unit: 'ms' } },
        { part, name: `GET resource group, c=${concurrency}: p99`, measured: { value: of(arm, 'p99'), unit: 'ms' }, reference: { name: 'bare https', value: of(bare, 'p99'), unit: 'ms' } },
      );
    }
  } finally {
    await servers.stop();
  }
  return rows;
}
