// What the page computes from a state (src/app/model.ts), in Node: the cells' labels, "3 min ago",
// the filters and their URL hash.
import { describe, expect, it } from 'vitest';
import { cellLabel, clockTime, filterLearners, formatHash, isStuck, parseHash, secondsUntil, timeAgo } from '../src/app/model.js';
import { sampleDashboardState } from '../src/index.js';

const NOW = new Date('2026-12-01T10:00:00.000Z');

describe('the page model', () => {
  it('labels each cell in words: learner, lab, and what is wrong', () => {
    const state = sampleDashboardState({ learners: 12, now: NOW });
    const [alice] = state.result?.learners ?? [];
    if (!alice) throw new Error('sample');
    expect(cellLabel(alice, alice.labs[1], '02')).toBe('Alice Andersson, lab 02: failed 02.reader-at-subscription');
    expect(cellLabel(alice, alice.labs[0], '01')).toBe('Alice Andersson, lab 01: passed');
    expect(cellLabel(alice, alice.labs[2], '03')).toBe('Alice Andersson, lab 03: waiting, not started');
    expect(cellLabel(alice, undefined, '06')).toBe('Alice Andersson, lab 06: not graded');
    const flagged = state.result?.learners[11];
    expect(flagged && cellLabel(flagged, flagged.labs[0], '01')).toBe(`${flagged?.displayName}, lab 01: flagged, not counted until reviewed`);
    const error = state.result?.learners[7];
    expect(error && cellLabel(error, error.labs.find((l) => l.mark === 'error'), 'xx')).toMatch(/: could not grade \(Reading learner008's resource group timed out/);
  });

  it('says how long ago, and "—" for never', () => {
    const now = NOW.getTime();
    expect(timeAgo(null, now)).toBe('—');
    expect(timeAgo(undefined, now)).toBe('—');
    expect(timeAgo('not a date', now)).toBe('—');
    expect(timeAgo(new Date(now - 2_000).toISOString(), now)).toBe('just now');
    expect(timeAgo(new Date(now - 45_000).toISOString(), now)).toBe('45 s ago');
    expect(timeAgo(new Date(now - 3 * 60_000 - 10_000).toISOString(), now)).toBe('3 min ago');
    expect(timeAgo(new Date(now - 125 * 60_000).toISOString(), now)).toBe('2 h 5 min ago');
    expect(timeAgo(new Date(now - 120 * 60_000).toISOString(), now)).toBe('2 h ago');
    expect(timeAgo(new Date(now - 50 * 3600_000).toISOString(), now)).toBe('2 d ago');
    // A clock a little ahead of the watcher's is "just now", not negative.
    expect(timeAgo(new Date(now + 3_000).toISOString(), now)).toBe('just now');
  });

  it('times the rounds', () => {
    expect(clockTime('2026-12-01T10:02:03.000Z')).toMatch(/^\d\d:02:03$/);
    expect(clockTime(undefined)).toBeUndefined();
    expect(secondsUntil('2026-12-01T10:00:41.200Z', NOW.getTime())).toBe(42);
    expect(secondsUntil('2026-12-01T09:00:00.000Z', NOW.getTime())).toBe(0);
  });

  it('keeps the filters in the hash, and ignores what it cannot read', () => {
    const filters = { stuck: 10, check: '02.principal-type', q: 'ali ce', learner: 'learner001' };
    expect(formatHash(filters)).toBe('#stuck=10&check=02.principal-type&q=ali+ce&learner=learner001');
    expect(parseHash(formatHash(filters))).toEqual(filters);
    expect(formatHash({})).toBe('');
    expect(parseHash('#stuck=soon&check=&q=')).toEqual({});
    expect(parseHash('')).toEqual({});
  });

  it('finds who is stuck: a lab to fix or not started, and no change for longer than N minutes (or never)', () => {
    const state = sampleDashboardState({ learners: 40, now: NOW });
    const now = NOW.getTime();
    const learners = state.result?.learners ?? [];
    const alice = learners[0];
    if (!alice) throw new Error('sample');
    expect(isStuck(alice, new Date(now - 42 * 60_000).toISOString(), 30, now)).toBe(true);
    expect(isStuck(alice, new Date(now - 42 * 60_000).toISOString(), 45, now)).toBe(false);
    expect(isStuck(alice, null, 45, now)).toBe(true);
    const done = learners.find((l) => l.labs.every((lab) => lab.mark === 'pass'));
    expect(done && isStuck(done, null, 1, now)).toBe(false);

    const stuck = filterLearners(state, { stuck: 35 }, now);
    expect(stuck.map((l) => l.learner)).toContain('learner001');
    for (const learner of stuck) expect(learner.labs.some((lab) => lab.mark === 'fail' || lab.mark === 'waiting')).toBe(true);

    const failing = filterLearners(state, { check: '02.reader-at-subscription' }, now);
    expect(failing.length).toBe(state.result?.mistakes.find((m) => m.checkId === '02.reader-at-subscription')?.count);
    expect(filterLearners(state, { q: 'LEARNER001' }, now).map((l) => l.learner)).toEqual(['learner001']);
    expect(filterLearners(state, { q: 'alice' }, now).map((l) => l.learner)).toContain('learner001');
    expect(filterLearners({ ...state, result: undefined }, {}, now)).toEqual([]);
  });

  it('orders by the longest without a change (never first, finished last) or the lowest score', () => {
    const state = sampleDashboardState({ learners: 40, now: NOW });
    const now = NOW.getTime();
    const since = new Map(state.activity.map((a) => [a.learner, a.lastChangedAt ? Date.parse(a.lastChangedAt) : -Infinity]));
    const done = (id: string) => state.result?.learners.find((l) => l.learner === id)?.labs.every((lab) => lab.mark === 'pass' || lab.mark === 'flagged');
    const stuck = filterLearners(state, { sort: 'stuck' }, now).map((l) => l.learner);
    expect(stuck).toHaveLength(40);
    const firstDone = stuck.findIndex((id) => done(id));
    expect(stuck.slice(firstDone).every((id) => done(id))).toBe(true);
    const open = stuck.slice(0, firstDone).map((id) => since.get(id) ?? 0);
    expect(open).toEqual([...open].sort((a, b) => a - b));
    const scores = filterLearners(state, { sort: 'score' }, now).map((l) => l.score.percent);
    expect(scores).toEqual([...scores].sort((a, b) => a - b));
    expect(parseHash('#sort=stuck')).toEqual({ sort: 'stuck' });
    expect(parseHash('#sort=name')).toEqual({});
  });
});
