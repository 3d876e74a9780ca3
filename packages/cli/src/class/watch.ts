// `milab class watch`, the work: a grading round every few seconds, each one `milab class grade`'s
// (gradeClass: one snapshot of the subscription, every learner graded from it), turned into the
// dashboard's state (the redacted class JSON, and when each learner last changed anything), shown
// in the terminal and, with --serve, pushed to the page. Rounds never overlap: the next starts an
// interval after the previous one ended. A round that cannot grade (the emulator stopped, the
// sign-in refused) is shown and the watch goes on; the next round that can grade recovers.
//
// The interval keeps to a read budget: ARM throttles reads per principal and subscription (a token
// bucket of 250, refilled 25/s since 2024; older docs said 12,000 reads an hour — azure-facts.md,
// https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling).
// The watch takes the stricter 12,000/h as the limit and uses at most a quarter of it, leaving the
// rest of the grading principal's budget to a `class grade` or the instructor's own tools.
import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { MilabError, type ThrottleBuckets } from '@milab/core';
import type { DashboardState } from '@milab/dashboard';
import { defaultRedactor } from '@milab/grading';
import type { ClassFolder } from './folder.js';
import { gradeClass, type GradeClassOptions, type GradeClassOutcome } from './grade.js';
import { formatClassJson, type ClassJson } from './report-json.js';
import { classExitCode } from './scoreboard.js';

/** ARM's read limit the watch keeps to: the older, stricter 12,000 reads an hour per principal and subscription. */
export const ARM_READS_PER_HOUR = 12_000;
/** The share of {@link ARM_READS_PER_HOUR} the watch may use. */
export const WATCH_SHARE = 0.25;
/** The watch's reads an hour at most (3,000). */
export const WATCH_READS_PER_HOUR = ARM_READS_PER_HOUR * WATCH_SHARE;
/** No round starts sooner than this after the last one, whatever the budget allows. */
export const MIN_INTERVAL_SECONDS = 5;
/**
 * Reads a snapshot takes per subscription before the first round says: its eight paged lists
 * (identities, role assignments, VMs, resource groups, resources, key vaults, container groups,
 * deleted vaults), one page each (graders/lib/snapshot.ts).
 */
export const SNAPSHOT_LISTS = 8;
/** The default --serve port. */
export const DEFAULT_PORT = 4280;
/** A learner with something to fix and no change for this long counts as stuck in the terminal. */
export const STUCK_AFTER_MS = 10 * 60_000;

/** The dashboard's state (@milab/dashboard's DashboardState), its result the full class JSON (of which the page's type is a subset). */
export type WatchState = Omit<DashboardState, 'result'> & { readonly result?: ClassJson };

// The watch's state is the dashboard's (its result the class JSON, which the page's type is a subset of).
const asDashboardState = (state: WatchState): DashboardState => state;

/** What the watch needs of @milab/dashboard's server. */
export interface WatchServer {
  readonly url: string;
  readonly port: number;
  publish(state: WatchState): void;
  close(): Promise<void>;
}

/** A usage error of `milab class watch` (exit code 2, as the class grade's). */
export function watchUsage(message: string, hint: string): MilabError {
  return new MilabError(message, { code: 'MILAB_USAGE', hint, exitCode: 2 });
}

const n = (value: number) => value.toLocaleString('en-US');

/** The smallest interval (whole seconds, at least {@link MIN_INTERVAL_SECONDS}) that keeps `readsPerRound` within the watch's share. */
export function smallestInterval(readsPerRound: number): number {
  return Math.max(MIN_INTERVAL_SECONDS, Math.ceil((Math.max(0, readsPerRound) * 3600) / WATCH_READS_PER_HOUR - 1e-9));
}

/** Reads an hour at one round every `intervalSeconds` (a round's own time only lowers it: counted as none). */
export function readsPerHour(readsPerRound: number, intervalSeconds: number): number {
  return Math.ceil((readsPerRound * 3600) / intervalSeconds - 1e-9);
}

/** The budget the page's footer and the terminal state, in numbers and words (reads per subscription a round). */
export function budgetOf(readsPerRound: number, intervalSeconds: number, options: { estimated?: boolean; subscriptions?: number } = {}): WatchState['budget'] {
  const perHour = readsPerHour(readsPerRound, intervalSeconds);
  const each = (options.subscriptions ?? 1) > 1 ? ` in each of ${n(options.subscriptions!)} subscriptions` : '';
  return {
    readsPerRound,
    readsPerHour: perHour,
    limitPerHour: ARM_READS_PER_HOUR,
    text:
      `${options.estimated ? 'about ' : ''}${n(readsPerRound)} ARM reads a round${each}, one round every ${intervalSeconds} s: ${n(perHour)} reads/h, ` +
      `within the watch's share (${n(WATCH_READS_PER_HOUR)}/h, a quarter) of ARM's ${n(ARM_READS_PER_HOUR)} reads/h per principal and subscription`,
  };
}

/** How many subscriptions a round reads: one in shared mode, each learner's own in own mode. */
export function subscriptionCount(folder: Pick<ClassFolder, 'config' | 'roster'>): number {
  if (folder.config.mode !== 'own') return 1;
  return Math.max(1, new Set(folder.roster.map((l) => (l.subscriptionId ?? folder.config.subscriptionId ?? '').toLowerCase())).size);
}

/**
 * Reads a round takes in one subscription: ARM's budget is per principal AND subscription, so in
 * own mode (a snapshot per learner's subscription) each subscription's bucket sees its share of
 * the round's reads only. Before the first round says: the snapshot's lists.
 */
export function readsPerSubscription(armReads: number | undefined, folder: Pick<ClassFolder, 'config' | 'roster'>): number {
  return armReads === undefined ? SNAPSHOT_LISTS : Math.ceil(armReads / subscriptionCount(folder));
}

/** Refuses an explicit --interval that would read more than the watch's share, naming the numbers and the smallest allowed. */
export function checkInterval(intervalSeconds: number, readsPerRound: number, estimated = false): void {
  if (intervalSeconds < MIN_INTERVAL_SECONDS) {
    throw watchUsage(`--interval ${intervalSeconds}: the watch waits at least ${MIN_INTERVAL_SECONDS} s between rounds.`, `Use --interval ${MIN_INTERVAL_SECONDS} or more, or leave it out (the watch picks it from its read budget).`);
  }
  const perHour = readsPerHour(readsPerRound, intervalSeconds);
  if (perHour <= WATCH_READS_PER_HOUR) return;
  const smallest = smallestInterval(readsPerRound);
  throw watchUsage(
    `--interval ${intervalSeconds} would read ${n(perHour)} times an hour (${estimated ? 'at least ' : ''}${n(readsPerRound)} ARM reads a round, ${n(Math.floor(3600 / intervalSeconds))} rounds), ` +
      `over the watch's share of ${n(WATCH_READS_PER_HOUR)} reads/h (a quarter of ARM's ${n(ARM_READS_PER_HOUR)} reads/h per principal and subscription).`,
    `Use --interval ${smallest} or more, or leave --interval out: the watch picks the interval from the reads each round takes.`,
  );
}

// ---------------------------------------------------------------------------------------------
// Activity: when each learner last changed anything the graders see.

type ClassJsonLearner = ClassJson['learners'][number];

/**
 * A learner's graded state, without what changes by itself (times, durations): the labs' marks
 * and every check's status, points, found, expected and reason. Undefined while a lab could not
 * be graded (a round's trouble is not the learner's activity).
 */
export function fingerprint(learner: ClassJsonLearner): string | undefined {
  if (learner.labs.some((lab) => lab.mark === 'error')) return undefined;
  const shape = learner.labs.map((lab) => [
    lab.lab,
    lab.mark,
    lab.flags,
    lab.results.map((r) => {
      const x = r as Record<string, unknown>;
      return [r.id, r.status, x.points ?? null, x.found ?? null, x.expected ?? null, x.reason ?? null];
    }),
  ]);
  return createHash('sha256').update(JSON.stringify(shape)).digest('base64url');
}

/** Remembers each learner's fingerprint between rounds and stamps a change with the round's time. */
export class ActivityTracker {
  readonly #seen = new Map<string, { print: string | undefined; changedAt: string | null }>();

  /** Takes a round's result; returns every learner's last change (null: none since watching started). */
  update(result: Pick<ClassJson, 'learners'>, now: Date): WatchState['activity'] {
    for (const learner of result.learners) {
      const print = fingerprint(learner);
      const before = this.#seen.get(learner.learner);
      if (!before) this.#seen.set(learner.learner, { print, changedAt: null });
      else if (print !== undefined && before.print !== undefined && print !== before.print) this.#seen.set(learner.learner, { print, changedAt: now.toISOString() });
      else if (print !== undefined && before.print === undefined) this.#seen.set(learner.learner, { print, changedAt: before.changedAt });
    }
    return this.activity(result.learners.map((l) => l.learner));
  }

  /** The last change of these learners (null for one never seen, or unchanged since watching started). */
  activity(learners: readonly string[]): WatchState['activity'] {
    return learners.map((learner) => ({ learner, lastChangedAt: this.#seen.get(learner)?.changedAt ?? null }));
  }
}

/** The learners with something to fix and nothing changed for {@link STUCK_AFTER_MS} (counting from `since`, when the watch started, for those unchanged). */
export function stuckLearners(state: Pick<WatchState, 'result' | 'activity'>, now: Date, since: Date): string[] {
  if (!state.result) return [];
  const changed = new Map(state.activity.map((a) => [a.learner, a.lastChangedAt]));
  return state.result.learners
    .filter((l) => l.status !== 'passed')
    .filter((l) => now.getTime() - new Date(changed.get(l.learner) ?? since.toISOString()).getTime() >= STUCK_AFTER_MS)
    .map((l) => l.learner);
}

// ---------------------------------------------------------------------------------------------
// The loop.

/** Options of {@link runWatch}. */
export interface WatchOptions {
  readonly folder: ClassFolder;
  /**
   * Reads the class folder again before each round after the first (default: the folder as given):
   * a learner added to the roster mid-workshop shows up; a folder broken by an edit is that round's error.
   */
  readonly reload?: () => ClassFolder;
  readonly labs?: readonly string[];
  readonly programs?: GradeClassOptions['programs'];
  /** Azure: the folder of the learners' self-run lab 04–09 reports. */
  readonly reportsDir?: string;
  readonly concurrency?: number;
  /** Seconds between rounds, as asked (refused when over the budget); default: from the reads a round takes. */
  readonly interval?: number;
  /** Serve the page on this port (0: any free one); undefined: no page. */
  readonly serve?: number;
  /** One round, then stop. */
  readonly once?: boolean;
  readonly signal?: AbortSignal;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly throttle?: ThrottleBuckets;
  /** Called with every state the watch publishes (the terminal draws from it). */
  readonly onState?: (state: WatchState, event: WatchEvent) => void;
  /** Called once the page is served. */
  readonly onServe?: (server: WatchServer) => void;
  readonly onWarning?: (text: string) => void;
  /** Called while a round grades: learners done of the class. */
  readonly onProgress?: (done: number, total: number) => void;
  /** The dashboard server (default: @milab/dashboard's startDashboardServer). */
  readonly startServer?: (options: { port: number; host: '127.0.0.1'; initial: WatchState }) => Promise<WatchServer>;
  /** Waits between rounds, calling `tick` each second; false when stopped (default: real time). */
  readonly wait?: (ms: number, signal: AbortSignal | undefined, tick: () => void) => Promise<boolean>;
  /** The grading of one round (default: gradeClass). */
  readonly grade?: (options: GradeClassOptions) => Promise<GradeClassOutcome>;
}

/** What happened that made the watch publish a state. */
export type WatchEvent = 'start' | 'grading' | 'graded' | 'failed' | 'tick' | 'stopped';

/** How the watch ended. */
export interface WatchOutcome {
  readonly rounds: number;
  readonly state: WatchState;
  /** As `milab class grade`: 0 all passed, 1 something to fix, 2 the last round could not grade. */
  readonly exitCode: 0 | 1 | 2;
  /** The last round's error, when it could not grade. */
  readonly error?: unknown;
}

async function defaultServer(options: { port: number; host: '127.0.0.1'; initial: WatchState }): Promise<WatchServer> {
  // Loaded only with --serve: the page's server and its bundler are no part of a --once round.
  const { startDashboardServer } = await import('@milab/dashboard');
  const server = await startDashboardServer({ ...options, initial: asDashboardState(options.initial) });
  return { url: server.url, port: server.port, publish: (state) => server.publish(asDashboardState(state)), close: () => server.close() };
}

/** A round's problem as the page and the terminal show it: redacted message and next step. */
export function roundError(error: unknown): { message: string; hint: string } {
  const known = error instanceof MilabError ? error : undefined;
  const message = known?.message ?? (error instanceof Error ? error.message : String(error));
  const hint = known?.hint ?? 'Check the connection and the sign-in (`./milab doctor`); the watch tries again next round.';
  return { message: defaultRedactor.redact(message), hint: defaultRedactor.redact(hint) };
}

/** Waits `ms`, calling `tick` every second; false when stopped first. */
async function pause(ms: number, signal: AbortSignal | undefined, tick: () => void): Promise<boolean> {
  const end = Date.now() + ms;
  while (!signal?.aborted) {
    const left = end - Date.now();
    if (left <= 0) return true;
    try {
      await delay(Math.min(left, 1000 - (Date.now() % 1000) || 1000), undefined, signal ? { signal } : {});
    } catch {
      return false;
    }
    if (Date.now() < end) tick();
  }
  return false;
}

/** `work`, or a rejection as soon as `signal` aborts. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('stopped'));
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Watches the class until stopped (or for one round with `once`). */
export async function runWatch(options: WatchOptions): Promise<WatchOutcome> {
  const { signal } = options;
  let folder = options.folder;
  const grade = options.grade ?? gradeClass;
  const estimate = readsPerSubscription(undefined, folder);
  const subscriptions = subscriptionCount(folder);
  if (options.interval !== undefined) checkInterval(options.interval, estimate, true);
  let interval = options.interval ?? smallestInterval(estimate);
  let state: WatchState = {
    schemaVersion: 1,
    classId: folder.config.classId,
    target: folder.config.target,
    mode: folder.config.mode,
    round: 0,
    status: 'starting',
    intervalSeconds: interval,
    budget: budgetOf(estimate, interval, { estimated: true, subscriptions }),
    activity: folder.roster.map((l) => ({ learner: l.learner, lastChangedAt: null })),
  };
  let server: WatchServer | undefined;
  const publish = (next: WatchState, event: WatchEvent) => {
    state = next;
    server?.publish(state);
    options.onState?.(state, event);
  };
  if (options.serve !== undefined) {
    server = await (options.startServer ?? defaultServer)({ port: options.serve, host: '127.0.0.1', initial: state });
    options.onServe?.(server);
  }
  const activity = new ActivityTracker();
  const next = (now: Date) => (options.once ? {} : { nextAt: new Date(now.getTime() + interval * 1000).toISOString() });
  let lastError: unknown;
  let result: ClassJson | undefined;
  try {
    publish(state, 'start');
    while (!signal?.aborted) {
      publish({ ...state, status: 'grading' }, 'grading');
      let outcome: GradeClassOutcome | undefined;
      try {
        if (options.reload && state.round > 0) folder = options.reload();
        // Ctrl-C does not wait for a round stuck on a peer that does not answer (a second Ctrl-C kills).
        outcome = await untilAborted(grade({
          folder,
          ...(options.labs ? { labs: options.labs } : {}),
          ...(options.programs ? { programs: options.programs } : {}),
          ...(options.reportsDir ? { reportsDir: options.reportsDir } : {}),
          ...(options.concurrency ? { concurrency: options.concurrency } : {}),
          ...(options.env ? { env: options.env } : {}),
          ...(options.throttle ? { throttle: options.throttle } : {}),
          ...(options.onWarning ? { onWarning: options.onWarning } : {}),
          ...(options.onProgress ? { onLearner: (done: number, total: number) => options.onProgress!(done, total) } : {}),
          ...(signal ? { signal } : {}),
        }), signal);
        lastError = undefined;
      } catch (error) {
        if (signal?.aborted) break;
        lastError = error;
      }
      const now = new Date();
      const round = state.round + 1;
      if (outcome) {
        result = JSON.parse(formatClassJson(outcome.result)) as ClassJson;
        const reads = readsPerSubscription(outcome.result.armReads, folder);
        if (options.interval === undefined) interval = smallestInterval(reads);
        else if (readsPerHour(reads, interval) > WATCH_READS_PER_HOUR) {
          // More pages than the first estimate (a class that grew): keep to the share.
          const longer = smallestInterval(reads);
          options.onWarning?.(`note: a round now takes ${reads} ARM reads: --interval ${interval} would read ${n(readsPerHour(reads, interval))} times an hour, over the watch's share of ${n(WATCH_READS_PER_HOUR)}; waiting ${longer} s instead.`);
          interval = longer;
        }
        // No next round after --once: no nextAt.
        const { error: _previous, nextAt: _next, ...rest } = state;
        publish({ ...rest, round, status: 'idle', intervalSeconds: interval, budget: budgetOf(reads, interval, { subscriptions: subscriptionCount(folder) }), gradedAt: now.toISOString(), ...next(now), result, activity: activity.update(result, now) }, 'graded');
      } else {
        const { nextAt: _next, ...rest } = state;
        publish({ ...rest, round, status: 'error', error: roundError(lastError), ...next(now) }, 'failed');
      }
      if (options.once) break;
      if (!(await (options.wait ?? pause)(interval * 1000, signal, () => options.onState?.(state, 'tick')))) break;
    }
  } finally {
    await server?.close();
  }
  options.onState?.(state, 'stopped');
  const exitCode: 0 | 1 | 2 = lastError !== undefined || !result ? 2 : classExitCode(result);
  return { rounds: state.round, state, exitCode, ...(lastError !== undefined ? { error: lastError } : {}) };
}
