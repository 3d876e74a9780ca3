import { describe, expect, it } from 'vitest';
import {
  CannotGradeError,
  currentCheckSignal,
  exitCodeFor,
  fail,
  pass,
  runChecks,
  skip,
  type Check,
  type CheckResult,
  type RunEvent,
} from '../src/index.js';
import { check, hanging, throwing } from './helpers.js';

const byId = (results: readonly CheckResult[], id: string): CheckResult => {
  const result = results.find((r) => r.id === id);
  if (result === undefined) throw new Error(`no result for ${id}`);
  return result;
};

describe('outcome builders', () => {
  it('build the three outcomes, leaving out absent optional fields', () => {
    expect(pass()).toEqual({ status: 'pass' });
    expect(pass({ details: 'd' })).toEqual({ status: 'pass', details: 'd' });
    expect(fail({ found: 'f', expected: 'e', fix: 'x' })).toEqual({ status: 'fail', found: 'f', expected: 'e', fix: 'x' });
    expect(Object.keys(fail({ found: 'f', expected: 'e', fix: 'x' }))).not.toContain('retryAfterSeconds');
    expect(fail({ found: 'f', expected: 'e', fix: 'x', retryAfterSeconds: 30 }).retryAfterSeconds).toBe(30);
    expect(skip({ reason: 'r' })).toEqual({ status: 'skip', reason: 'r' });
  });
});

describe('runChecks', () => {
  it('records each outcome with id, title, weight, lab and duration, in order', async () => {
    const report = await runChecks(
      [
        check('01.a', pass({ details: 'ok' }), { title: 'A' }),
        check('01.b', fail({ found: 'nothing', expected: 'something', fix: 'create it' }), { weight: 3 }),
        check('01.c', skip({ reason: 'lab 00 not done' })),
      ],
      { ctx: undefined, lab: '01', title: 'Lab one', target: 'emulator' },
    );
    expect(report.results.map((r) => [r.id, r.status])).toEqual([
      ['01.a', 'pass'],
      ['01.b', 'fail'],
      ['01.c', 'skip'],
    ]);
    expect(report.results[0]).toMatchObject({ title: 'A', weight: 1, lab: '01', details: 'ok' });
    expect(report.results[1]).toMatchObject({ weight: 3, found: 'nothing', expected: 'something', fix: 'create it' });
    expect(report.results[2]).toMatchObject({ reason: 'lab 00 not done' });
    for (const result of report.results) expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(report).toMatchObject({ lab: '01', title: 'Lab one', target: 'emulator', status: 'failed' });
    expect(Number.isNaN(Date.parse(report.startedAt))).toBe(false);
  });

  it('passes the context and an abort signal to every check', async () => {
    const seen: unknown[] = [];
    const probe: Check<{ learner: string }> = {
      id: '01.ctx',
      title: 'Context',
      run: async (ctx, { signal }) => {
        seen.push(ctx.learner, signal instanceof AbortSignal, signal.aborted);
        return pass();
      },
    };
    await runChecks([probe], { ctx: { learner: 'alice' } });
    expect(seen).toEqual(['alice', true, false]);
  });

  it('is passed with exit code 0 only when every check passed', async () => {
    const report = await runChecks([check('a', pass()), check('b', pass())], { ctx: undefined });
    expect(report.status).toBe('passed');
    expect(exitCodeFor(report)).toBe(0);
  });

  it('is failed with exit code 1 when a check is skipped even if none failed', async () => {
    const report = await runChecks([check('a', pass()), check('b', skip({ reason: 'not yet' }))], { ctx: undefined });
    expect(report.status).toBe('failed');
    expect(exitCodeFor(report)).toBe(1);
  });

  describe('dependencies', () => {
    it('skips a check whose dependency failed, naming it', async () => {
      const report = await runChecks(
        [
          check('01.identity', fail({ found: 'none', expected: 'one', fix: 'create' }), { title: 'The identity exists' }),
          check('01.role', pass(), { dependsOn: ['01.identity'] }),
        ],
        { ctx: undefined },
      );
      expect(byId(report.results, '01.role')).toMatchObject({
        status: 'skip',
        reason: 'needs 01.identity (The identity exists) to pass first',
        durationMs: 0,
      });
    });

    it('skips transitively and names every dependency that did not pass', async () => {
      const report = await runChecks(
        [
          check('a', skip({ reason: 'earlier lab' }), { title: 'A' }),
          check('b', pass(), { title: 'B' }),
          check('c', fail({ found: 'x', expected: 'y', fix: 'z' }), { title: 'C' }),
          check('d', pass(), { dependsOn: ['a', 'b', 'c'] }),
          check('e', pass(), { dependsOn: ['d'], title: 'E' }),
        ],
        { ctx: undefined },
      );
      expect(byId(report.results, 'd')).toMatchObject({ status: 'skip', reason: 'needs a (A) and c (C) to pass first' });
      expect(byId(report.results, 'e')).toMatchObject({ status: 'skip', reason: 'needs d (Title of d) to pass first' });
    });

    it('runs a check whose dependencies all passed', async () => {
      const report = await runChecks([check('a', pass()), check('b', pass(), { dependsOn: ['a'] })], { ctx: undefined });
      expect(byId(report.results, 'b').status).toBe('pass');
    });
  });

  describe('time limits', () => {
    it('fails a check that exceeds its time limit, aborts its signal, and goes on', async () => {
      const seen: { aborted?: boolean } = {};
      const report = await runChecks([hanging('01.slow', seen), check('01.next', pass())], {
        ctx: undefined,
        perCheckTimeoutMs: 50,
      });
      expect(byId(report.results, '01.slow')).toMatchObject({
        status: 'fail',
        found: 'timed out after 0.05 s',
        expected: 'the check to finish within 0.05 s',
      });
      expect(seen.aborted).toBe(true);
      expect(byId(report.results, '01.next').status).toBe('pass');
      expect(exitCodeFor(report)).toBe(1);
    });

    it('work a check starts deep down sees its signal (currentCheckSignal), aborted when the check times out', async () => {
      expect(currentCheckSignal()).toBeUndefined();
      const seen: { same?: boolean; abortedLater?: Promise<boolean> } = {};
      // A helper that gets no tools, as a learner program's run on the VM does.
      const deepDown = () => {
        const signal = currentCheckSignal();
        seen.abortedLater = new Promise((resolve) => signal?.addEventListener('abort', () => resolve(true), { once: true }));
        return new Promise<never>(() => undefined);
      };
      const report = await runChecks(
        [
          {
            id: 'a',
            title: 'a',
            run: async (_ctx, { signal }) => {
              await Promise.resolve();
              seen.same = currentCheckSignal() === signal;
              return deepDown();
            },
          },
        ],
        { ctx: undefined, perCheckTimeoutMs: 50 },
      );
      expect(byId(report.results, 'a').status).toBe('fail');
      expect(seen.same).toBe(true);
      expect(await seen.abortedLater).toBe(true);
      expect(currentCheckSignal()).toBeUndefined();
    });

    it('skips the checks left when the whole run reaches its time limit', async () => {
      // b and c wait for a (an independent check would run at once, beside it).
      const report = await runChecks([hanging('a'), check('b', pass(), { dependsOn: ['a'] }), check('c', pass(), { dependsOn: ['b'] })], {
        ctx: undefined,
        perCheckTimeoutMs: 10_000,
        totalTimeoutMs: 50,
      });
      expect(byId(report.results, 'a')).toMatchObject({ status: 'fail' });
      expect((byId(report.results, 'a') as { found: string }).found).toMatch(
        /^timed out after 0\.0\d* s: the whole run's time limit of 0\.05 s was reached$/,
      );
      for (const id of ['b', 'c']) {
        expect(byId(report.results, id)).toMatchObject({
          status: 'skip',
          reason: "not checked: the whole run's time limit of 0.05 s was reached",
        });
      }
    });

    it('treats Infinity as no limit and rejects a limit that is not positive', async () => {
      // Takes a few ms: setTimeout(Infinity) would fire after 1 ms and time it out.
      const slowish = check('a', () => new Promise((resolve) => setTimeout(() => resolve(pass()), 20)));
      const report = await runChecks([slowish], {
        ctx: undefined,
        perCheckTimeoutMs: Number.POSITIVE_INFINITY,
        totalTimeoutMs: Number.POSITIVE_INFINITY,
      });
      expect(report.status).toBe('passed');
      await expect(runChecks([check('a', pass())], { ctx: undefined, perCheckTimeoutMs: 0 })).rejects.toThrow(
        /perCheckTimeoutMs is 0; expected a positive number/,
      );
      await expect(runChecks([check('a', pass())], { ctx: undefined, totalTimeoutMs: Number.NaN })).rejects.toThrow(RangeError);
    });

    it('skips checks not started before the total limit even when each one was quick', async () => {
      let calls = 0;
      // A chain, so that each starts after the one before it.
      const sleepy = (id: string, after?: string): Check => ({
        id,
        title: id,
        ...(after === undefined ? {} : { dependsOn: [after] }),
        run: () =>
          new Promise((resolve) => {
            calls += 1;
            setTimeout(() => resolve(pass()), 40);
          }),
      });
      const report = await runChecks([sleepy('a'), sleepy('b', 'a'), sleepy('c', 'b'), sleepy('d', 'c')], {
        ctx: undefined,
        perCheckTimeoutMs: 1_000,
        totalTimeoutMs: 60,
      });
      const skipped = report.results.filter((r) => r.status === 'skip');
      expect(skipped.length).toBeGreaterThan(0);
      expect(calls).toBe(report.results.length - skipped.length);
      for (const result of skipped) expect((result as { reason: string }).reason).toContain('time limit');
    });
  });

  describe('thrown errors', () => {
    it('turn an ordinary error into a failed check with its message and no stack, and go on', async () => {
      const error = new TypeError("Cannot read properties of undefined (reading 'principalId')");
      const report = await runChecks([throwing('01.a', error), check('01.b', pass())], { ctx: undefined });
      const result = byId(report.results, '01.a');
      expect(result).toMatchObject({ status: 'fail', expected: 'the check to finish with a result' });
      const found = (result as { found: string }).found;
      expect(found).toBe("the check stopped with an error: Cannot read properties of undefined (reading 'principalId')");
      expect(found).not.toContain(' at ');
      expect((result as { fix: string }).fix).toMatch(/did not expect this error.*run `\.\/milab grade` again/);
      expect(byId(report.results, '01.b').status).toBe('pass');
      expect(report.status).toBe('failed');
    });

    it('turn a synchronous throw and a thrown non-Error into failures too', async () => {
      const sync: Check = {
        id: 'sync',
        title: 'Sync',
        run: () => {
          throw new Error('boom');
        },
      };
      const report = await runChecks([sync, throwing('str', 'plain string'), throwing('obj', { code: 42 })], {
        ctx: undefined,
      });
      expect(report.results.map((r) => (r as { found: string }).found)).toEqual([
        'the check stopped with an error: boom',
        'the check stopped with an error: plain string',
        'the check stopped with an error: {"code":42}',
      ]);
    });

    it('stop grading on a CannotGradeError: exit 2, saying which kind, where and what to do', async () => {
      const report = await runChecks(
        [
          check('01.a', pass()),
          throwing('01.b', new CannotGradeError('sign-in', 'No Azure CLI session.', 'Run `az login`.'), { title: 'B' }),
          // Runs beside 01.b (it depends on nothing) and finishes; 01.d starts after 01.b stopped grading.
          check('01.c', () => new Promise((resolve) => setTimeout(() => resolve(pass()), 20))),
          check('01.d', pass(), { dependsOn: ['01.c'] }),
        ],
        { ctx: undefined, lab: '01' },
      );
      expect(report.status).toBe('error');
      expect(exitCodeFor(report)).toBe(2);
      expect(report.error).toEqual({
        kind: 'sign-in',
        message: 'No Azure CLI session.',
        hint: 'Run `az login`.',
        lab: '01',
        checkId: '01.b',
        checkTitle: 'B',
      });
      expect(byId(report.results, '01.b')).toMatchObject({ status: 'error', kind: 'sign-in' });
      expect(byId(report.results, '01.c').status).toBe('pass');
      expect(byId(report.results, '01.d')).toMatchObject({
        status: 'skip',
        reason: 'not checked: grading stopped at 01.b because of a sign-in problem',
      });
      expect(report.counts).toEqual({ passed: 2, failed: 0, skipped: 1, errored: 1 });
    });

    it('classify network errors (also inside a cause chain) as could-not-grade', async () => {
      const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8443'), { code: 'ECONNREFUSED' });
      const report = await runChecks([throwing('a', new TypeError('fetch failed', { cause }))], { ctx: undefined });
      expect(report.error).toMatchObject({ kind: 'network', message: 'fetch failed: connect ECONNREFUSED 127.0.0.1:8443' });
      expect(report.error?.hint).toMatch(/network/);
    });

    it('classify @azure/identity sign-in errors by name', async () => {
      const error = Object.assign(new Error('Azure CLI could not be found.'), { name: 'CredentialUnavailableError' });
      const report = await runChecks([throwing('a', error)], { ctx: undefined });
      expect(report.error).toMatchObject({ kind: 'sign-in', message: 'Azure CLI could not be found.' });
    });

    it("use the caller's classifier first", async () => {
      const error = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8443'), { code: 'ECONNREFUSED' });
      const report = await runChecks([throwing('a', error)], {
        ctx: undefined,
        classifyError: (e) =>
          (e as { code?: string }).code === 'ECONNREFUSED'
            ? { kind: 'emulator', message: 'The emulator is not running on 127.0.0.1:8443.', hint: 'Start it.' }
            : undefined,
      });
      expect(report.error).toMatchObject({ kind: 'emulator', hint: 'Start it.' });
    });

    it('let a CannotGradeError win over the caller classifier', async () => {
      const report = await runChecks([throwing('a', new CannotGradeError('network', 'down', 'wait'))], {
        ctx: undefined,
        classifyError: () => ({ kind: 'other', message: 'x', hint: 'y' }),
      });
      expect(report.error).toMatchObject({ kind: 'network', message: 'down' });
    });
  });

  it('fails a check that returns something other than an outcome, as a grader bug', async () => {
    const broken: Check = { id: 'broken', title: 'Broken', run: async () => undefined as never };
    const partial: Check = { id: 'partial', title: 'Partial', run: async () => ({ status: 'fail', found: 'x' }) as never };
    const report = await runChecks([broken, partial], { ctx: undefined });
    expect(report.results.map((r) => (r as { found: string }).found)).toEqual([
      'the check returned nothing',
      'the check returned an incomplete "fail" outcome',
    ]);
    expect((report.results[0] as { fix: string }).fix).toMatch(/bug in the grader/);
  });

  describe('invalid graders', () => {
    it.each([
      ['no checks', [], 'it has no checks'],
      ['duplicate ids', [check('a', pass()), check('a', pass())], 'two checks have the id a'],
      ['unknown dependency', [check('a', pass(), { dependsOn: ['zz'] })], 'check a depends on zz, which does not exist'],
      [
        'later dependency',
        [check('a', pass(), { dependsOn: ['b'] }), check('b', pass())],
        'check a depends on b, which runs after it',
      ],
      ['zero weight', [check('a', pass(), { weight: 0 })], 'check a has weight 0, expected a positive number'],
      ['self dependency', [check('a', pass(), { dependsOn: ['a'] })], 'check a depends on itself'],
    ])('%s: runs nothing and reports could-not-grade', async (_name, checks, problem) => {
      let ran = false;
      const spied = checks.map((c) => ({ ...c, run: async () => ((ran = true), pass()) }));
      const report = await runChecks(spied, { ctx: undefined, lab: '07' });
      expect(ran).toBe(false);
      expect(report.status).toBe('error');
      expect(report.error?.kind).toBe('other');
      expect(report.error?.message).toContain(`the grader for lab 07 is invalid: ${problem}`);
      for (const result of report.results) expect(result.status).toBe('skip');
    });
  });

  describe('cancellation', () => {
    it('abandons the running check and skips the rest when the signal aborts', async () => {
      const controller = new AbortController();
      const seen: { aborted?: boolean } = {};
      const started: Check = {
        id: 'a',
        title: 'A',
        run: async () => {
          setTimeout(() => controller.abort(), 10);
          return pass();
        },
      };
      const report = await runChecks([started, { ...hanging('b', seen), dependsOn: ['a'] }, check('c', pass(), { dependsOn: ['b'] })], {
        ctx: undefined,
        signal: controller.signal,
      });
      expect(report.results.map((r) => r.status)).toEqual(['pass', 'skip', 'skip']);
      expect(seen.aborted).toBe(true);
      expect(report.error).toMatchObject({ kind: 'other', checkId: 'b' });
      expect(exitCodeFor(report)).toBe(2);
    });

    it('runs nothing when the signal is already aborted', async () => {
      const report = await runChecks([check('a', pass())], { ctx: undefined, signal: AbortSignal.abort() });
      expect(report.results[0]).toMatchObject({ status: 'skip', reason: 'not checked: grading was cancelled' });
      expect(report.status).toBe('error');
    });
  });

  describe('events', () => {
    it('emits start before finish for checks that run, and only finish for skipped ones', async () => {
      const events: string[] = [];
      await runChecks(
        [check('a', pass()), check('b', fail({ found: 'f', expected: 'e', fix: 'x' })), check('c', pass(), { dependsOn: ['b'] })],
        {
          ctx: undefined,
          lab: '01',
          onEvent: (event: RunEvent) =>
            events.push(
              `${event.type}:${event.type === 'start' ? event.check.id : event.result.id}:${event.index}/${event.total}:${event.lab}`,
            ),
        },
      );
      expect(events).toEqual([
        'start:a:0/3:01',
        'finish:a:0/3:01',
        'start:b:1/3:01',
        'finish:b:1/3:01',
        'finish:c:2/3:01',
      ]);
    });

    it('ignores an exception thrown by the event listener', async () => {
      const report = await runChecks([check('a', pass())], {
        ctx: undefined,
        onEvent: () => {
          throw new Error('display broke');
        },
      });
      expect(report.status).toBe('passed');
    });
  });
});

describe('runChecks, concurrently', () => {
  /** A check that resolves `outcome` when `gate` opens, counting how many run at once. */
  const gated = (id: string, gate: Promise<void>, live: { now: number; peak: number; order: string[] }, extra: Partial<Pick<Check, 'dependsOn'>> = {}, outcome = pass()): Check => ({
    id,
    title: `Title of ${id}`,
    ...extra,
    run: async () => {
      live.order.push(`start:${id}`);
      live.now += 1;
      live.peak = Math.max(live.peak, live.now);
      await gate;
      live.now -= 1;
      live.order.push(`end:${id}`);
      return outcome;
    },
  });

  it('runs independent checks at once, and a check only after its dependencies passed', async () => {
    const live = { now: 0, peak: 0, order: [] as string[] };
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const pending = runChecks(
      [gated('a', gate, live), gated('b', gate, live), gated('c', gate, live), gated('d', Promise.resolve(), live, { dependsOn: ['a', 'b'] })],
      { ctx: undefined },
    );
    // Sequential running would have started only a by now.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(live.order).toEqual(['start:a', 'start:b', 'start:c']);
    open();
    const report = await pending;
    expect(live.peak).toBe(3);
    // d started after both of its dependencies ended.
    expect(live.order.indexOf('start:d')).toBeGreaterThan(Math.max(live.order.indexOf('end:a'), live.order.indexOf('end:b')));
    expect(report.status).toBe('passed');
  });

  it('reports results and events in the declared order, not in the order checks finished', async () => {
    const slow = check('slow', () => new Promise((resolve) => setTimeout(() => resolve(pass()), 30)));
    const quick = check('quick', fail({ found: 'f', expected: 'e', fix: 'x' }));
    const after = check('after', pass(), { dependsOn: ['quick'] });
    const events: string[] = [];
    const report = await runChecks([slow, quick, after, check('last', pass())], {
      ctx: undefined,
      onEvent: (event) => events.push(`${event.type}:${event.type === 'start' ? event.check.id : event.result.id}`),
    });
    expect(report.results.map((r) => [r.id, r.status])).toEqual([
      ['slow', 'pass'],
      ['quick', 'fail'],
      ['after', 'skip'],
      ['last', 'pass'],
    ]);
    expect(events).toEqual(['start:slow', 'finish:slow', 'start:quick', 'finish:quick', 'finish:after', 'start:last', 'finish:last']);
    // quick and last ran beside slow: the durations say so (last did not wait 30 ms to start).
    expect(byId(report.results, 'quick').durationMs).toBeLessThan(byId(report.results, 'slow').durationMs + 1);
  });

  it('gives each concurrent check its own signal through currentCheckSignal, aborting only the one that timed out', async () => {
    const seen: Record<string, { signal?: AbortSignal; abortedAtEnd?: boolean }> = { slow: {}, quick: {} };
    let slowAborted!: () => void;
    const slowAbortedNow = new Promise<void>((resolve) => (slowAborted = resolve));
    const deepDown = (id: string) => {
      // What a helper without tools sees, after an await (another check ran meanwhile).
      seen[id]!.signal = currentCheckSignal();
    };
    const report = await runChecks(
      [
        {
          id: 'slow',
          title: 'slow',
          run: async () => {
            await Promise.resolve();
            deepDown('slow');
            currentCheckSignal()?.addEventListener('abort', () => slowAborted(), { once: true });
            return new Promise<never>(() => undefined);
          },
        },
        {
          id: 'quick',
          title: 'quick',
          run: async () => {
            await new Promise((resolve) => setTimeout(resolve, 5));
            deepDown('quick');
            await slowAbortedNow;
            seen.quick!.abortedAtEnd = currentCheckSignal()?.aborted;
            return pass();
          },
        },
      ],
      // Both time limits are 200 ms from the same instant; slow's timer was set first, so it fires
      // first and quick answers (in the microtasks after it) before its own fires.
      { ctx: undefined, perCheckTimeoutMs: 200 },
    );
    expect(byId(report.results, 'slow').status).toBe('fail');
    expect(byId(report.results, 'quick').status).toBe('pass');
    expect(seen.slow!.signal).toBeDefined();
    expect(seen.quick!.signal).toBeDefined();
    expect(seen.slow!.signal).not.toBe(seen.quick!.signal);
    expect(seen.slow!.signal?.aborted).toBe(true);
    // quick's signal was still live when slow's aborted.
    expect(seen.quick!.abortedAtEnd).toBe(false);
  });
});
