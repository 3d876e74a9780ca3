// @milab/grading: the check model, the runner and the reporters graders use.
export {
  CannotGradeError,
  checkInfo,
  fail,
  pass,
  scoringProblems,
  skip,
  type CannotGradeInfo,
  type CannotGradeKind,
  type Check,
  type CheckInfo,
  type CheckOutcome,
  type CheckResult,
  type CheckRole,
  type CheckRunTools,
  type CheckStatus,
  type ErrorOutcome,
  type FailOutcome,
  type PassOutcome,
  type SkipOutcome,
} from './check.js';
export { classifyEnvironmentError, messageOf, NEXT_STEP, type ErrorClassifier } from './classify.js';
export { defaultRedactor, redact, REDACTED, Redactor, registerSecret } from './redact.js';
export {
  buildReport,
  countsOf,
  exitCodeFor,
  mergeReports,
  pointsOf,
  scoreOf,
  statusOf,
  summaryOf,
  withheldBy,
  type Counts,
  type GradeError,
  type GradeReport,
  type GradeStatus,
  type LabSummary,
  type Score,
} from './report.js';
export {
  currentCheckSignal,
  DEFAULT_PER_CHECK_TIMEOUT_MS,
  DEFAULT_TOTAL_TIMEOUT_MS,
  runChecks,
  validateChecks,
  type RunEvent,
  type RunOptions,
} from './runner.js';
export { formatJson, JSON_SCHEMA_VERSION, parseJsonReport, type JsonGradeReport } from './reporters/json.js';
export { formatJUnit, writeJUnit } from './reporters/junit.js';
export {
  createTerminalReporter,
  type OutputStream,
  type TerminalReporter,
  type TerminalReporterOptions,
} from './reporters/terminal.js';
