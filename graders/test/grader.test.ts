// gradeLabs and labDone without Azure: graders built from counting checks (no ARM read is made,
// so a stand-in context is enough) show that a later lab's "lab NN is done" check reuses the
// earlier lab's key check result in the same run, runs only the key check's chain (once) when
// graded alone, starts before the rest of the earlier lab is done, and that events still come lab
// by lab in the declared order.
import { describe, expect, it } from 'vitest';
import { fail, pass, type Check, type CheckOutcome, type RunEvent } from '@milab/grading';
import type { GraderContext } from '../lib/context.js';
import { defineGrader, gradeLabs, labDone, type Grader } from '../lib/grader.js';

const ctx = () => ({ config: { target: 'emulator' } }) as unknown as GraderContext;

/** A check that counts its runs and returns `outcome` (after `wait`, when given). */
function counted(id: string, runs: Map<string, number>, outcome: () => CheckOutcome, extra: { dependsOn?: string[]; wait?: Promise<void> } = {}): Check<GraderContext> {
  return {
    id,
    title: `Title of ${id}`,
    ...(extra.dependsOn ? { dependsOn: extra.dependsOn } : {}),
    async run() {
      runs.set(id, (runs.get(id) ?? 0) + 1);
      await extra.wait;
      return outcome();
    },
  };
}

/** Labs 01 → 02 → 03, each building on the one before; `ok` says whether 01's key check passes. */
function course(runs: Map<string, number>, options: { ok?: boolean; slowTags?: Promise<void> } = {}): Grader[] {
  const exists = counted('01.identity-exists', runs, () => (options.ok === false ? fail({ found: 'no identity id-ada', expected: 'one', fix: 'create it' }) : pass()));
  const tags = counted('01.identity-tags', runs, () => pass(), { dependsOn: ['01.identity-exists'], ...(options.slowTags ? { wait: options.slowTags } : {}) });
  const g01 = defineGrader('01', [exists, tags], exists.id);
  const reader = counted('02.reader-at-subscription', runs, () => pass(), { dependsOn: ['02.identity-ready'] });
  const g02 = defineGrader('02', [labDone('02.identity-ready', g01), reader], reader.id);
  const attached = counted('03.identity-attached', runs, () => pass(), { dependsOn: ['03.lab-02-done'] });
  const g03 = defineGrader('03', [labDone('03.lab-02-done', g02), attached], attached.id);
  return [g01, g02, g03];
}

describe('labDone', () => {
  it('reuses the earlier lab key check result in the same run: every check runs once', async () => {
    const runs = new Map<string, number>();
    const { report } = await gradeLabs(course(runs), { ctx: ctx() });
    expect(report.status).toBe('passed');
    expect([...runs.values()]).toEqual([1, 1, 1, 1]);
  });

  it('graded alone, runs only the earlier key check chain, once per context', async () => {
    const runs = new Map<string, number>();
    const [, , g03] = course(runs);
    const shared = ctx();
    await gradeLabs([g03!], { ctx: shared });
    await gradeLabs([g03!], { ctx: shared });
    // 01.identity-tags is not on the chain of 02's key check; the chain ran once for both grades.
    expect(Object.fromEntries(runs)).toEqual({ '01.identity-exists': 1, '02.reader-at-subscription': 1, '03.identity-attached': 2 });
  });

  it('an earlier lab not done: the later ones are skipped at once, quoting what the first check found', async () => {
    const runs = new Map<string, number>();
    const [, , g03] = course(runs, { ok: false });
    const { report } = await gradeLabs([g03!], { ctx: ctx() });
    const first = report.results[0]!;
    expect(first.status).toBe('skip');
    expect((first as { reason: string }).reason).toBe(
      'lab 02 is not done: 02.reader-at-subscription (Title of 02.reader-at-subscription) does not pass: lab 01 is not done: 01.identity-exists (Title of 01.identity-exists) does not pass: no identity id-ada. Finish lab 01 first (`./milab grade 01` says what is missing). Finish lab 02 first (`./milab grade 02` says what is missing).',
    );
    expect(runs.has('02.reader-at-subscription')).toBe(false);
    expect(runs.has('03.identity-attached')).toBe(false);
  });

  it('the next lab starts once the key check is done, before the rest of the earlier lab; events stay lab by lab', async () => {
    const runs = new Map<string, number>();
    let open!: () => void;
    const slowTags = new Promise<void>((resolve) => (open = resolve));
    const events: string[] = [];
    const pending = gradeLabs(course(runs, { slowTags }), {
      ctx: ctx(),
      onEvent: (event: RunEvent) => events.push(`${event.lab}:${event.type}:${event.type === 'start' ? event.check.id : event.result.id}`),
    });
    // Wait until lab 03 has run while 01.identity-tags still waits (sequential grading never gets there).
    for (let i = 0; i < 100 && !runs.has('03.identity-attached'); i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(runs.get('03.identity-attached')).toBe(1);
    // Nothing of lab 02 is shown before lab 01 is done.
    expect(events.some((e) => e.startsWith('02:'))).toBe(false);
    open();
    const { reports } = await pending;
    expect(reports.map((r) => r.status)).toEqual(['passed', 'passed', 'passed']);
    expect(events).toEqual([
      '01:start:01.identity-exists',
      '01:finish:01.identity-exists',
      '01:start:01.identity-tags',
      '01:finish:01.identity-tags',
      '02:start:02.identity-ready',
      '02:finish:02.identity-ready',
      '02:start:02.reader-at-subscription',
      '02:finish:02.reader-at-subscription',
      '03:start:03.lab-02-done',
      '03:finish:03.lab-02-done',
      '03:start:03.identity-attached',
      '03:finish:03.identity-attached',
    ]);
  });
});
