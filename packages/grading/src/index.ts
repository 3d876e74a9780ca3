// @milab/grading: the check model, the runner and the reporters graders use.
export {
  CannotGradeError,
  fail,
  pass,
  skip,
  type CannotGradeInfo,
  type CannotGradeKind,
  type Check,
  type CheckInfo,
  type CheckOutcome,
  type CheckResult,
  type CheckRunTools,
  type CheckStatus,
  type ErrorOutcome,
  type FailOutcome,
  type PassOutcome,
  type SkipOutcome,
} from './check.js';
export { classifyEnvironmentError, messageOf, NEXT_STEP, type ErrorClassifier } from './classify.js';
export {
  buildReport,
  countsOf,
  exitCodeFor,
  mergeReports,
  scoreOf,
  statusOf,
  type Counts,
  type GradeError,
  type GradeReport,
  type GradeStatus,
  type LabSummary,
  type Score,
} from './report.js';
export {
  DEFAULT_PER_CHECK_TIMEOUT_MS,
  DEFAULT_TOTAL_TIMEOUT_MS,
  runChecks,
  validateChecks,
  type RunEvent,
  type RunOptions,
} from './runner.js';
