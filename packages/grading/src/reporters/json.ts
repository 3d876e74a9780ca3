// The machine-readable report (`--json`): the GradeReport with a schema version, keys in a
// fixed order so diffs and snapshots stay stable. The schema is documented in the README;
// bump JSON_SCHEMA_VERSION on any change that removes or renames a field. Fields added since
// version 1 came out (each result's `points`, `role`, `earnsWith`, `objectives`) are additions: still version 1.
import type { CheckResult } from '../check.js';
import { defaultRedactor, type Redactor } from '../redact.js';
import { summaryOf, type GradeReport } from '../report.js';

/** The version of the JSON report format written by {@link formatJson}. */
export const JSON_SCHEMA_VERSION = 1;

/** A {@link GradeReport} as written to JSON. */
export type JsonGradeReport = { readonly schemaVersion: typeof JSON_SCHEMA_VERSION } & GradeReport;

/** Formats a report as pretty-printed JSON (ending in a newline), redacted. */
export function formatJson(report: GradeReport, options: { redactor?: Redactor } = {}): string {
  const redactor = options.redactor ?? defaultRedactor;
  return `${JSON.stringify(redactor.redactDeep(ordered(report)), null, 2)}\n`;
}

/**
 * Reads a JSON report back (e.g. an instructor collecting learners' reports). Throws when the
 * text is not a report of a known schema version.
 */
export function parseJsonReport(text: string): JsonGradeReport {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `The grade report is not valid JSON (${(error as Error).message}); expected the output of \`./milab grade --json\`. Re-run the grading to produce it again.`,
    );
  }
  const report = value as Partial<JsonGradeReport> | null;
  if (typeof report !== 'object' || report === null || report.schemaVersion !== JSON_SCHEMA_VERSION) {
    const found = typeof report === 'object' && report !== null ? String(report.schemaVersion) : typeof report;
    throw new Error(
      `The grade report has schemaVersion ${found}; expected ${JSON_SCHEMA_VERSION}. Produce it with a matching version of milab, or upgrade milab.`,
    );
  }
  if (!Array.isArray(report.results) || typeof report.status !== 'string' || typeof report.score !== 'object') {
    throw new Error(
      'The grade report lacks results, status or score; expected the output of `./milab grade --json`. Re-run the grading to produce it again.',
    );
  }
  return report as JsonGradeReport;
}

// Key order is part of the format: objects are rebuilt field by field rather than spread.
function ordered(report: GradeReport): JsonGradeReport {
  return {
    schemaVersion: JSON_SCHEMA_VERSION,
    ...summaryOf(report),
    results: report.results.map(orderedResult),
    ...(report.labs === undefined ? {} : { labs: report.labs.map(summaryOf) }),
  };
}

function orderedResult(result: CheckResult): CheckResult {
  const head = <S extends CheckResult['status']>(status: S) => ({
    id: result.id,
    title: result.title,
    ...(result.lab === undefined ? {} : { lab: result.lab }),
    status,
    weight: result.weight,
    points: result.points ?? 0,
    ...(result.role === undefined ? {} : { role: result.role }),
    ...(result.earnsWith === undefined ? {} : { earnsWith: [...result.earnsWith] }),
    ...(result.objectives === undefined ? {} : { objectives: [...result.objectives] }),
    durationMs: result.durationMs,
  });
  switch (result.status) {
    case 'pass':
      return { ...head('pass'), ...(result.details === undefined ? {} : { details: result.details }) };
    case 'fail':
      return {
        ...head('fail'),
        found: result.found,
        expected: result.expected,
        fix: result.fix,
        ...(result.details === undefined ? {} : { details: result.details }),
        ...(result.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: result.retryAfterSeconds }),
      };
    case 'skip':
      return { ...head('skip'), reason: result.reason };
    case 'error':
      return { ...head('error'), kind: result.kind, message: result.message, hint: result.hint };
  }
}
