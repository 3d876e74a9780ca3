// The class scoreboard: every learner's grade reports (one per lab, from the same checks
// `milab grade` runs) put together into one class result that the reporters (terminal table,
// CSV, JSON, HTML) only read. A lab a learner graded themselves on their VM (Azure, labs 04–09)
// is marked self-run; one whose claims are not the learner's own identity is flagged, and a
// flagged lab earns nothing until the instructor has looked at it (its results are kept).
import type { CheckInfo, CheckResult, GradeError, GradeReport, GradeStatus, Redactor, Score } from '@milab/grading';

/** Where a lab's report came from. */
export type LabSource =
  /** Graded by `milab class grade` itself (from the snapshot, or by running the program on the emulated VM). */
  | 'graded'
  /** A report the learner produced with `milab grade NN --json` on their VM (Azure, labs 04–09). */
  | 'self-run'
  /** Expected from the learner (a self-run lab) but not found: every check is skipped. */
  | 'missing';

/**
 * The mark a lab gets in the table: passed; something to fix (a check failed); nothing to judge
 * yet (only skips: an earlier lab is not done, or no report); could not grade; flagged.
 */
export type LabMark = 'pass' | 'fail' | 'waiting' | 'error' | 'flagged';

/** One lab of one learner, as the class grade found it. */
export interface LabEntry {
  readonly report: GradeReport;
  readonly source: LabSource;
  /** The self-run report's file (relative to where it was read from). */
  readonly file?: string;
  /** Why this lab cannot be taken at face value (e.g. the token's claims are someone else's). */
  readonly flags?: readonly string[];
}

/** One learner's input to {@link buildClassResult}. */
export interface LearnerInput {
  readonly learner: string;
  readonly displayName: string;
  readonly upn?: string;
  /** One entry per graded lab, in lab order. */
  readonly labs: readonly LabEntry[];
}

/** A lab column of the scoreboard: the lab and the checks its grader declares, in order. */
export interface LabColumn {
  readonly id: string;
  readonly title: string;
  readonly checks: readonly CheckInfo[];
}

/** One lab of one learner in the class result. */
export interface LearnerLab {
  readonly lab: string;
  readonly mark: LabMark;
  readonly status: GradeStatus;
  readonly source: LabSource;
  readonly file?: string;
  readonly flags: readonly string[];
  /** Whether its points count towards the learner's score (not when flagged or not graded). */
  readonly counted: boolean;
  readonly score: Score;
  readonly results: readonly CheckResult[];
  readonly error?: GradeError;
}

/** One learner in the class result. */
export interface LearnerResult {
  readonly learner: string;
  readonly displayName: string;
  readonly upn?: string;
  /** `passed` when every lab passed and counts, `error` when some lab could not be graded. */
  readonly status: GradeStatus;
  /** Earned over the counted labs; possible over every graded lab. */
  readonly score: Score;
  readonly labs: readonly LearnerLab[];
}

/** A check that fails for several learners: the instructor's next teaching moment. */
export interface Mistake {
  readonly checkId: string;
  readonly lab: string;
  readonly title: string;
  /** How many learners it fails for. */
  readonly count: number;
  readonly learners: readonly string[];
  /**
   * The fix the check gives, as most of these learners got it, with the learner's id written as
   * `<learner>` (every learner's fix names their own resources).
   */
  readonly fix: string;
}

/** What `milab class grade` found for the whole class. */
export interface ClassResult {
  readonly classId: string;
  readonly target: string;
  readonly mode: string;
  /** When grading started (ISO 8601, UTC). */
  readonly gradedAt: string;
  readonly durationMs: number;
  /** `passed` when every learner passed every lab; `error` when some lab could not be graded. */
  readonly status: GradeStatus;
  readonly labs: readonly LabColumn[];
  readonly learners: readonly LearnerResult[];
  /** Failing checks, most learners first. */
  readonly mistakes: readonly Mistake[];
  /** ARM reads the snapshot took (the whole class), when known. */
  readonly armReads?: number;
}

/** Options of {@link buildClassResult}: the result's own fields, with each learner's reports instead of what is derived from them. */
export type ClassResultInput = Omit<ClassResult, 'status' | 'learners' | 'mistakes'> & { readonly learners: readonly LearnerInput[] };

/** The mark of a lab in the table. */
export function markOf(entry: Pick<LabEntry, 'report' | 'flags'>): LabMark {
  if (entry.report.status === 'error') return 'error';
  if ((entry.flags ?? []).length > 0) return 'flagged';
  if (entry.report.status === 'passed') return 'pass';
  return entry.report.results.some((r) => r.status === 'fail') ? 'fail' : 'waiting';
}

/** A percentage rounded down, as @milab/grading does, so that 100 means everything earned. */
function percentOf(earned: number, possible: number): number {
  return possible === 0 ? 0 : Math.floor((earned / possible) * 100 + 1e-9);
}

const round = (value: number) => Math.round(value * 1e6) / 1e6;

/** The points a lab can earn: its grader's checks' weights (or the report's, for a lab not in `columns`). */
function possibleOf(column: LabColumn | undefined, report: GradeReport): number {
  return column ? round(column.checks.reduce((sum, check) => sum + check.weight, 0)) : report.score.possible;
}

/** Builds the class result from every learner's reports. */
export function buildClassResult(input: ClassResultInput): ClassResult {
  const columns = new Map(input.labs.map((lab) => [lab.id, lab]));
  const learners = input.learners.map((learner): LearnerResult => {
    const labs = learner.labs.map((entry): LearnerLab => {
      const lab = entry.report.lab ?? entry.report.results[0]?.lab ?? '';
      const flags = [...(entry.flags ?? [])];
      const mark = markOf(entry);
      const possible = possibleOf(columns.get(lab), entry.report);
      const counted = mark !== 'flagged' && mark !== 'error';
      const earned = counted ? entry.report.score.earned : 0;
      return {
        lab,
        mark,
        status: entry.report.status,
        source: entry.source,
        ...(entry.file === undefined ? {} : { file: entry.file }),
        flags,
        counted,
        score: { earned, possible, percent: percentOf(earned, possible) },
        results: entry.report.results,
        ...(entry.report.error === undefined ? {} : { error: entry.report.error }),
      };
    });
    const earned = round(labs.reduce((sum, lab) => sum + lab.score.earned, 0));
    const possible = round(labs.reduce((sum, lab) => sum + lab.score.possible, 0));
    const status: GradeStatus = labs.some((l) => l.mark === 'error')
      ? 'error'
      : labs.length > 0 && labs.every((l) => l.mark === 'pass')
        ? 'passed'
        : 'failed';
    return {
      learner: learner.learner,
      displayName: learner.displayName,
      ...(learner.upn === undefined ? {} : { upn: learner.upn }),
      status,
      score: { earned, possible, percent: percentOf(earned, possible) },
      labs,
    };
  });
  const status: GradeStatus = learners.some((l) => l.status === 'error')
    ? 'error'
    : learners.length > 0 && learners.every((l) => l.status === 'passed')
      ? 'passed'
      : 'failed';
  return {
    classId: input.classId,
    target: input.target,
    mode: input.mode,
    gradedAt: input.gradedAt,
    durationMs: input.durationMs,
    status,
    labs: input.labs,
    learners,
    mistakes: commonMistakes(learners, input.labs),
    ...(input.armReads === undefined ? {} : { armReads: input.armReads }),
  };
}

/** `text` with the learner's id (where it stands alone or inside a resource name) written as `<learner>`. */
export function generalise(text: string, learner: string): string {
  if (learner === '') return text;
  const escaped = learner.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return text.replace(new RegExp(`(?<![A-Za-z0-9])${escaped}(?![A-Za-z0-9])`, 'g'), '<learner>');
}

/**
 * Which checks fail for how many learners, most first (then in lab and check order), with the
 * fix most of them were given. Only failures count: a skip means an earlier step is missing,
 * and that step's own failure is counted already.
 */
export function commonMistakes(learners: readonly LearnerResult[], columns: readonly LabColumn[] = []): Mistake[] {
  const order = new Map<string, number>();
  for (const column of columns) for (const check of column.checks) order.set(check.id, order.size);
  const byCheck = new Map<string, { lab: string; title: string; learners: string[]; fixes: Map<string, number>; first: number }>();
  let seen = 0;
  for (const learner of learners) {
    for (const lab of learner.labs) {
      for (const result of lab.results) {
        if (result.status !== 'fail') continue;
        let entry = byCheck.get(result.id);
        if (!entry) byCheck.set(result.id, (entry = { lab: result.lab ?? lab.lab, title: result.title, learners: [], fixes: new Map(), first: seen++ }));
        if (!entry.learners.includes(learner.learner)) entry.learners.push(learner.learner);
        const fix = generalise(result.fix, learner.learner);
        entry.fixes.set(fix, (entry.fixes.get(fix) ?? 0) + 1);
      }
    }
  }
  const rank = (id: string, first: number) => order.get(id) ?? order.size + first;
  return [...byCheck.entries()]
    .map(([checkId, e]) => ({ checkId, e }))
    .sort((a, b) => b.e.learners.length - a.e.learners.length || rank(a.checkId, a.e.first) - rank(b.checkId, b.e.first))
    .map(({ checkId, e }) => {
      // The most common wording; on a tie, the first learner's (Map keeps insertion order).
      let fix = '';
      let best = 0;
      for (const [text, count] of e.fixes) if (count > best) [fix, best] = [text, count];
      return { checkId, lab: e.lab, title: e.title, count: e.learners.length, learners: e.learners, fix };
    });
}

/** The exit code for a class result, as `milab grade`'s: 0 all passed, 1 something to fix, 2 could not grade. */
export function classExitCode(result: Pick<ClassResult, 'status'>): 0 | 1 | 2 {
  return result.status === 'passed' ? 0 : result.status === 'failed' ? 1 : 2;
}

/** A check's cell value for one learner: the points it earned, `undefined` when it does not count (flagged, not graded). */
export function pointsFor(lab: LearnerLab | undefined, checkId: string): number | undefined {
  if (!lab || !lab.counted) return undefined;
  const result = lab.results.find((r) => r.id === checkId);
  if (!result || result.status === 'error') return undefined;
  return result.points ?? 0;
}

// Redacting a whole class (every string of every result, keys included) costs more than grading
// it: done once per result and redactor, and shared by the reporters that need all of it.
const redactedCache = new WeakMap<ClassResult, Map<Redactor, ClassResult>>();

/** `result` with every string redacted by `redactor`, computed once per result and redactor. */
export function redactedResult(result: ClassResult, redactor: Redactor): ClassResult {
  let byRedactor = redactedCache.get(result);
  if (!byRedactor) redactedCache.set(result, (byRedactor = new Map()));
  let redacted = byRedactor.get(redactor);
  if (!redacted) byRedactor.set(redactor, (redacted = redactDeepCached(result, redactor)));
  return redacted;
}

/**
 * As `redactor.redactDeep`, with each distinct string redacted once: a class repeats the same
 * keys, titles and texts for every learner, so most strings are seen many times.
 */
function redactDeepCached<T>(value: T, redactor: Redactor): T {
  const cache = new Map<string, string>();
  const text = (s: string): string => {
    let out = cache.get(s);
    if (out === undefined) cache.set(s, (out = redactor.redact(s)));
    return out;
  };
  const deep = (v: unknown): unknown => {
    if (typeof v === 'string') return text(v);
    if (Array.isArray(v)) return v.map(deep);
    if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, item]) => [text(k), deep(item)]));
    return v;
  };
  return deep(value) as T;
}
