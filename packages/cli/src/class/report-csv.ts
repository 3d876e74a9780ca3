// The class result as CSV for a gradebook import: one row per learner, one column per check id
// (the points it earned), then the total, the possible points and the score.
//
// Import shapes matched:
// - Canvas (Grades → Import): the identity columns Canvas's own export starts with, in its order —
//   Student, ID, SIS User ID, SIS Login ID, Section — then one column per assignment; a column
//   whose header is not an existing assignment creates one. Canvas matches a row by the student's
//   name, ID or SIS User ID (source: "Import a CSV file to Carmen Grades", Ohio State's Canvas
//   guide, https://teaching.resources.osu.edu/toolsets/carmencanvas/guides/calculating-final-grades/import-csv-file-carmen-grades).
//   We fill Student (display name), SIS User ID (learner id), SIS Login ID (the roster's UPN) and
//   Section (the class id); ID is Canvas's own user number, which milab cannot know: left empty.
// - Moodle (Grades → Import → CSV file): any header row; on the preview page "Identify user by"
//   maps one column to a user field and each other column to a grade item (source: MoodleDocs,
//   "Grade import", https://docs.moodle.org/311/en/Grade_import). Map SIS Login ID to the email
//   address (useremail) when UPNs are e-mail addresses, or SIS User ID to the ID number
//   (useridnumber); map the check or total columns you want.
// Cells are plain numbers (a `.` decimal point). A lab that could not be graded, or that is flagged
// (a self-run report with someone else's claims), has empty cells: no grade rather than a 0 (what
// an importer does with an empty cell is its own rule, not confirmed here: check its preview). A text cell starting with = + - @ (or a tab or
// carriage return) gets a leading ' so a spreadsheet does not run it as a formula (OWASP, "CSV
// Injection"). Everything is redacted first, as every milab report is.
import { stringify } from 'csv-stringify/sync';
import { defaultRedactor, type Redactor } from '@milab/grading';
import { pointsFor, type ClassResult } from './scoreboard.js';

/** The identity columns, in Canvas's order. */
export const CSV_IDENTITY_COLUMNS = ['Student', 'ID', 'SIS User ID', 'SIS Login ID', 'Section'] as const;
/** The columns after the checks. */
export const CSV_TOTAL_COLUMNS = ['total points', 'possible points', 'score %'] as const;

/** A text cell a spreadsheet will show as text, never run as a formula. */
export function safeCell(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/** Every check id of the class result's labs, in lab and check order: the CSV's grade columns. */
export function checkColumns(result: Pick<ClassResult, 'labs'>): string[] {
  return result.labs.flatMap((lab) => lab.checks.map((check) => check.id));
}

/** The class result as CSV text (a header row, then one row per learner, CRLF line ends as RFC 4180 says). */
export function formatCsv(result: ClassResult, options: { redactor?: Redactor } = {}): string {
  // Only these strings reach the file (the rest are numbers): only they are redacted.
  const redactor = options.redactor ?? defaultRedactor;
  const text = (value: string) => safeCell(redactor.redact(value));
  const checks = checkColumns(result);
  const labOf = new Map(result.labs.flatMap((lab) => lab.checks.map((check) => [check.id, lab.id] as const)));
  const rows: (string | number)[][] = [[...CSV_IDENTITY_COLUMNS, ...checks.map((id) => redactor.redact(id)), ...CSV_TOTAL_COLUMNS]];
  for (const learner of result.learners) {
    const byLab = new Map(learner.labs.map((lab) => [lab.lab, lab]));
    rows.push([
      text(learner.displayName),
      '',
      text(learner.learner),
      text(learner.upn ?? ''),
      text(result.classId),
      ...checks.map((id) => pointsFor(byLab.get(labOf.get(id) ?? ''), id) ?? ''),
      learner.score.earned,
      learner.score.possible,
      learner.score.percent,
    ]);
  }
  return stringify(rows, { record_delimiter: 'windows' });
}
