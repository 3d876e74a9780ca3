// The critical path of grading: the longest chain of ARM calls that must follow one another.
// A check waits on its `dependsOn` (and a later lab's "earlier lab done" prerequisite on that
// lab's key check); its own weight is the ARM calls it adds when everything it depends on has
// already run in the same context — counted from the emulator's audit log, not assumed. A
// check's own calls are counted as one after another, so the bound errs on the generous side.
import type { LabWorld } from './workspace.js';
import { createGraderContext, GRADERS, readAudit, runChecks, type Check } from './workspace.js';

type AnyCheck = Check<Awaited<ReturnType<typeof createGraderContext>>>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The grader's ARM calls in the audit log so far, once the count has settled (the log may be written in batches). */
async function auditedCalls(stateDir: string): Promise<number> {
  let last = readAudit(stateDir, { principal: 'grader' }).length;
  for (let i = 0; i < 40; i++) {
    await sleep(25);
    const now = readAudit(stateDir, { principal: 'grader' }).length;
    if (now === last && i >= 1) return now;
    last = now;
  }
  return last;
}

export interface CriticalPath {
  /** ARM calls on the longest dependency chain (the context's own calls included). */
  calls: number;
  /** The checks on it, first to last. */
  chain: string[];
  /** Every check's own ARM calls given its dependencies, by id. */
  weights: Record<string, number>;
}

/** The critical path of grading labs `labIds` in `world` (whose labs must be solved; latency off). */
export async function criticalPath(world: LabWorld, labIds: readonly string[]): Promise<CriticalPath> {
  const graders = GRADERS.filter((g) => labIds.includes(g.lab.id));
  const order: AnyCheck[] = graders.flatMap((g) => [...g.checks]);
  const deps = new Map<string, string[]>();
  graders.forEach((grader, i) => {
    const previous = GRADERS[GRADERS.indexOf(grader) - 1];
    for (const check of grader.checks) {
      const own = [...(check.dependsOn ?? [])];
      // "Lab NN is done": waits on the earlier lab's key check, whether or not it says so in dependsOn.
      if (check.role === 'prerequisite' && previous && i > 0 && !own.includes(previous.keyCheck.id)) own.push(previous.keyCheck.id);
      deps.set(check.id, own.filter((id) => order.some((c) => c.id === id)));
    }
  });
  const closure = (id: string, into = new Set<string>()): Set<string> => {
    if (!into.has(id)) {
      into.add(id);
      for (const d of deps.get(id) ?? []) closure(d, into);
    }
    return into;
  };
  const counted = new Map<string, number>();
  // ARM calls of grading exactly these checks (in lab order) in a fresh grader context.
  const callsOf = async (ids: ReadonlySet<string>): Promise<number> => {
    const key = [...ids].sort().join(',');
    const known = counted.get(key);
    if (known !== undefined) return known;
    const before = await auditedCalls(world.stateDir);
    const ctx = await createGraderContext({ config: world.config, env: world.env });
    // earnsWith is about points, not about waiting: dropped, so that any subset is a valid grader.
    const checks = order.filter((c) => ids.has(c.id)).map(({ earnsWith: _points, ...check }) => check);
    if (checks.length > 0) {
      const report = await runChecks(checks, { ctx, lab: 'bench', target: 'emulator' });
      if (report.status === 'error') throw new Error(`grading ${key} to count its ARM calls ended in error: ${report.error?.message ?? 'unknown'}`);
    }
    const calls = (await auditedCalls(world.stateDir)) - before;
    counted.set(key, calls);
    return calls;
  };
  const base = await callsOf(new Set());
  const weights: Record<string, number> = {};
  const depth = new Map<string, { calls: number; chain: string[] }>();
  for (const check of order) {
    const withIt = closure(check.id);
    const without = new Set(withIt);
    without.delete(check.id);
    weights[check.id] = Math.max(0, (await callsOf(withIt)) - (await callsOf(without)));
    const longest = (deps.get(check.id) ?? []).map((d) => depth.get(d)!).reduce((a, b) => (b.calls > a.calls ? b : a), { calls: 0, chain: [] as string[] });
    depth.set(check.id, { calls: longest.calls + weights[check.id]!, chain: [...longest.chain, check.id] });
  }
  const top = [...depth.values()].reduce((a, b) => (b.calls > a.calls ? b : a), { calls: 0, chain: [] as string[] });
  return { calls: base + top.calls, chain: top.chain, weights };
}
