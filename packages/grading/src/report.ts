// The grade report: what a run produced, its score and status, the exit code it maps to, and
// how several labs' reports merge into one (`milab grade all`). Reporters only read these.
import type { CannotGradeInfo, CheckResult } from './check.js';

/** `passed`: every check passed. `failed`: some check failed or was skipped. `error`: could not grade. */
export type GradeStatus = 'passed' | 'failed' | 'error';

/**
 * The weighted score: a passed check earns its weight (a prerequisite has none; a check with
 * `earnsWith` earns only once those checks pass too); every check counts towards `possible`.
 */
export interface Score {
  readonly earned: number;
  readonly possible: number;
  /** `earned / possible` as a whole percentage, rounded down so 100 means all passed. */
  readonly percent: number;
}

/** How many checks ended in each status. */
export interface Counts {
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  /** Checks during which the environment failed (at most one per lab: grading stops there). */
  readonly errored: number;
}

/** Why a run could not grade: the kind, what happened, the next step, and where it happened. */
export interface GradeError extends CannotGradeInfo {
  /** The lab being graded, when known. */
  readonly lab?: string;
  /** The check during which it happened; absent when no check was running (e.g. cancelled). */
  readonly checkId?: string;
  readonly checkTitle?: string;
}

/** A lab's outcome without its results: the head of a report, and a line in a merged one. */
export interface LabSummary {
  /** The lab id (`01`); absent in a merged report's head. */
  readonly lab?: string;
  readonly title?: string;
  /** `emulator` or `azure`, as the caller named it. */
  readonly target?: string;
  /** When grading started, as an ISO 8601 UTC timestamp. */
  readonly startedAt: string;
  readonly durationMs: number;
  readonly status: GradeStatus;
  readonly score: Score;
  readonly counts: Counts;
  /** Present when `status` is `error`. */
  readonly error?: GradeError;
}

/** Everything one grading run (or several merged) found. */
export interface GradeReport extends LabSummary {
  readonly results: readonly CheckResult[];
  /** Present in merged reports: one summary per lab, in the order they were graded. */
  readonly labs?: readonly LabSummary[];
}

/** The process exit code for a report: 0 all passed, 1 some failed or skipped, 2 could not grade. */
export function exitCodeFor(report: Pick<GradeReport, 'status'>): 0 | 1 | 2 {
  switch (report.status) {
    case 'passed':
      return 0;
    case 'failed':
      return 1;
    case 'error':
      return 2;
  }
}

/**
 * The points a result earned: its weight when it passed and every check it `earnsWith` passed
 * too (looked up among `results`, in the same lab), else 0.
 */
export function pointsOf(result: CheckResult, results: readonly CheckResult[]): number {
  if (result.status !== 'pass') return 0;
  const waiting = withheldBy(result, results);
  return waiting.length === 0 ? result.weight : 0;
}

/**
 * The `earnsWith` checks that keep a passed result from earning its points (none passed, or
 * they are missing from `results`); empty when it earns them or did not pass.
 */
export function withheldBy(result: CheckResult, results: readonly CheckResult[]): string[] {
  if (result.status !== 'pass') return [];
  return (result.earnsWith ?? []).filter(
    (id) => !results.some((other) => other.id === id && other.lab === result.lab && other.status === 'pass'),
  );
}

/** Adds up the weighted score of some results. */
export function scoreOf(results: readonly CheckResult[]): Score {
  let earned = 0;
  let possible = 0;
  for (const result of results) {
    possible += result.weight;
    earned += pointsOf(result, results);
  }
  // Fractional weights (0.1 + 0.2) must not show as 0.30000000000000004 in reports.
  earned = roundWeight(earned);
  possible = roundWeight(possible);
  // Rounded down so a run with any failure never shows 100%.
  const percent = possible === 0 ? 0 : Math.floor((earned / possible) * 100 + 1e-9);
  return { earned, possible, percent };
}

/** Counts results per status. */
export function countsOf(results: readonly CheckResult[]): Counts {
  const count = (status: CheckResult['status']): number => results.filter((r) => r.status === status).length;
  return { passed: count('pass'), failed: count('fail'), skipped: count('skip'), errored: count('error') };
}

/**
 * The run's status: `error` when grading could not finish, `passed` only when every check
 * passed (a skipped check earned nothing, so it is not a pass), `failed` otherwise.
 */
export function statusOf(results: readonly CheckResult[], error: GradeError | undefined): GradeStatus {
  if (error !== undefined) return 'error';
  return results.length > 0 && results.every((r) => r.status === 'pass') ? 'passed' : 'failed';
}

/** Builds a report from results, computing each result's points, the score, counts and status. */
export function buildReport(input: {
  lab?: string;
  title?: string;
  target?: string;
  startedAt: string;
  durationMs: number;
  results: readonly CheckResult[];
  error?: GradeError;
  labs?: readonly LabSummary[];
}): GradeReport {
  const { labs, ...head } = input;
  const results = input.results.map((result) => ({ ...result, points: pointsOf(result, input.results) }));
  return {
    ...summaryOf({ ...head, status: statusOf(results, input.error), score: scoreOf(results), counts: countsOf(results) }),
    results,
    ...(labs === undefined ? {} : { labs }),
  };
}

/**
 * Merges several labs' reports into one (for `milab grade all`): results in order, each tagged
 * with its lab; score and counts over all of them; one {@link LabSummary} per lab. The merged
 * status is `error` if any lab could not be graded (the first such lab's error, naming the lab,
 * is the merged one), else `failed` if any check failed or was skipped (or there were no labs),
 * else `passed`. Duration is the sum of the labs'.
 */
export function mergeReports(
  reports: readonly GradeReport[],
  meta: { title?: string; target?: string } = {},
): GradeReport {
  const results = reports.flatMap((report) =>
    report.results.map((result) =>
      result.lab !== undefined || report.lab === undefined ? result : { ...result, lab: report.lab },
    ),
  );
  const labs = reports.flatMap((report) => report.labs ?? [summaryOf(report)]);
  const errored = reports.find((report) => report.error !== undefined);
  // The merged error must say which lab could not be graded.
  const firstError =
    errored?.error === undefined || errored.error.lab !== undefined || errored.lab === undefined
      ? errored?.error
      : { ...errored.error, lab: errored.lab };
  const targets = new Set(reports.map((report) => report.target).filter((t) => t !== undefined));
  const target = meta.target ?? (targets.size === 1 ? [...targets][0] : undefined);
  const startedAt = reports.map((report) => report.startedAt).sort()[0] ?? new Date().toISOString();
  return buildReport({
    ...(meta.title === undefined ? {} : { title: meta.title }),
    ...(target === undefined ? {} : { target }),
    startedAt,
    durationMs: reports.reduce((sum, report) => sum + report.durationMs, 0),
    results,
    ...(firstError === undefined ? {} : { error: firstError }),
    labs,
  });
}

/**
 * The summary part of a report (or a copy of a summary), with keys in their canonical order:
 * the JSON reporter's order, and the order merged reports list labs in.
 */
export function summaryOf(report: LabSummary): LabSummary {
  const { score, counts, error } = report;
  return {
    ...(report.lab === undefined ? {} : { lab: report.lab }),
    ...(report.title === undefined ? {} : { title: report.title }),
    ...(report.target === undefined ? {} : { target: report.target }),
    startedAt: report.startedAt,
    durationMs: report.durationMs,
    status: report.status,
    score: { earned: score.earned, possible: score.possible, percent: score.percent },
    counts: { passed: counts.passed, failed: counts.failed, skipped: counts.skipped, errored: counts.errored },
    ...(error === undefined
      ? {}
      : {
          error: {
            kind: error.kind,
            message: error.message,
            hint: error.hint,
            ...(error.lab === undefined ? {} : { lab: error.lab }),
            ...(error.checkId === undefined ? {} : { checkId: error.checkId }),
            ...(error.checkTitle === undefined ? {} : { checkTitle: error.checkTitle }),
          },
        }),
  };
}

function roundWeight(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
