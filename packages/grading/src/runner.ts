// The runner: runs a grader's checks, each as soon as the checks it depends on have passed (so
// independent checks run at once and grading waits only on real dependencies; shared reads are
// made once by the grader's context), with a time limit per check and for the whole run, and
// reports them in the declared order. It never throws for anything a check
// does: every way a check can end becomes a CheckResult.
import { AsyncLocalStorage } from 'node:async_hooks';
import { checkInfo, scoringProblems, type CannotGradeInfo, type Check, type CheckInfo, type CheckOutcome, type CheckResult } from './check.js';
import { classifyWith, messageOf, type ErrorClassifier } from './classify.js';
import { buildReport, type GradeError, type GradeReport } from './report.js';

/** Default time limit for one check: generous for ARM paging plus a retry or two. */
export const DEFAULT_PER_CHECK_TIMEOUT_MS = 30_000;
/** Default time limit for the whole run of one lab. */
export const DEFAULT_TOTAL_TIMEOUT_MS = 300_000;

/**
 * Progress events for reporters. Every check gets exactly one `finish`; `start` comes first
 * only for checks that actually run (not for those skipped without running).
 */
export type RunEvent =
  | { readonly type: 'start'; readonly check: CheckInfo; readonly index: number; readonly total: number; readonly lab?: string }
  | { readonly type: 'finish'; readonly result: CheckResult; readonly index: number; readonly total: number; readonly lab?: string };

/** Options for {@link runChecks}. */
export interface RunOptions<Ctx> {
  /** Handed to every check's `run`. */
  readonly ctx: Ctx;
  /** The lab id (`01`), recorded on the report and every result. */
  readonly lab?: string;
  readonly title?: string;
  /** `emulator` or `azure`, recorded on the report. */
  readonly target?: string;
  /** Time limit per check in ms (`Infinity` for none); a check that exceeds it fails and the run goes on. */
  readonly perCheckTimeoutMs?: number;
  /** Time limit for the whole run in ms (`Infinity` for none); checks not started by then are skipped. */
  readonly totalTimeoutMs?: number;
  /** Receives progress events; an exception it throws is ignored (a display must not change a grade). */
  readonly onEvent?: (event: RunEvent) => void;
  /** Cancels the run (Ctrl-C): the running checks are abandoned, the rest are skipped, status `error`. */
  readonly signal?: AbortSignal;
  /**
   * Recognises environment failures (sign-in, network, emulator down) among thrown errors;
   * consulted before the built-in {@link classifyEnvironmentError}.
   */
  readonly classifyError?: ErrorClassifier;
}

const GRADER_BUG_FIX =
  'This is a bug in the grader, not in your work: run `./milab grade` again, and if it repeats, report it with this output.';
// A thrown error may be a transient answer (throttling, a 5xx) the grader did not handle, so it
// is not called a bug outright.
const UNEXPECTED_ERROR_FIX =
  'The grader did not expect this error: run `./milab grade` again, and if it repeats, report it with this output.';

/**
 * Runs checks and returns the report, its results (and the events) in the declared order.
 *
 * - A check starts as soon as every check in its `dependsOn` has finished and passed, so checks
 *   that do not depend on one another run concurrently.
 * - A check whose `dependsOn` did not all pass is skipped, naming them.
 * - A check that throws fails with the error's message; if the error is an environment failure
 *   ({@link CannotGradeError} or recognised by the classifier), grading stops: that check is
 *   `error`, the checks not started yet are skipped (those already running finish), and the
 *   report's status is `error` (exit code 2).
 * - A check that exceeds its time limit fails with "timed out after N s"; the run goes on.
 * - Checks not started before the whole run's time limit are skipped with that reason.
 * - An invalid grader (duplicate ids, unknown or later dependencies, bad weights, no checks)
 *   runs nothing and reports `error`.
 *
 * @throws RangeError when a time limit is not a positive number (a caller bug, not a grading result).
 */
export async function runChecks<Ctx>(checks: readonly Check<Ctx>[], options: RunOptions<Ctx>): Promise<GradeReport> {
  const perCheckMs = options.perCheckTimeoutMs ?? DEFAULT_PER_CHECK_TIMEOUT_MS;
  const totalMs = options.totalTimeoutMs ?? DEFAULT_TOTAL_TIMEOUT_MS;
  for (const [name, value] of Object.entries({ perCheckTimeoutMs: perCheckMs, totalTimeoutMs: totalMs })) {
    if (!(value > 0)) {
      throw new RangeError(`runChecks: ${name} is ${String(value)}; expected a positive number of milliseconds (or Infinity).`);
    }
  }
  const lab = options.lab;
  const startedAt = new Date().toISOString();
  const start = performance.now();
  const deadline = start + totalMs;

  const byId = new Map<string, CheckResult>();
  let error: GradeError | undefined;
  // Once set, every remaining check is skipped with this reason.
  let stopReason: string | undefined;

  const problems = validateChecks(checks);
  if (problems.length > 0) {
    const where = lab === undefined ? 'this grader' : `the grader for lab ${lab}`;
    error = {
      kind: 'other',
      message: `Could not grade: ${where} is invalid: ${problems.join('; ')}.`,
      hint: GRADER_BUG_FIX,
      ...(lab === undefined ? {} : { lab }),
    };
    stopReason = 'not run: the grader is invalid (see the error)';
  }

  const emit = (event: RunEvent): void => {
    try {
      options.onEvent?.(event);
    } catch {
      // Ignored on purpose: a broken progress display must not change the grade.
    }
  };

  // Checks run as soon as their dependencies have passed, so several may run at once; events
  // still go out in the declared order, as if they ran one after another: a check's `start` once
  // every earlier check has finished (and it has started), its `finish` once it has too.
  const slots: { info: CheckInfo; started: boolean; result?: CheckResult }[] = checks.map((check) => ({ info: checkInfo(check), started: false }));
  let shown = 0;
  let startShown = -1;
  const flush = (): void => {
    while (shown < slots.length) {
      const slot = slots[shown]!;
      const where = { index: shown, total: checks.length, ...(lab === undefined ? {} : { lab }) };
      if (slot.started && startShown < shown) {
        startShown = shown;
        emit({ type: 'start', check: slot.info, ...where });
      }
      if (slot.result === undefined) return;
      emit({ type: 'finish', result: slot.result, ...where });
      shown += 1;
    }
  };

  const runOne = async (check: Check<Ctx>, index: number, after: readonly Promise<void>[]): Promise<void> => {
    // Checks with no dependencies start at once (no extra turn of the event loop).
    if (after.length > 0) await Promise.all(after);
    const slot = slots[index]!;
    const info = slot.info;
    const record = (outcome: CheckOutcome | ({ status: 'error' } & CannotGradeInfo), durationMs: number): void => {
      const result = {
        ...info,
        ...(lab === undefined ? {} : { lab }),
        durationMs: Math.round(durationMs),
        ...outcome,
      } as CheckResult;
      slot.result = result;
      byId.set(check.id, result);
      flush();
    };

    if (stopReason === undefined && options.signal?.aborted === true) {
      error ??= cancelledError(lab, undefined);
      stopReason = 'not checked: grading was cancelled';
    }
    if (stopReason === undefined && performance.now() >= deadline) {
      stopReason = `not checked: the whole run's time limit of ${seconds(totalMs)} was reached before this check started`;
    }
    if (stopReason !== undefined) {
      record({ status: 'skip', reason: stopReason }, 0);
      return;
    }

    const blocking = (check.dependsOn ?? []).filter((id) => byId.get(id)?.status !== 'pass');
    if (blocking.length > 0) {
      const names = blocking.map((id) => `${id} (${byId.get(id)?.title ?? 'unknown check'})`);
      record({ status: 'skip', reason: `needs ${joinAnd(names)} to pass first` }, 0);
      return;
    }

    const remaining = deadline - performance.now();
    const limitedByRun = remaining < perCheckMs;
    const limitMs = Math.max(0, Math.min(perCheckMs, remaining));
    slot.started = true;
    flush();
    const began = performance.now();
    const settled = await settle(check, options.ctx, limitMs, options.signal);
    const took = performance.now() - began;

    switch (settled.kind) {
      case 'outcome':
        record(checkedOutcome(settled.outcome), took);
        break;
      case 'timeout':
        if (limitedByRun) {
          stopReason ??= `not checked: the whole run's time limit of ${seconds(totalMs)} was reached`;
        }
        record(
          {
            status: 'fail',
            found: limitedByRun
              ? `timed out after ${seconds(limitMs)}: the whole run's time limit of ${seconds(totalMs)} was reached`
              : `timed out after ${seconds(limitMs)}`,
            expected: `the check to finish within ${seconds(limitMs)}`,
            fix: 'Run `./milab grade` again. If it keeps timing out, run `./milab doctor` to check the connection to Azure or the emulator.',
          },
          took,
        );
        break;
      case 'cancelled':
        error ??= cancelledError(lab, info);
        stopReason ??= 'not checked: grading was cancelled';
        record({ status: 'skip', reason: 'cancelled before this check finished' }, took);
        break;
      case 'threw': {
        const environment = classifyWith(options.classifyError, settled.error);
        if (environment === undefined) {
          record(
            {
              status: 'fail',
              found: `the check stopped with an error: ${messageOf(settled.error)}`,
              expected: 'the check to finish with a result',
              fix: UNEXPECTED_ERROR_FIX,
            },
            took,
          );
          break;
        }
        // The first environment failure is the one reported; checks already running finish.
        error ??= {
          ...environment,
          ...(lab === undefined ? {} : { lab }),
          checkId: info.id,
          checkTitle: info.title,
        };
        stopReason ??= `not checked: grading stopped at ${info.id} because of a ${environment.kind} problem`;
        record({ status: 'error', kind: environment.kind, message: environment.message, hint: environment.hint }, took);
        break;
      }
    }
  };

  // A check waits for its dependencies (all earlier, as validation makes sure) to finish; an
  // invalid grader's checks wait for nothing, since they are all skipped.
  const done: Promise<void>[] = [];
  const indexOf = new Map(checks.map((check, index) => [check.id, index]));
  for (const [index, check] of checks.entries()) {
    const after = stopReason === undefined ? (check.dependsOn ?? []).map((id) => done[indexOf.get(id)!]!) : [];
    done.push(runOne(check, index, after));
  }
  await Promise.all(done);
  const results = slots.map((slot) => slot.result!);

  return buildReport({
    ...(lab === undefined ? {} : { lab }),
    ...(options.title === undefined ? {} : { title: options.title }),
    ...(options.target === undefined ? {} : { target: options.target }),
    startedAt,
    durationMs: Math.round(performance.now() - start),
    results,
    ...(error === undefined ? {} : { error }),
  });
}

const MAX_TIMER_MS = 2 ** 31 - 1;

// The running check's signal, for what it calls without passing its tools along.
const checkSignal = new AsyncLocalStorage<AbortSignal>();

/**
 * The abort signal of the check running in this async context (the one its `run` got), or
 * `undefined` outside a check. It aborts when the check times out, ends, or grading is
 * cancelled, so work a check starts deep down (a learner's program on the VM) can end with it.
 */
export function currentCheckSignal(): AbortSignal | undefined {
  return checkSignal.getStore();
}

type Settled =
  | { kind: 'outcome'; outcome: unknown }
  | { kind: 'threw'; error: unknown }
  | { kind: 'timeout' }
  | { kind: 'cancelled' };

// Races the check against its time limit and the caller's cancellation. The loser is not
// awaited: its signal is aborted so well-behaved checks stop their requests, and a late
// rejection is swallowed so it cannot surface as an unhandled rejection.
async function settle<Ctx>(check: Check<Ctx>, ctx: Ctx, limitMs: number, cancel: AbortSignal | undefined): Promise<Settled> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onCancel: (() => void) | undefined;
  try {
    return await new Promise<Settled>((resolve) => {
      // Infinity means "no limit"; setTimeout would fire at once for it (and anything past 2^31-1 ms).
      if (limitMs <= MAX_TIMER_MS) timer = setTimeout(() => resolve({ kind: 'timeout' }), limitMs);
      onCancel = () => resolve({ kind: 'cancelled' });
      cancel?.addEventListener('abort', onCancel, { once: true });
      // Promise.resolve().then() also turns a synchronous throw from run() into a rejection.
      Promise.resolve()
        .then(() => checkSignal.run(controller.signal, () => check.run(ctx, { signal: controller.signal })))
        .then(
          (outcome) => resolve({ kind: 'outcome', outcome }),
          (error: unknown) => resolve({ kind: 'threw', error }),
        );
    });
  } finally {
    clearTimeout(timer);
    if (onCancel !== undefined) cancel?.removeEventListener('abort', onCancel);
    controller.abort();
  }
}

// A check written in plain JavaScript (a zx grader) can return anything; only the three
// outcome shapes are accepted, anything else is reported as a grader bug.
function checkedOutcome(value: unknown): CheckOutcome {
  const outcome = value as Partial<Record<string, unknown>> | null | undefined;
  const text = (key: string): string | undefined =>
    typeof outcome?.[key] === 'string' ? (outcome[key] as string) : undefined;
  const details = text('details');
  switch (outcome?.status) {
    case 'pass':
      return { status: 'pass', ...(details === undefined ? {} : { details }) };
    case 'skip': {
      const reason = text('reason');
      if (reason !== undefined) return { status: 'skip', reason };
      break;
    }
    case 'fail': {
      const found = text('found');
      const expected = text('expected');
      const fix = text('fix');
      const retry = outcome.retryAfterSeconds;
      if (found !== undefined && expected !== undefined && fix !== undefined) {
        return {
          status: 'fail',
          found,
          expected,
          fix,
          ...(details === undefined ? {} : { details }),
          ...(typeof retry === 'number' && Number.isFinite(retry) && retry > 0 ? { retryAfterSeconds: retry } : {}),
        };
      }
      break;
    }
  }
  return {
    status: 'fail',
    found: `the check returned ${describe(value)}`,
    expected: 'pass(), fail({ found, expected, fix }) or skip({ reason })',
    fix: GRADER_BUG_FIX,
  };
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'object' && value !== null && 'status' in value) {
    return `an incomplete "${String((value as { status: unknown }).status)}" outcome`;
  }
  return `a ${value === null ? 'null' : typeof value} instead of an outcome`;
}

/** The problems that make a list of checks ungradable, as sentences; empty when it is valid. */
export function validateChecks(checks: readonly Check<never>[]): string[] {
  const problems: string[] = [];
  if (checks.length === 0) problems.push('it has no checks');
  const seen = new Set<string>();
  for (const check of checks) {
    if (typeof check.id !== 'string' || check.id.trim() === '') problems.push('a check has no id');
    else if (seen.has(check.id)) problems.push(`two checks have the id ${check.id}`);
    if (typeof check.title !== 'string' || check.title.trim() === '') problems.push(`check ${check.id} has no title`);
    problems.push(...scoringProblems(check, seen, checks));
    for (const dependency of check.dependsOn ?? []) {
      if (dependency === check.id) problems.push(`check ${check.id} depends on itself`);
      else if (!seen.has(dependency)) {
        const exists = checks.some((other) => other.id === dependency);
        problems.push(
          exists
            ? `check ${check.id} depends on ${dependency}, which runs after it`
            : `check ${check.id} depends on ${dependency}, which does not exist`,
        );
      }
    }
    seen.add(check.id);
  }
  return problems;
}

function cancelledError(lab: string | undefined, during: CheckInfo | undefined): GradeError {
  return {
    kind: 'other',
    message: 'Grading was cancelled before every check finished.',
    hint: 'Run `./milab grade` again to grade every check.',
    ...(lab === undefined ? {} : { lab }),
    ...(during === undefined ? {} : { checkId: during.id, checkTitle: during.title }),
  };
}

/** Milliseconds as seconds for messages: "0.05 s", "2 s", "1.5 s". */
export function seconds(ms: number): string {
  const value = ms / 1000;
  const text = value >= 10 ? String(Math.round(value)) : String(Number(value.toFixed(value < 1 ? 3 : 1)));
  return `${text} s`;
}

function joinAnd(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] ?? ''}`;
}
