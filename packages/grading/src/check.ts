// The check model: what a grader declares (a Check) and what a check returns (an outcome).
// Everything a reporter shows comes from these types, so they carry plain strings only —
// never an SDK object that might hold a token.

/**
 * What a check found: it passed, it failed (with what was found, what was expected and how
 * to fix it), or it was skipped (with why).
 */
export type CheckOutcome = PassOutcome | FailOutcome | SkipOutcome;

/** The learner's work meets this check. */
export interface PassOutcome {
  readonly status: 'pass';
  /** Extra context worth showing, e.g. the resource id that was checked. */
  readonly details?: string;
}

/** The learner's work does not meet this check yet. */
export interface FailOutcome {
  readonly status: 'fail';
  /** What the grader saw, in the learner's terms ("no identity named id-alice in rg-alice"). */
  readonly found: string;
  /** What the lab asks for ("a user-assigned identity named id-alice"). */
  readonly expected: string;
  /** The next step that fixes it (a command, a Portal path, or a pointer into the README). */
  readonly fix: string;
  readonly details?: string;
  /**
   * Set when the failure may be RBAC propagation delay (a role assignment exists but is not
   * effective yet): reporters say so and suggest retrying after this many seconds.
   */
  readonly retryAfterSeconds?: number;
}

/** The check could not be judged yet, e.g. because an earlier lab is not done. */
export interface SkipOutcome {
  readonly status: 'skip';
  /** Why it was skipped, and what to do first ("the identity from lab 01 does not exist yet"). */
  readonly reason: string;
}

/** Builds a passing outcome. */
export function pass(options: { details?: string } = {}): PassOutcome {
  return options.details === undefined ? { status: 'pass' } : { status: 'pass', details: options.details };
}

/** Builds a failing outcome: what was found, what was expected, and how to fix it. */
export function fail(options: {
  found: string;
  expected: string;
  fix: string;
  details?: string;
  retryAfterSeconds?: number;
}): FailOutcome {
  return {
    status: 'fail',
    found: options.found,
    expected: options.expected,
    fix: options.fix,
    ...(options.details === undefined ? {} : { details: options.details }),
    ...(options.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: options.retryAfterSeconds }),
  };
}

/** Builds a skipped outcome with the reason the check could not be judged. */
export function skip(options: { reason: string }): SkipOutcome {
  return { status: 'skip', reason: options.reason };
}

/** What a check gets besides the grader's context. */
export interface CheckRunTools {
  /**
   * Aborted when the check's time limit or the whole run's time limit is reached, or when the
   * run is cancelled. Pass it to every request so an abandoned check stops its I/O.
   */
  readonly signal: AbortSignal;
}

/**
 * One thing a grader verifies. Checks only read: they must pass when run with a Reader-only
 * principal.
 *
 * @typeParam Ctx - whatever the grader hands every check (clients, names, the learner id).
 */
export interface Check<Ctx = unknown> {
  /** Stable id, `<lab>.<slug>` (e.g. `01.identity-exists`); scripts and CI history key on it. */
  readonly id: string;
  /** One line in the learner's terms ("The identity exists"). */
  readonly title: string;
  /** Share of the lab's score; a positive number, 1 when omitted. */
  readonly weight?: number;
  /**
   * Ids of earlier checks that must pass first; if one did not, this check is skipped with a
   * reason naming it instead of failing with a confusing second-order error.
   */
  readonly dependsOn?: readonly string[];
  run(ctx: Ctx, tools: CheckRunTools): Promise<CheckOutcome>;
}

/** The parts of a check that reporters and events need (no `run`). */
export interface CheckInfo {
  readonly id: string;
  readonly title: string;
  readonly weight: number;
}

/** Why grading as a whole could not go on: the environment, not the learner's work. */
export type CannotGradeKind = 'sign-in' | 'network' | 'emulator' | 'other';

/** A classified "could not grade" condition: which kind, what happened, and the next step. */
export interface CannotGradeInfo {
  readonly kind: CannotGradeKind;
  /** What happened ("could not reach management.azure.com: ENOTFOUND"). */
  readonly message: string;
  /** The next step ("check your network connection, then run milab grade again"). */
  readonly hint: string;
}

/**
 * A check's result as the runner recorded it. Besides the three outcomes a check can return,
 * `error` marks the check during which grading stopped because the environment failed (sign-in,
 * network, emulator); the report's `error` says the same at run level.
 */
export type CheckResult = CheckInfo & {
  /** The lab the check belongs to, when the runner was told (always set in merged reports). */
  readonly lab?: string;
  /** Wall-clock time the check took, in milliseconds (0 for checks that never ran). */
  readonly durationMs: number;
} & (PassOutcome | FailOutcome | SkipOutcome | ErrorOutcome);

/** The environment failed while this check ran, so it could not be judged. */
export interface ErrorOutcome extends CannotGradeInfo {
  readonly status: 'error';
}

/** The status of a check result: the three outcomes plus `error` (could not grade). */
export type CheckStatus = CheckResult['status'];

/**
 * Throw this from a check when the environment, not the learner's work, stops grading
 * (signed out, network down, emulator not running). The run then ends with exit code 2 and
 * reports `kind`, `message` and `hint`.
 */
export class CannotGradeError extends Error {
  override readonly name = 'CannotGradeError';
  readonly kind: CannotGradeKind;
  readonly hint: string;

  constructor(kind: CannotGradeKind, message: string, hint: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.hint = hint;
  }
}
