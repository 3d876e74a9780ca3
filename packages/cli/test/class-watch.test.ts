// `milab class watch` without a browser: the budget maths (the interval from the reads a round
// takes, an --interval over the share refused with the numbers), the fingerprint that stamps a
// learner's last change, the loop (one round, a round that cannot grade and the next that
// recovers, a clean stop, the page's server published to and closed), the terminal's live frame
// and round line, and bad options refused with clear messages. The grading itself is gradeClass's
// (tested on the emulator in class-grade-emulator and class-watch-e2e); here a round's grading is
// a given class result.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport, type CheckResult } from '@milab/grading';
import { loadClass, writeClassFolder, type ClassFolder } from '../src/class/folder.js';
import { ClassGradeError, type GradeClassOutcome } from '../src/class/grade.js';
import type { ClassJson } from '../src/class/report-json.js';
import { buildClassResult, type LabColumn } from '../src/class/scoreboard.js';
import {
  ActivityTracker,
  budgetOf,
  checkInterval,
  fingerprint,
  readsPerHour,
  readsPerSubscription,
  runWatch,
  smallestInterval,
  stuckLearners,
  subscriptionCount,
  WATCH_READS_PER_HOUR,
  type WatchServer,
  type WatchState,
} from '../src/class/watch.js';
import { formatFrame, formatRoundLine, WatchDisplay } from '../src/class/watch-terminal.js';
import { registerClassWatch } from '../src/commands/class-watch.js';
import { runProgram } from './in-process.js';

let home: string;
let folder: ClassFolder;
const LEARNERS = Array.from({ length: 30 }, (_, i) => `l${String(i + 1).padStart(2, '0')}`);

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'milab-class-watch-'));
  writeClassFolder(join(home, 'class'), { classId: 'w1', target: 'emulator', mode: 'shared', learners: LEARNERS.map((learner) => ({ learner })) });
  folder = loadClass(join(home, 'class'));
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

const COLUMN: LabColumn = {
  id: '01',
  title: 'A user-assigned identity',
  checks: [
    { id: '01.identity-exists', title: 'The identity exists', weight: 2 },
    { id: '01.identity-tags', title: 'The identity is tagged', weight: 1 },
  ],
};

/** A check result: passed, or failed with found / expected / fix. */
function check(id: string, ok: boolean, found = 'nothing'): CheckResult {
  const info = COLUMN.checks.find((c) => c.id === id)!;
  return ok ? { ...info, lab: '01', durationMs: 3, status: 'pass' } : { ...info, lab: '01', durationMs: 3, status: 'fail', found, expected: 'id-milab-x', fix: 'create it' };
}

/** A class result where `done` learners passed lab 01 and the rest have nothing yet. */
function classOutcome(done: readonly string[], options: { found?: string; error?: string[] } = {}): GradeClassOutcome {
  const result = buildClassResult({
    classId: 'w1',
    target: 'emulator',
    mode: 'shared',
    gradedAt: new Date().toISOString(),
    durationMs: 12,
    labs: [COLUMN],
    armReads: 6,
    learners: LEARNERS.map((learner) => {
      const results = done.includes(learner) ? [check('01.identity-exists', true), check('01.identity-tags', true)] : [check('01.identity-exists', false, options.found), check('01.identity-tags', false)];
      const error = options.error?.includes(learner) ? { kind: 'other' as const, lab: '01', message: 'the VM did not answer', hint: 'try again' } : undefined;
      const report = buildReport({ lab: '01', title: COLUMN.title, target: 'emulator', startedAt: new Date().toISOString(), durationMs: 5, results: error ? [] : results, ...(error ? { error } : {}) });
      return { learner, displayName: `Learner ${learner}`, labs: [{ report, source: 'graded' as const }] };
    }),
  });
  return { result, reports: new Map(), graderObjectId: undefined };
}

const json = (outcome: GradeClassOutcome) => JSON.parse(JSON.stringify(outcome.result)) as ClassJson;

describe('the read budget', () => {
  it('picks the smallest interval within a quarter of 12,000 reads an hour, and never under 5 s', () => {
    expect(WATCH_READS_PER_HOUR).toBe(3000);
    // A shared class's snapshot: 6 reads a round (5 lists and a role definition).
    expect(smallestInterval(6)).toBe(8);
    expect(readsPerHour(6, 8)).toBe(2700);
    expect(smallestInterval(5)).toBe(6);
    expect(readsPerHour(5, 6)).toBe(3000);
    expect(smallestInterval(30)).toBe(36);
    expect(smallestInterval(1)).toBe(5);
    expect(smallestInterval(0)).toBe(5);
    const budget = budgetOf(6, 8);
    expect(budget).toMatchObject({ readsPerRound: 6, readsPerHour: 2700, limitPerHour: 12_000 });
    expect(budget.text).toContain("ARM's 12,000 reads/h per principal and subscription");
    expect(budget.text).toContain('3,000/h, a quarter');
  });

  it("counts a round's reads per subscription (ARM's budget is per principal and subscription): eight lists before the first round", () => {
    expect(subscriptionCount(folder)).toBe(1);
    expect(readsPerSubscription(undefined, folder)).toBe(8);
    expect(readsPerSubscription(6, folder)).toBe(6);
    // Own mode: a snapshot per learner's subscription, each in its own bucket.
    const own = { config: { ...folder.config, mode: 'own' as const }, roster: ['a', 'b', 'c', 'a'].map((s, i) => ({ ...folder.roster[i]!, subscriptionId: `sub-${s}` })) };
    expect(subscriptionCount(own)).toBe(3);
    expect(readsPerSubscription(18, own)).toBe(6);
    expect(budgetOf(6, 8, { subscriptions: 3 }).text).toMatch(/^6 ARM reads a round in each of 3 subscriptions, one round every 8 s/);
  });

  it('refuses an --interval over the share, naming the numbers and the smallest allowed', () => {
    expect(() => checkInterval(8, 6)).not.toThrow();
    let error: unknown;
    try {
      checkInterval(5, 6);
    } catch (e) {
      error = e;
    }
    expect((error as Error).message).toBe(
      "--interval 5 would read 4,320 times an hour (6 ARM reads a round, 720 rounds), over the watch's share of 3,000 reads/h (a quarter of ARM's 12,000 reads/h per principal and subscription).",
    );
    expect((error as { hint: string }).hint).toContain('Use --interval 8 or more');
    expect(() => checkInterval(4, 1)).toThrow(/waits at least 5 s/);
  });
});

describe("a learner's last change", () => {
  it('stamps a change of marks or of what a check found, not a round that could not grade them', () => {
    const tracker = new ActivityTracker();
    const t = (s: number) => new Date(Date.UTC(2026, 11, 1, 10, 0, s));
    const of = (activity: WatchState['activity'], learner: string) => activity.find((a) => a.learner === learner)?.lastChangedAt;
    // Round 1: nobody has changed anything since watching started.
    expect(tracker.update(json(classOutcome([])), t(0)).every((a) => a.lastChangedAt === null)).toBe(true);
    // Same work, new times and durations: no change.
    expect(of(tracker.update(json(classOutcome([])), t(10)), 'l01')).toBeNull();
    // l01 made their identity: stamped now; the others not.
    let activity = tracker.update(json(classOutcome(['l01'])), t(20));
    expect(of(activity, 'l01')).toBe(t(20).toISOString());
    expect(of(activity, 'l02')).toBeNull();
    // What a failing check found changed (a wrong name instead of nothing): a change too.
    activity = tracker.update(json(classOutcome(['l01'], { found: 'id-wrong' })), t(30));
    expect(of(activity, 'l02')).toBe(t(30).toISOString());
    expect(of(activity, 'l01')).toBe(t(20).toISOString());
    // l03 could not be graded this round, then is back as before: no change either time.
    expect(of(tracker.update(json(classOutcome(['l01'], { found: 'id-wrong', error: ['l03'] })), t(40)), 'l03')).toBe(t(30).toISOString());
    expect(of(tracker.update(json(classOutcome(['l01'], { found: 'id-wrong' })), t(50)), 'l03')).toBe(t(30).toISOString());
    expect(fingerprint(json(classOutcome([], { error: ['l03'] })).learners[2]!)).toBeUndefined();
  });

  it('counts as stuck who has something to fix and changed nothing for 10 minutes', () => {
    const result = json(classOutcome(['l01']));
    const since = new Date(Date.UTC(2026, 11, 1, 10, 0, 0));
    const activity = LEARNERS.map((learner) => ({ learner, lastChangedAt: learner === 'l02' ? new Date(Date.UTC(2026, 11, 1, 10, 15, 0)).toISOString() : null }));
    // l01 passed; l02 changed 5 min ago; the other 28 have not changed in the 20 min since the watch started.
    expect(stuckLearners({ result, activity }, new Date(Date.UTC(2026, 11, 1, 10, 20, 0)), since)).toHaveLength(28);
    expect(stuckLearners({ result, activity }, new Date(Date.UTC(2026, 11, 1, 10, 5, 0)), since)).toEqual([]);
  });
});

describe('the watch loop', () => {
  it('--once: one round, the class JSON as the result, the exit code of class grade', async () => {
    const states: [string, WatchState][] = [];
    const outcome = await runWatch({ folder, once: true, grade: async () => classOutcome(['l01']), onState: (s, e) => states.push([e, s]) });
    expect(outcome).toMatchObject({ rounds: 1, exitCode: 1 });
    expect(states.map(([e]) => e)).toEqual(['start', 'grading', 'graded', 'stopped']);
    const last = outcome.state;
    expect(last).toMatchObject({ schemaVersion: 1, classId: 'w1', round: 1, status: 'idle', intervalSeconds: 8, budget: { readsPerRound: 6, readsPerHour: 2700 } });
    expect(last.nextAt).toBeUndefined();
    expect(last.result).toMatchObject({ schemaVersion: 1, classId: 'w1', armReads: 6 });
    expect(last.result!.learners).toHaveLength(30);
    expect(last.activity).toHaveLength(30);
    // Before the first round: the estimate, and no result.
    expect(states[0]![1]).toMatchObject({ round: 0, status: 'starting', intervalSeconds: 10, budget: { readsPerRound: 8 } });
    expect(states[0]![1].result).toBeUndefined();
  });

  it('shows a round that cannot grade and recovers on the next; publishes every state to the page and closes it when stopped', async () => {
    const stop = new AbortController();
    const published: WatchState[] = [];
    let closed = false;
    const server: WatchServer = { url: 'http://127.0.0.1:1/', port: 1, publish: (s) => published.push(s), close: async () => void (closed = true) };
    let round = 0;
    const waits: number[] = [];
    const outcome = await runWatch({
      folder,
      serve: 0,
      startServer: async () => server,
      grade: async () => {
        round += 1;
        if (round === 2) throw new ClassGradeError('Could not read subscription x: connect ECONNREFUSED 127.0.0.1:8443', 'Start the emulator: `./milab emulator start --detach`.');
        return classOutcome(round >= 3 ? ['l01', 'l02'] : ['l01']);
      },
      // No real waiting between rounds; the fourth round is the last.
      wait: async (ms) => {
        waits.push(ms);
        if (round === 4) stop.abort();
        return !stop.signal.aborted;
      },
      signal: stop.signal,
    });
    expect(closed).toBe(true);
    expect(outcome.rounds).toBe(4);
    expect(waits).toEqual([8000, 8000, 8000, 8000]);
    const ends = published.filter((s) => s.status !== 'grading');
    expect(ends.map((s) => [s.round, s.status])).toEqual([[0, 'starting'], [1, 'idle'], [2, 'error'], [3, 'idle'], [4, 'idle']]);
    const failed = ends[2]!;
    expect(failed.error).toEqual({ message: 'Could not read subscription x: connect ECONNREFUSED 127.0.0.1:8443', hint: 'Start the emulator: `./milab emulator start --detach`.' });
    // The last good result stays on the page while a round cannot grade.
    expect(failed.result?.learners.filter((l) => l.status === 'passed').map((l) => l.learner)).toEqual(['l01']);
    expect(ends[3]!.error).toBeUndefined();
    expect(ends[3]!.result?.learners.filter((l) => l.status === 'passed').map((l) => l.learner)).toEqual(['l01', 'l02']);
    expect(ends[3]!.activity.find((a) => a.learner === 'l02')?.lastChangedAt).toBe(ends[3]!.gradedAt);
    expect(outcome.exitCode).toBe(1);
  });

  it('reads the class folder again each round: a roster edit shows up, a broken folder is that round\'s error', async () => {
    const stop = new AbortController();
    const states: WatchState[] = [];
    let rounds = 0;
    let reloads = 0;
    await runWatch({
      folder,
      reload: () => {
        reloads += 1;
        if (reloads === 1) throw new ClassGradeError('roster.csv line 31: the learner id is empty.', 'Fix the line, the next round reads it again.');
        return folder;
      },
      grade: async () => (rounds++, classOutcome([])),
      wait: async () => (rounds === 2 || reloads > 3 ? (stop.abort(), false) : true),
      onState: (s, e) => e !== 'tick' && e !== 'grading' && states.push(s),
      signal: stop.signal,
    });
    expect(states.map((s) => [s.round, s.status])).toEqual([[0, 'starting'], [1, 'idle'], [2, 'error'], [3, 'idle'], [3, 'idle']]);
    expect(reloads).toBe(2);
    expect(states[2]!.error?.message).toBe('roster.csv line 31: the learner id is empty.');
  });

  it('stops at once on Ctrl-C, even in a round that never ends', async () => {
    const stop = new AbortController();
    let closed = false;
    const watching = runWatch({
      folder,
      serve: 0,
      startServer: async () => ({ url: 'http://127.0.0.1:1/', port: 1, publish: () => undefined, close: async () => void (closed = true) }),
      grade: () => {
        stop.abort();
        return new Promise<never>(() => undefined);
      },
      signal: stop.signal,
    });
    const outcome = await watching;
    expect(closed).toBe(true);
    expect(outcome.rounds).toBe(0);
  });

  it('refuses an --interval over the budget before the first round', async () => {
    let graded = 0;
    await expect(runWatch({ folder, interval: 5, grade: async () => (graded++, classOutcome([])) })).rejects.toThrow(/--interval 5 would read 5,760 times an hour \(at least 8 ARM reads a round/);
    expect(graded).toBe(0);
  });
});

describe('the terminal', () => {
  const state = (): WatchState => {
    const result = json(classOutcome(['l01', 'l02']));
    return {
      schemaVersion: 1,
      classId: 'w1',
      target: 'emulator',
      mode: 'shared',
      round: 3,
      status: 'idle',
      intervalSeconds: 8,
      budget: budgetOf(6, 8),
      gradedAt: '2026-12-01T10:00:00.000Z',
      nextAt: '2026-12-01T10:00:08.000Z',
      result,
      activity: LEARNERS.map((learner) => ({ learner, lastChangedAt: learner === 'l02' ? '2026-12-01T09:58:00.000Z' : null })),
    };
  };
  const now = new Date('2026-12-01T10:00:03.000Z');
  const since = new Date('2026-12-01T09:30:00.000Z');

  it('one line per round when not a terminal', () => {
    expect(formatRoundLine(state(), { now, since })).toBe('round 3 · 30 learners · 2 passed all · 28 stuck · 6 reads · top mistake 01.identity-exists (28) · next in 5 s');
    expect(formatRoundLine({ ...state(), status: 'error', error: { message: 'the emulator did not answer', hint: 'start it' } }, { now, since })).toBe('round 3 · could not grade: the emulator did not answer — start it · next in 5 s');
  });

  it('a live frame trimmed to the terminal, who needs a look first, the top mistakes and the budget', () => {
    const frame = formatFrame(state(), { now, since, columns: 80, rows: 20, url: 'http://127.0.0.1:4280/' });
    const lines = frame.split('\n');
    expect(lines.length).toBeLessThanOrEqual(20);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(79);
    expect(lines[0]).toBe('milab class watch · w1 (emulator, shared) · round 3 · graded 10:00:00 UTC');
    expect(lines[1]).toMatch(/^Learner +01 +Score +Changed$/);
    // Those with something to fix first (l03…), the two who passed among the hidden.
    expect(lines[2]).toMatch(/^l03 +✖ +0% +—$/);
    expect(frame).not.toMatch(/^l01 /m);
    expect(frame).toMatch(/^\+\d+ more learners: a taller terminal shows them, or the page$/m);
    expect(frame).toContain('28/30 01.identity-exists  The identity exists — fix: create it');
    expect(frame).toContain('next in 5 s · page: http://127.0.0.1:4280/ · Ctrl-C stops');
    expect(frame).toMatch(/^budget: 6 ARM reads a round, one round every 8 s: 2,700 reads\/h/m);
    // Tall enough: everyone, in roster order, with the time since their last change.
    const all = formatFrame(state(), { now, since, columns: 100, rows: 60 });
    expect(all).toMatch(/^l01 +✔ +100% +—$/m);
    expect(all).toMatch(/^l02 +✔ +100% +2 min$/m);
    expect(all).not.toContain('more learners');
  });

  it('redraws in place on a TTY and leaves the last frame in the scrollback when stopped', () => {
    let out = '';
    const display = new WatchDisplay({ isTTY: true, columns: 80, rows: 40, write: (t: string) => (out += t) });
    display.show(state(), 'graded');
    display.show(state(), 'tick');
    expect(out.startsWith('\u001b[?1049h\u001b[?25l\u001b[H')).toBe(true);
    expect(out.split('\u001b[H')).toHaveLength(3);
    display.stop();
    display.stop();
    expect(out).toContain('\u001b[?25h\u001b[?1049l');
    expect(out.split('\u001b[?1049l')[1]).toContain('round 3');
    expect(out.split('\u001b[?1049l')[1]).toContain('stopped after round 3');
    expect(out.split('\u001b[?1049l')).toHaveLength(2);
  });
});

describe('bad options', () => {
  const runWatchCommand = (args: string[]) => {
    const program = new Command('milab');
    registerClassWatch(program.command('class'));
    return runProgram(program, ['class', 'watch', ...args]);
  };

  it('are refused with what was expected and the next step', async () => {
    expect((await runWatchCommand(['--interval', '3'])).stderr).toMatch(/--interval <s>' argument '3' is invalid\. expected whole seconds from 5 to 86400/);
    expect((await runWatchCommand(['--interval', 'soon'])).stderr).toMatch(/expected whole seconds/);
    expect((await runWatchCommand(['--serve', '70000'])).stderr).toMatch(/expected a port from 0 to 65535 \(0: any free port\)/);
    expect((await runWatchCommand(['--concurrency', '0'])).stderr).toMatch(/from 1 to 32/);
    expect((await runWatchCommand(['--class', join(home, 'nope')])).stderr).toMatch(/class\.json: no such file/);
    expect((await runWatchCommand(['--class', folder.dir, '--lab', '99'])).stderr).toMatch(/unknown lab '99' in --lab/);
    const over = await runWatchCommand(['--class', folder.dir, '--interval', '5']);
    expect(over.code).toBe(2);
    expect(over.stderr).toContain('--interval 5 would read 5,760 times an hour');
    expect(over.stderr).toContain('next step: Use --interval 10 or more');
    expect(over.stderr).not.toMatch(/\n\s+at /);
  });

  it('--once where the class cannot be graded: the reason and the next step, exit 2', async () => {
    const saved = process.env.MILAB_HOME;
    // A milab home with no emulator running in it.
    process.env.MILAB_HOME = join(home, 'no-emulator');
    try {
      const { code, stdout, stderr } = await runWatchCommand(['--class', folder.dir, '--once']);
      expect(code).toBe(2);
      expect(stdout).toMatch(/^round 1 · could not grade: The emulator is not running/m);
      expect(stderr).toMatch(/next step: Start it with `\.\/milab emulator start --detach`/);
    } finally {
      if (saved === undefined) delete process.env.MILAB_HOME;
      else process.env.MILAB_HOME = saved;
    }
  });

  it('--help says which budget the watch keeps to', async () => {
    const { stdout } = await runWatchCommand(['--help']);
    expect(stdout).toContain('12,000 reads an hour');
    expect(stdout).toContain('at most\na quarter of it (3,000 reads/h)');
    expect(stdout).toMatch(/--serve \[port\]/);
  });
});
