// Wording shared by the human-facing reporters (terminal and JUnit), so a failure reads the
// same in a terminal and in a CI test view.
import type { CheckResult } from '../check.js';
import type { Counts, GradeError, GradeReport } from '../report.js';

/** The note for a failure that may be RBAC propagation delay. */
export function retryNote(retryAfterSeconds: number): string {
  return `this may be RBAC propagation delay; retry in ${retryAfterSeconds} s`;
}

/**
 * "3 passed, 1 failed, 1 skipped — score 60% (3/5 points)" (plus "1 could not be checked" when
 * any): the points say how a weighted score came about.
 */
export function summaryLine(report: Pick<GradeReport, 'counts' | 'score'>): string {
  return `${countsText(report.counts)} — score ${report.score.percent}% (${pointsText(report.score.earned, report.score.possible)})`;
}

/** "2/3 points", "1/1 point". */
export function pointsText(earned: number, possible: number): string {
  return `${earned}/${possible} ${possible === 1 ? 'point' : 'points'}`;
}

/**
 * What a result earned, for its line: "2/2 points", "prerequisite, no points", or for a pass
 * whose points wait on other checks, "0/1 point until 02.reader passes". `waitingOn` holds the
 * checks its points wait on (as report.ts's `withheldBy` says).
 */
export function resultPointsText(result: CheckResult, waitingOn: readonly string[]): string {
  if (result.role === 'prerequisite') return 'prerequisite, no points';
  const earned = result.status === 'pass' && waitingOn.length === 0 ? result.weight : 0;
  const text = pointsText(earned, result.weight);
  if (waitingOn.length === 0) return text;
  return `${text} until ${joinAnd(waitingOn)} ${waitingOn.length === 1 ? 'passes' : 'pass'}`;
}

function joinAnd(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1) ?? ''}`;
}

/** "3 passed, 1 failed, 1 skipped", with errored checks only when there are any. */
export function countsText(counts: Counts): string {
  const parts = [`${counts.passed} passed`, `${counts.failed} failed`, `${counts.skipped} skipped`];
  if (counts.errored > 0) parts.push(`${counts.errored} could not be checked`);
  return parts.join(', ');
}

/** "lab 01" or "the grader", for sentences about where something happened. */
export function labLabel(lab: string | undefined): string {
  return lab === undefined ? 'the grader' : `lab ${lab}`;
}

/** "Could not grade lab 01 (network): <message>". */
export function cannotGradeHeadline(error: GradeError): string {
  const where = error.lab === undefined ? '' : ` lab ${error.lab}`;
  return `Could not grade${where} (${error.kind}): ${error.message}`;
}

/** The labelled lines explaining a failed, skipped or errored result (none for a pass). */
export function explanation(result: CheckResult): [label: string, text: string][] {
  switch (result.status) {
    case 'pass':
      return [];
    case 'fail':
      return [
        ['found', result.found],
        ['expected', result.expected],
        ['fix', result.fix],
        ...(result.details === undefined ? [] : ([['details', result.details]] as [string, string][])),
        ...(result.retryAfterSeconds === undefined
          ? []
          : ([['note', retryNote(result.retryAfterSeconds)]] as [string, string][])),
      ];
    case 'skip':
      return [['skipped', result.reason]];
    case 'error':
      return [
        ['problem', `${result.kind}: ${result.message}`],
        ['next step', result.hint],
      ];
  }
}

// ANSI escape sequences (colour, cursor moves) from captured command output: meaningless in a
// report and able to garble or hide text in a terminal.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g;
// C0 controls other than tab and newline, DEL, lone surrogates and the two non-characters:
// none is printable, and XML 1.0 forbids them outright (even as character references).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Removes ANSI escapes and replaces other control characters with U+FFFD, keeping tabs and
 * newlines (`\r\n` and a lone `\r` become `\n`).
 */
export function printable(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(ANSI, '').replace(CONTROL, '\ufffd');
}
