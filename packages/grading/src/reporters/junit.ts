// JUnit XML (`--junit FILE`) for CI test views (GitHub Actions test reporters, GitLab's
// `artifacts:reports:junit`): one <testsuite> per lab, one <testcase> per check, failures with
// found / expected / fix, skips with their reason, and could-not-grade as <error>. A check's exam
// objectives are <property name="objective"> lines of its <testcase> (the testcase-level
// <properties> that JUnit 5's XML, GitLab and most CI test views read; others ignore them).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CheckResult } from '../check.js';
import { defaultRedactor, type Redactor } from '../redact.js';
import { countsOf, type GradeError, type GradeReport } from '../report.js';
import { cannotGradeHeadline, explanation, printable, retryNote } from './format.js';

/** Formats a report as a JUnit XML document, redacted. */
export function formatJUnit(report: GradeReport, options: { redactor?: Redactor } = {}): string {
  const redacted = (options.redactor ?? defaultRedactor).redactDeep(report);
  const suites = suitesOf(redacted);
  const totals = countsOf(redacted.results);
  const runErrors = suites.reduce((sum, suite) => sum + suite.runErrors.length, 0);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({
      name: redacted.title ?? 'milab',
      tests: redacted.results.length + runErrors,
      failures: totals.failed,
      errors: totals.errored + runErrors,
      skipped: totals.skipped,
      time: secondsAttr(redacted.durationMs),
      timestamp: redacted.startedAt,
    })}>`,
  ];
  for (const suite of suites) lines.push(...suiteXml(suite, redacted.target));
  lines.push('</testsuites>', '');
  return lines.join('\n');
}

/** Writes a report as JUnit XML to a file, creating its folder if needed. */
export async function writeJUnit(report: GradeReport, filePath: string, options: { redactor?: Redactor } = {}): Promise<void> {
  await mkdir(dirname(filePath), { recursive: true });
  await writeFile(filePath, formatJUnit(report, options), 'utf8');
}

interface Suite {
  readonly lab: string | undefined;
  readonly title: string | undefined;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly results: CheckResult[];
  /** Could-not-grade errors that happened outside any check (cancelled, invalid grader). */
  readonly runErrors: GradeError[];
}

// One suite per lab: from the merged report's lab summaries when present, so a lab whose
// grader ran no check still shows up, else from the report itself.
function suitesOf(report: GradeReport): Suite[] {
  const summaries = report.labs ?? [report];
  const suites = summaries.map(
    (summary): Suite => ({
      lab: summary.lab,
      title: summary.title,
      startedAt: summary.startedAt,
      durationMs: summary.durationMs,
      results: [],
      runErrors: summary.error !== undefined && summary.error.checkId === undefined ? [summary.error] : [],
    }),
  );
  for (const result of report.results) {
    const lab = report.labs === undefined ? report.lab : result.lab;
    let suite = suites.find((candidate) => candidate.lab === lab);
    if (suite === undefined) {
      suite = { lab, title: undefined, startedAt: report.startedAt, durationMs: 0, results: [], runErrors: [] };
      suites.push(suite);
    }
    suite.results.push(result);
  }
  return suites;
}

function suiteXml(suite: Suite, target: string | undefined): string[] {
  const counts = countsOf(suite.results);
  const classname = classnameOf(suite.lab);
  const name = [suite.lab === undefined ? 'milab' : `lab ${suite.lab}`, suite.title].filter(Boolean).join(': ');
  const lines = [
    `  <testsuite${attrs({
      name,
      tests: suite.results.length + suite.runErrors.length,
      failures: counts.failed,
      errors: counts.errored + suite.runErrors.length,
      skipped: counts.skipped,
      time: secondsAttr(suite.durationMs),
      timestamp: suite.startedAt,
    })}>`,
  ];
  if (target !== undefined) {
    lines.push('    <properties>', `      <property${attrs({ name: 'target', value: target })}/>`, '    </properties>');
  }
  for (const result of suite.results) lines.push(...testcaseXml(classname, result));
  for (const error of suite.runErrors) {
    lines.push(
      `    <testcase${attrs({ classname, name: 'grading', time: '0' })}>`,
      `      <error${attrs({ message: cannotGradeHeadline(error), type: error.kind })}>${escapeXmlText(`next step: ${error.hint}`)}</error>`,
      '    </testcase>',
    );
  }
  lines.push('  </testsuite>');
  return lines;
}

function testcaseXml(classname: string, result: CheckResult): string[] {
  const lines = testcaseBody(classname, result);
  const properties = objectiveProperties(result);
  if (properties.length === 0) return lines;
  // `<testcase …/>` opens to hold the properties; otherwise they go first inside it.
  const [first, ...rest] = lines;
  return first!.endsWith('/>') ? [`${first!.slice(0, -2)}>`, ...properties, '    </testcase>'] : [first!, ...properties, ...rest];
}

function objectiveProperties(result: CheckResult): string[] {
  if (result.objectives === undefined || result.objectives.length === 0) return [];
  return ['      <properties>', ...result.objectives.map((id) => `        <property${attrs({ name: 'objective', value: id })}/>`), '      </properties>'];
}

function testcaseBody(classname: string, result: CheckResult): string[] {
  const open = `    <testcase${attrs({ classname, name: `${result.id}: ${result.title}`, time: secondsAttr(result.durationMs) })}`;
  const body = explanation(result)
    .map(([label, value]) => `${label}: ${value}`)
    .join('\n');
  switch (result.status) {
    case 'pass':
      return result.details === undefined
        ? [`${open}/>`]
        : [`${open}>`, `      <system-out>${escapeXmlText(result.details)}</system-out>`, '    </testcase>'];
    case 'fail': {
      const retry = result.retryAfterSeconds === undefined ? '' : ` (${retryNote(result.retryAfterSeconds)})`;
      const message = `found ${result.found}; expected ${result.expected}${retry}`;
      return [`${open}>`, `      <failure${attrs({ message, type: 'fail' })}>${escapeXmlText(body)}</failure>`, '    </testcase>'];
    }
    case 'skip':
      return [`${open}>`, `      <skipped${attrs({ message: result.reason })}/>`, '    </testcase>'];
    case 'error':
      return [
        `${open}>`,
        `      <error${attrs({ message: result.message, type: result.kind })}>${escapeXmlText(body)}</error>`,
        '    </testcase>',
      ];
  }
}

/** `milab.lab01`: a dotted, identifier-safe name, as JUnit viewers group by package. */
function classnameOf(lab: string | undefined): string {
  return lab === undefined ? 'milab' : `milab.lab${lab.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

function secondsAttr(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function attrs(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([key, value]) => ` ${key}="${escapeXmlAttr(String(value))}"`)
    .join('');
}

/** Escapes character data; control characters XML cannot carry become U+FFFD. */
export function escapeXmlText(value: string): string {
  return printable(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Escapes an attribute value. Tabs and newlines become character references, since a parser
 * would otherwise normalise them to spaces.
 */
export function escapeXmlAttr(value: string): string {
  return escapeXmlText(value).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;');
}
