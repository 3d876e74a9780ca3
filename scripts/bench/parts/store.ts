// The store at class size: PUT p50 and a subscription-wide list page p50 with 500 learners'
// resources against the seeded, empty world, through the emulator's own store benchmark
// (packages/emulator/scripts/bench-store.ts: an in-process emulator per world, each learner a
// resource group, an identity, its Reader assignment and every other learner a VM).
import type { PartOptions } from '../part.js';
import type { Row } from '../table.js';
import { measureStore } from '../workspace.js';

/** Runs this part of the suite. */
export async function run({ quick, log }: PartOptions): Promise<Row[]> {
  const learners = quick ? 5 : 500;
  const rounds = quick ? 5 : 100;
  log(`store: the empty (seeded) world, then ${learners} learners; ${rounds} PUTs and list pages each`);
  const empty = await measureStore(0, rounds);
  const full = await measureStore(learners, rounds);
  const part = 'store';
  const ref = (value: number, unit: 'ms' | 'req/s') => ({ name: 'empty world', value, unit });
  return [
    { part, name: `PUT identity p50, ${learners} learners`, measured: { value: full.putP50, unit: 'ms' }, reference: ref(empty.putP50, 'ms'), target: { text: '≤ 1.5 × empty', test: (r) => r <= 1.5 } },
    { part, name: `writes with 10 in flight, ${learners} learners`, measured: { value: full.writesPerSecond, unit: 'req/s' }, reference: ref(empty.writesPerSecond, 'req/s') },
    { part, name: `list identities (subscription, 1st page) p50, ${learners} learners`, measured: { value: full.listP50, unit: 'ms' }, reference: ref(empty.listP50, 'ms'), target: { text: '≤ 2 × empty', test: (r) => r <= 2 } },
  ];
}
