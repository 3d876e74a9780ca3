// ARM GET of the seeded resource group against a bare node:https server with the same
// certificate and body, at concurrency 1, 10 and 50: throughput, p50 and p99, side by side.
import { load } from '../load.js';
import type { PartOptions } from '../part.js';
import { rgPath, startServers } from '../servers.js';
import type { Row } from '../table.js';

/** Runs this part of the suite. */
export async function run({ quick, log }: PartOptions): Promise<Row[]> {
  const servers = await startServers({ bare: true });
  const rows: Row[] = [];
  try {
    const path = rgPath(servers.subscriptionId);
    for (const concurrency of [1, 10, 50]) {
      const requests = quick ? 60 : concurrency === 1 ? 2000 : 4000;
      log(`arm-get: up to ${requests} GETs (at most 3 s) at concurrency ${concurrency}, emulator then bare server`);
      const common = { concurrency, requests, caPem: servers.caPem, warmup: quick ? 10 : 200, maxMs: quick ? 300 : 3000 };
      const arm = await load(servers.url, path, { ...common, headers: { authorization: `Bearer ${servers.token}` } });
      const bare = await load(servers.bareUrl!, path, common);
      const part = 'arm-get';
      rows.push(
        { part, name: `GET resource group, c=${concurrency}: throughput`, measured: { value: arm.rps, unit: 'req/s' }, reference: { name: 'bare https', value: bare.rps, unit: 'req/s' }, target: { text: '≥ 0.6 × bare', test: (r) => r >= 0.6 } },
        { part, name: `GET resource group, c=${concurrency}: p50`, measured: { value: arm.p50, unit: 'ms' }, reference: { name: 'bare https', value: bare.p50, unit: 'ms' } },
        { part, name: `GET resource group, c=${concurrency}: p99`, measured: { value: arm.p99, unit: 'ms' }, reference: { name: 'bare https', value: bare.p99, unit: 'ms' } },
      );
    }
  } finally {
    await servers.stop();
  }
  return rows;
}
