// What the page computes from a state, kept free of React and the DOM so the tests can run it in
// Node: the marks' symbols and words, "3 min ago", the filters and how they live in the URL hash.
import type { DashboardLabMark, DashboardLearner, DashboardLearnerLab, DashboardState } from '../state.js';

/** The symbol of each mark: the terminal scoreboard's (packages/cli/src/class/report-terminal.ts). */
export const MARKS: Readonly<Record<DashboardLabMark, string>> = { pass: '✔', fail: '✖', waiting: '·', error: '!', flagged: '⚑' };

/** What each mark says, in the legend and to screen readers (the HTML report's words). */
export const MARK_WORDS: Readonly<Record<DashboardLabMark, string>> = {
  pass: 'passed',
  fail: 'something to fix',
  waiting: 'not started: an earlier lab is not done',
  error: 'could not grade',
  flagged: 'flagged: not counted until reviewed',
};

/** The ids of a lab's failing checks. */
export function failingChecks(lab: DashboardLearnerLab): string[] {
  return lab.results.filter((r) => r.status === 'fail').map((r) => r.id);
}

/** A cell's accessible label: "Alice Andersson, lab 02: failed 02.reader-at-subscription". */
export function cellLabel(learner: DashboardLearner, lab: DashboardLearnerLab | undefined, labId: string): string {
  const head = `${learner.displayName}, lab ${labId}`;
  if (!lab) return `${head}: not graded`;
  switch (lab.mark) {
    case 'pass':
      return `${head}: passed`;
    case 'fail': {
      const failing = failingChecks(lab);
      return `${head}: failed ${failing.length > 0 ? failing.join(', ') : `(${lab.score.percent}%)`}`;
    }
    case 'waiting':
      return `${head}: waiting, not started`;
    case 'error':
      return `${head}: could not grade${lab.error ? ` (${lab.error.message})` : ''}`;
    case 'flagged':
      return `${head}: flagged, not counted until reviewed`;
  }
}

/** "just now", "45 s ago", "3 min ago", "2 h 5 min ago"; "—" when never (null) or unknown. */
export function timeAgo(iso: string | null | undefined, now: number): string {
  if (!iso) return '—';
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return '—';
  const seconds = Math.max(0, Math.floor((now - then) / 1000));
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 === 0 ? `${hours} h ago` : `${hours} h ${minutes % 60} min ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

/** HH:MM:SS in the browser's time zone (the instructor's clock). */
export function clockTime(iso: string | undefined): string | undefined {
  if (!iso) return undefined;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return undefined;
  return [date.getHours(), date.getMinutes(), date.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** Seconds until `iso` (0 when past), or undefined without one. */
export function secondsUntil(iso: string | undefined, now: number): number | undefined {
  if (!iso) return undefined;
  const at = Date.parse(iso);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/** The page's filters; the URL hash keeps them (#stuck=10&check=02.principal-type&q=ali&learner=learner001). */
export interface Filters {
  /** Stuck for more than this many minutes (undefined = no such filter). */
  readonly stuck?: number;
  /** Failing this check id. */
  readonly check?: string;
  /** Text in the learner's id or display name. */
  readonly q?: string;
  /** The rows' order: the roster's (default), the longest without a change first, or the lowest score first. */
  readonly sort?: SortOrder;
  /** The learner whose detail is open. */
  readonly learner?: string;
}

/** The orders the grid offers besides the roster's. */
export type SortOrder = 'stuck' | 'score';

const SORT_ORDERS: readonly string[] = ['stuck', 'score'] satisfies SortOrder[];

/** The filters a hash says ("#a=b&…"); what it cannot read is left out. */
export function parseHash(hash: string): Filters {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const stuck = Number(params.get('stuck'));
  const check = params.get('check')?.trim();
  const q = params.get('q');
  const learner = params.get('learner')?.trim();
  const sort = params.get('sort');
  return {
    ...(params.has('stuck') && Number.isFinite(stuck) && stuck >= 0 ? { stuck } : {}),
    ...(check ? { check } : {}),
    ...(q ? { q } : {}),
    ...(sort && SORT_ORDERS.includes(sort) ? { sort: sort as SortOrder } : {}),
    ...(learner ? { learner } : {}),
  };
}

/** The hash of `filters` ("" when none). */
export function formatHash(filters: Filters): string {
  const params = new URLSearchParams();
  if (filters.stuck !== undefined) params.set('stuck', String(filters.stuck));
  if (filters.check) params.set('check', filters.check);
  if (filters.q) params.set('q', filters.q);
  if (filters.sort) params.set('sort', filters.sort);
  if (filters.learner) params.set('learner', filters.learner);
  const text = params.toString();
  return text ? `#${text}` : '';
}

/** When each learner last changed anything (ms since epoch; null = not since watching started). */
export function activityIndex(state: DashboardState): Map<string, string | null> {
  return new Map(state.activity.map((a) => [a.learner, a.lastChangedAt]));
}

/** Whether `learner` is stuck for more than `minutes`: a lab to fix or not started, and no change for that long (or never). */
export function isStuck(learner: DashboardLearner, lastChangedAt: string | null | undefined, minutes: number, now: number): boolean {
  if (!learner.labs.some((lab) => lab.mark === 'fail' || lab.mark === 'waiting')) return false;
  if (!lastChangedAt) return true;
  const then = Date.parse(lastChangedAt);
  return Number.isNaN(then) || now - then > minutes * 60_000;
}

/** Whether `learner` fails the check `checkId` in some lab. */
export function failsCheck(learner: DashboardLearner, checkId: string): boolean {
  return learner.labs.some((lab) => lab.results.some((r) => r.id === checkId && r.status === 'fail'));
}

/** Whether `learner` has nothing left to do (every lab passed or flagged for review). */
function finished(learner: DashboardLearner): boolean {
  return learner.labs.every((lab) => lab.mark === 'pass' || lab.mark === 'flagged');
}

/**
 * The learners the filters let through, in the order asked: the roster's; `stuck`, those with
 * something left to do first, the longest without a change first (never changed = longest);
 * `score`, the lowest first. Ties keep the roster's order.
 */
export function filterLearners(state: DashboardState, filters: Filters, now: number): DashboardLearner[] {
  const learners = state.result?.learners ?? [];
  const activity = activityIndex(state);
  const q = filters.q?.trim().toLowerCase();
  const shown = learners.filter(
    (learner) =>
      (filters.stuck === undefined || isStuck(learner, activity.get(learner.learner), filters.stuck, now)) &&
      (!filters.check || failsCheck(learner, filters.check)) &&
      (!q || learner.learner.toLowerCase().includes(q) || learner.displayName.toLowerCase().includes(q)),
  );
  if (filters.sort === 'score') return shown.sort((a, b) => a.score.percent - b.score.percent);
  if (filters.sort === 'stuck') {
    const since = (learner: DashboardLearner) => {
      const at = activity.get(learner.learner);
      const then = at ? Date.parse(at) : Number.NaN;
      return Number.isNaN(then) ? Number.NEGATIVE_INFINITY : then;
    };
    return shown.sort((a, b) => Number(finished(a)) - Number(finished(b)) || since(a) - since(b));
  }
  return shown;
}
