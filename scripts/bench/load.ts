// A bounded HTTP load: up to `requests` GETs, for at most `maxMs`, over `concurrency` keep-alive
// connections (undici Pool), each caller sending its next request when the previous answer is read.
import { percentile } from './stats.js';
import { Pool } from './workspace.js';

export interface LoadResult {
  /** Requests per second over the whole run. */
  rps: number;
  p50: number;
  p99: number;
}

/** Sends `requests` GETs of `path` to `origin` (127.0.0.1 only); every answer must be 200. */
export async function load(origin: string, path: string, options: { concurrency: number; requests: number; caPem: string; headers?: Record<string, string>; warmup?: number; maxMs?: number }): Promise<LoadResult> {
  if (!new URL(origin).hostname.startsWith('127.')) throw new Error(`load: ${origin} is not on 127.0.0.1; the suite sends traffic nowhere else.`);
  const pool = new Pool(origin, { connections: options.concurrency, pipelining: 1, connect: { ca: options.caPem } });
  const once = async (): Promise<number> => {
    const started = performance.now();
    const answer = await pool.request({ method: 'GET', path, headers: options.headers ?? {} });
    await answer.body.dump();
    if (answer.statusCode !== 200) throw new Error(`GET ${path} answered ${answer.statusCode}`);
    return performance.now() - started;
  };
  try {
    const run = async (count: number): Promise<number[]> => {
      const times: number[] = [];
      const deadline = performance.now() + (options.maxMs ?? Infinity);
      let next = 0;
      await Promise.all(
        Array.from({ length: options.concurrency }, async () => {
          while (next < count && performance.now() < deadline) {
            next++;
            times.push(await once());
          }
        }),
      );
      return times;
    };
    await run(options.warmup ?? Math.min(200, options.requests));
    const started = performance.now();
    const times = await run(options.requests);
    const seconds = (performance.now() - started) / 1000;
    return { rps: times.length / seconds, p50: percentile(times, 50), p99: percentile(times, 99) };
  } finally {
    await pool.close();
  }
}
