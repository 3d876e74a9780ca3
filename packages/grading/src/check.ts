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
 * How a check counts towards the lab's score, so that a lab nobody has touched scores 0 %:
 * - `work` (the default): checks the lab's own work; a pass earns the check's weight.
 * - `prerequisite`: checks that something the lab builds on is there ("lab 01 is done"). It
 *   earns no points (its weight is 0), but a lab whose prerequisite does not pass is not passed.
 */
export type CheckRole = 'work' | 'prerequisite';

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
  /** Share of the lab's score; a positive number, 1 when omitted (a prerequisite has none). */
  readonly weight?: number;
  /** How the check counts towards the score; `work` when omitted. */
  readonly role?: CheckRole;
  /**
   * Ids of earlier checks that must pass for this check's pass to earn points. For checks that
   * hold on their own before any work exists ("no role beyond Reader" holds for an identity
   * with no role at all): the check still runs and says what it found, but its points wait for
   * the main work, so doing nothing earns nothing.
   */
  readonly earnsWith?: readonly string[];
  /**
   * Ids of earlier checks that must pass first; if one did not, this check is skipped with a
   * reason naming it instead of failing with a confusing second-order error.
   */
  readonly dependsOn?: readonly string[];
  /**
   * Ids of the certification exam objective lines the check exercises
   * (`AZ-500/identity-access/app-access/managed-identities`, from labs/exam/objectives.json).
   * Carried into results and the JSON and JUnit reports; never affects the score.
   */
  readonly objectives?: readonly string[];
  run(ctx: Ctx, tools: CheckRunTools): Promise<CheckOutcome>;
}

/** The parts of a check that reporters and events need (no `run`). */
export interface CheckInfo {
  readonly id: string;
  readonly title: string;
  /** The points the check can earn (0 for a prerequisite). */
  readonly weight: number;
  /** Present for a prerequisite only (absent means `work`). */
  readonly role?: 'prerequisite';
  /** As {@link Check.earnsWith}; absent when empty. */
  readonly earnsWith?: readonly string[];
  /** As {@link Check.objectives}; absent when empty. */
  readonly objectives?: readonly string[];
}

/** The {@link CheckInfo} of a check: its weight (0 for a prerequisite, 1 when omitted or invalid). */
export function checkInfo(check: Check<never>): CheckInfo {
  const prerequisite = check.role === 'prerequisite';
  const weight = check.weight ?? 1;
  return {
    id: check.id,
    title: check.title,
    // Invalid weights are reported by checkProblems; 1 keeps the score arithmetic sane meanwhile.
    weight: prerequisite ? 0 : Number.isFinite(weight) && weight > 0 ? weight : 1,
    ...(prerequisite ? { role: 'prerequisite' as const } : {}),
    ...(check.earnsWith !== undefined && check.earnsWith.length > 0 ? { earnsWith: [...check.earnsWith] } : {}),
    ...(check.objectives !== undefined && check.objectives.length > 0 ? { objectives: [...check.objectives] } : {}),
  };
}

/**
 * What is wrong with how a check counts (its weight, role and `earnsWith`), as sentences; empty
 * when nothing is. `earlier` holds the ids of the checks before it.
 */
export function scoringProblems(check: Check<never>, earlier: ReadonlySet<string>, all: readonly Check<never>[]): string[] {
  const problems: string[] = [];
  if (check.role !== undefined && check.role !== 'work' && check.role !== 'prerequisite') {
    problems.push(`check ${check.id} has role ${String(check.role)}, expected work or prerequisite`);
  }
  if (check.role === 'prerequisite') {
    if (check.weight !== undefined) problems.push(`check ${check.id} is a prerequisite, which earns no points, but has weight ${String(check.weight)}`);
  } else if (check.weight !== undefined && !(Number.isFinite(check.weight) && check.weight > 0)) {
    problems.push(`check ${check.id} has weight ${String(check.weight)}, expected a positive number`);
  }
  for (const id of check.earnsWith ?? []) {
    if (id === check.id) problems.push(`check ${check.id} earns with itself`);
    else if (!earlier.has(id)) {
      problems.push(
        all.some((other) => other.id === id)
          ? `check ${check.id} earns with ${id}, which runs after it`
          : `check ${check.id} earns with ${id}, which does not exist`,
      );
    }
  }
  return problems;
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
  /**
   * The points this result earned: its weight for a pass whose `earnsWith` checks passed too,
   * else 0. Set on every result of a report (by `buildReport`); absent only before that.
   */
  readonly points?: number;
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
