// What the dashboard page shows: one JSON-able object, pushed whole on every grading round by
// `milab class watch` (packages/cli/src/class/watch*.ts). The class result inside is the subset of
// `milab class grade --json` (ClassJson in packages/cli/src/class/report-json.ts) that the page
// reads, written out structurally here because the cli depends on this package, not the other way
// round: ClassJson must stay assignable to DashboardClassResult (test/state.test.ts pins a copy).
// Everything in it is already redacted by the cli; the page adds no other data source.

/** A lab's mark for one learner, as the scoreboard has it (packages/cli/src/class/scoreboard.ts). */
export type DashboardLabMark = 'pass' | 'fail' | 'waiting' | 'error' | 'flagged';

/** A learner's or a lab's grade. */
export type DashboardGradeStatus = 'passed' | 'failed' | 'error';

/** Points earned of possible, and the percentage (0–100). */
export interface DashboardScore {
  readonly earned: number;
  readonly possible: number;
  readonly percent: number;
}

/** A check as a lab declares it. */
export interface DashboardCheckInfo {
  readonly id: string;
  readonly title: string;
  readonly weight: number;
  readonly role?: 'prerequisite';
}

/**
 * One check's result (`milab grade --json`'s result): `status` says which of the optional fields
 * are there: fail → found/expected/fix, skip → reason, error → message/hint.
 */
export interface DashboardCheckResult {
  readonly id: string;
  readonly title: string;
  readonly status: 'pass' | 'fail' | 'skip' | 'error';
  readonly weight?: number;
  readonly role?: 'prerequisite';
  readonly lab?: string;
  readonly points?: number;
  readonly details?: string;
  readonly found?: string;
  readonly expected?: string;
  readonly fix?: string;
  readonly reason?: string;
  readonly kind?: string;
  readonly message?: string;
  readonly hint?: string;
}

/** Why a lab could not be graded for a learner. */
export interface DashboardGradeError {
  readonly kind: string;
  readonly message: string;
  readonly hint: string;
  readonly lab?: string;
  readonly checkId?: string;
  readonly checkTitle?: string;
}

/** One learner's lab. */
export interface DashboardLearnerLab {
  readonly lab: string;
  readonly mark: DashboardLabMark;
  readonly status: DashboardGradeStatus;
  readonly source?: 'graded' | 'self-run' | 'missing';
  readonly flags?: readonly string[];
  readonly counted?: boolean;
  readonly score: DashboardScore;
  readonly results: readonly DashboardCheckResult[];
  readonly error?: DashboardGradeError;
}

/** One learner of the class. */
export interface DashboardLearner {
  readonly learner: string;
  readonly displayName: string;
  readonly status: DashboardGradeStatus;
  readonly score: DashboardScore;
  readonly labs: readonly DashboardLearnerLab[];
}

/** A mistake several learners make: the failing check, how many fail it, who, and the fix. */
export interface DashboardMistake {
  readonly checkId: string;
  readonly lab: string;
  readonly title: string;
  readonly count: number;
  readonly learners: readonly string[];
  readonly fix: string;
}

/** The class result the page reads: what `milab class grade --json` writes (ClassJson), redacted. */
export interface DashboardClassResult {
  readonly classId: string;
  readonly gradedAt: string;
  readonly durationMs: number;
  readonly armReads?: number;
  readonly labs: readonly { readonly id: string; readonly title: string; readonly checks: readonly DashboardCheckInfo[] }[];
  readonly learners: readonly DashboardLearner[];
  readonly mistakes: readonly DashboardMistake[];
}

/** What the page shows; JSON-able; pushed whole on every grading round. */
export interface DashboardState {
  readonly schemaVersion: 1;
  readonly classId: string;
  /** 'emulator' | 'azure' */
  readonly target: string;
  /** 'shared' | 'own' */
  readonly mode: string;
  /** Grading rounds so far, 0 before the first finishes. */
  readonly round: number;
  readonly status: 'starting' | 'grading' | 'idle' | 'error';
  /** The last round's problem (could not grade), already redacted: message + next step. */
  readonly error?: { readonly message: string; readonly hint: string };
  readonly intervalSeconds: number;
  /** The read budget the interval keeps to, in words and numbers, shown in the page footer. */
  readonly budget: { readonly readsPerRound: number; readonly readsPerHour: number; readonly limitPerHour: number; readonly text: string };
  /** When the last round finished / the next starts (ISO 8601 UTC). */
  readonly gradedAt?: string;
  readonly nextAt?: string;
  /** `milab class grade --json`'s object, redacted. Absent before round 1. */
  readonly result?: DashboardClassResult;
  /** Per learner: when the watcher last saw anything of theirs change (ISO, or null = not since watching started). */
  readonly activity: readonly { readonly learner: string; readonly lastChangedAt: string | null }[];
}

/** The schema version of {@link DashboardState}. */
export const DASHBOARD_STATE_SCHEMA_VERSION = 1;
