// A grade report as GitHub Classroom's grading reporter reads it (`milab grade --classroom`): the
// result one "runner" step hands the reporter, one test per check.
//
// What the reporter (classroom-resources/autograding-grading-reporter, v1) does with it, from its
// source (github.com/classroom-resources/autograding-grading-reporter, also published as
// github-education-resources/autograding-grading-reporter):
// - src/main.js: for each id in the `runners` input it reads the environment variable
//   `${id.trim().toUpperCase()}_RESULTS`, base64-decodes it and JSON-parses it; the job fails
//   ("Some tests failed." / "Some tests errored.") when a result's top-level `status` is `fail` or
//   `error`.
// - src/notify-classroom.js: the points GitHub Classroom records are the sum of every test's
//   `score` over the sum of each result's `max_score` (a result without `max_score` is skipped),
//   written to the check run named `run-autograding-tests` (the job id) as "Points X/Y". It needs
//   the token input (default `github.token`) with `checks: write` and `actions: read`.
// - src/console-results.js: prints ✅/❌ per test with `name`, ` - line ${line_no}` unless
//   `line_no` is 0, `message` for an `error` test, and `test_code` when set.
// - src/aggregate-results.js + src/helpers/test-helpers.js: the log's summary table shows
//   (tests passed / tests) × max_score per runner — a count of passes, not the points: with
//   checks of different weights it can differ from the recorded points above.
// The fields besides those (version, filename, duration) are what the sibling runner actions
// write: classroom-resources/autograding-command-grader src/main.js builds
// `{ version: 1, status, max_score, tests: [{ name, status, score, message, test_code,
// filename: '', line_no: 0, duration }] }` and sets it, base64-encoded, as the step output
// `result`; autograding-io-grader src/main.js writes the same test fields. (Some write-ups name a
// test field `execution_time`; no runner source we found does: they write `duration`, in ms.)
import { defaultRedactor, type CheckResult, type GradeReport, type Redactor } from '@milab/grading';

/** The result format version the runner actions write. */
export const CLASSROOM_RESULT_VERSION = 1;

/** A test's (and the result's) status, as the reporter compares it. */
export type ClassroomStatus = 'pass' | 'fail' | 'error';

/** One test: one milab check. */
export interface ClassroomTest {
  readonly name: string;
  readonly status: ClassroomStatus;
  /** The points the check earned (what `milab grade` counts: its weight when it passed and earns). */
  readonly score: number;
  /** found / expected / fix, the skip reason, or the error and its next step. */
  readonly message: string;
  /** The command that shows the same result locally (the reporter prints it as "Test code"). */
  readonly test_code: string;
  readonly filename: string;
  readonly line_no: number;
  /** Milliseconds the check took. */
  readonly duration: number;
}

/** The payload of one runner: what `milab grade --classroom` prints (base64-encoded). */
export interface ClassroomResult {
  readonly version: typeof CLASSROOM_RESULT_VERSION;
  readonly status: ClassroomStatus;
  /** The possible points: the sum of the checks' weights, as `milab grade` scores them. */
  readonly max_score: number;
  readonly tests: readonly ClassroomTest[];
}

/** The status a check result has for the reporter: a skipped check earned nothing, so it is a fail. */
function testStatus(result: CheckResult): ClassroomStatus {
  return result.status === 'pass' ? 'pass' : result.status === 'error' ? 'error' : 'fail';
}

/** The message a learner reads for a check. */
function testMessage(result: CheckResult, points: number): string {
  switch (result.status) {
    case 'pass':
      // A pass that waits for other checks earns nothing yet: say why the score is 0.
      return points === 0 && result.weight > 0 ? `passed, but earns its points only once ${(result.earnsWith ?? []).join(', ')} pass too` : `passed${result.details ? `: ${result.details}` : ''}`;
    case 'fail':
      return `found: ${result.found}\nexpected: ${result.expected}\nfix: ${result.fix}${result.retryAfterSeconds ? `\n(role assignments can take a while to apply: try again in ${result.retryAfterSeconds} s)` : ''}`;
    case 'skip':
      return `skipped: ${result.reason}`;
    case 'error':
      return `could not grade: ${result.message}\nnext step: ${result.hint}`;
  }
}

/** The lab a result belongs to: its own, else the check id's prefix (`01.identity-exists`). */
function labOf(result: CheckResult, report: GradeReport): string {
  return result.lab ?? report.lab ?? result.id.split('.')[0] ?? '';
}

/**
 * The reporter's result for a grade report: one test per check, named `<check id> <title>`,
 * scored with the points `milab grade` gave it, redacted throughout.
 */
export function classroomResult(report: GradeReport, options: { redactor?: Redactor } = {}): ClassroomResult {
  const redactor = options.redactor ?? defaultRedactor;
  const tests: ClassroomTest[] = report.results.map((result) => {
    const points = result.points ?? 0;
    return {
      name: `${result.id} ${result.title}`,
      status: testStatus(result),
      score: points,
      message: testMessage(result, points),
      test_code: `./milab grade ${labOf(result, report)}`,
      filename: '',
      line_no: 0,
      duration: Math.max(0, Math.round(result.durationMs)),
    };
  });
  // A run that could not grade (the emulator stopped mid-way) says so even if no check was running.
  if (report.error && !report.results.some((r) => r.status === 'error')) {
    tests.push(errorTest(report.error.message, report.error.hint, report.error.lab));
  }
  const status: ClassroomStatus = report.status === 'passed' ? 'pass' : report.status === 'error' ? 'error' : 'fail';
  return redactor.redactDeep({ version: CLASSROOM_RESULT_VERSION, status, max_score: report.score.possible, tests });
}

function errorTest(message: string, hint: string, lab?: string): ClassroomTest {
  return {
    name: lab ? `lab ${lab} could not be graded` : 'milab could not grade',
    status: 'error',
    score: 0,
    message: `could not grade: ${message}\nnext step: ${hint}`,
    test_code: lab ? `./milab grade ${lab}` : './milab grade',
    filename: '',
    line_no: 0,
    duration: 0,
  };
}

/**
 * The result when grading never got going (no report: the emulator is not running, a bad
 * config): one error test with what happened and the next step, so the reporter shows it rather
 * than failing to decode an empty output. `max_score` is the points the labs could have given, so
 * the recorded score is 0 of them rather than none.
 */
export function classroomErrorResult(message: string, hint: string, maxScore: number, options: { redactor?: Redactor } = {}): ClassroomResult {
  const redactor = options.redactor ?? defaultRedactor;
  return redactor.redactDeep({ version: CLASSROOM_RESULT_VERSION, status: 'error', max_score: maxScore, tests: [errorTest(message, hint)] });
}

/** The result as the reporter reads it from `<RUNNER>_RESULTS`: base64 of its JSON, one line. */
export function encodeClassroomResult(result: ClassroomResult): string {
  return Buffer.from(JSON.stringify(result), 'utf8').toString('base64');
}

/** Reads an encoded result back, as the reporter does (base64, then JSON). */
export function decodeClassroomResult(encoded: string): ClassroomResult {
  return JSON.parse(Buffer.from(encoded.trim(), 'base64').toString('utf8')) as ClassroomResult;
}
