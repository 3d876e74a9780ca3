// The class result as CSV for a gradebook import, in one of three layouts (`--csv-format`):
//
// - `milab` (the default): one row per learner, the identity columns in Canvas's order, one column
//   per check id (the points it earned), then the total, the possible points and the score. For
//   reading in a spreadsheet, or an LMS import of the columns you pick.
// - `canvas`: what Canvas's Grades → Import takes, one assignment column per lab. The layout is
//   Canvas's own importer's (instructure/canvas-lms lib/gradebook_importer.rb): a header whose
//   first columns are Student and ID, then SIS User ID and SIS Login ID, ending with Section
//   (`row_has_student_headers?`, `update_column_count`); a second row whose first cell is
//   "Points Possible" gives each new assignment its points (`process_pp`); each column after
//   Section is an assignment, matched by title, a new one created otherwise (`parse_assignments`).
//   A student is matched by ID (Canvas's own user number, which milab cannot know: left empty),
//   else by SIS User ID, else by SIS Login ID, else by name (`process_student`): we fill SIS User ID
//   with the roster's lmsId, SIS Login ID with its upn, Student with the display name and Section
//   with the class id. A blank cell changes nothing (`no_score?`). No total column: Canvas computes
//   its own, and a column it does not know would become an assignment. (Also: "Import a CSV file to
//   Carmen Grades", Ohio State's Canvas guide, https://teaching.resources.osu.edu/toolsets/carmencanvas/guides/calculating-final-grades/import-csv-file-carmen-grades.)
// - `moodle`: what Moodle's Grades → Import → CSV file takes: any header row; on the preview page
//   "Map from" picks the column that identifies the user and "Map to" the user field — id,
//   idnumber ("useridnumber"), email ("useremail") or username — and each other column maps to a
//   grade item or to a new one named by its header (moodle/moodle grade/import/csv/classes/load_data.php,
//   `map_user_data_with_value`, `import_new_grade_item`; MoodleDocs "Grade import",
//   https://docs.moodle.org/311/en/Grade_import). Columns: ID number (the roster's lmsId: map it to
//   idnumber), Email address (the upn: map it to email), Full name, then one per lab. An empty cell
//   is no grade (`import_new_grade_item` sets no final grade for '' or '-'). A new grade item's
//   maximum is Moodle's default (100): set it to the lab's points, or create the items first.
//
// Canvas and Moodle get one column per LAB (the points the lab earned) rather than per check: an
// LMS assignment or grade item is a unit of work the learner hands in, and each lab is one (`--lab
// NN` exports that lab alone: one assignment). Per check, a class of five labs would create some
// twenty-five assignments, most of them worth a point, and their names would change whenever a
// grader adds a check; the lab's score is also what `milab grade` and the scoreboard show.
//
// Cells are plain numbers (a `.` decimal point). A lab that could not be graded, or that is flagged
// (a self-run report with someone else's claims), has empty cells: no grade rather than a 0. A text
// cell starting with = + - @ (or a tab or carriage return) gets a leading ' so a spreadsheet does
// not run it as a formula (OWASP, "CSV Injection"). Everything is redacted first, as every milab
// report is.
import { stringify } from 'csv-stringify/sync';
import { defaultRedactor, type Redactor } from '@milab/grading';
import { pointsFor, type ClassResult } from './scoreboard.js';

/** The identity columns, in Canvas's order. */
export const CSV_IDENTITY_COLUMNS = ['Student', 'ID', 'SIS User ID', 'SIS Login ID', 'Section'] as const;
/** The columns after the checks. */
export const CSV_TOTAL_COLUMNS = ['total points', 'possible points', 'score %'] as const;
/** The layouts `--csv-format` names. */
export const CSV_FORMATS = ['milab', 'canvas', 'moodle'] as const;
export type CsvFormat = (typeof CSV_FORMATS)[number];
/** Canvas's identity columns (its importer's header); the same as the milab layout's. */
export const CANVAS_IDENTITY_COLUMNS = CSV_IDENTITY_COLUMNS;
/** The first cell of Canvas's second row, which gives each assignment its points. */
export const CANVAS_POINTS_POSSIBLE = 'Points Possible';
/** Moodle's identity columns, named as Moodle's own export names them. */
export const MOODLE_IDENTITY_COLUMNS = ['ID number', 'Email address', 'Full name'] as const;

/** Options of {@link formatCsv}. */
export interface CsvOptions {
  redactor?: Redactor;
  /** The layout (default `milab`). */
  format?: CsvFormat;
  /** Each learner's LMS id (the roster's lmsId column), by learner id: Canvas's SIS User ID, Moodle's ID number. */
  lmsIds?: ReadonlyMap<string, string>;
}

/** A text cell a spreadsheet will show as text, never run as a formula. */
export function safeCell(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/** Every check id of the class result's labs, in lab and check order: the CSV's grade columns. */
export function checkColumns(result: Pick<ClassResult, 'labs'>): string[] {
  return result.labs.flatMap((lab) => lab.checks.map((check) => check.id));
}

/** A lab's assignment name in the LMS layouts: `milab 01 Create a user-assigned managed identity`. */
export function labColumn(lab: Pick<ClassResult['labs'][number], 'id' | 'title'>): string {
  return `milab ${lab.id} ${lab.title}`;
}

/** The points a lab can earn: its checks' weights (a prerequisite has none). */
function labPossible(lab: ClassResult['labs'][number]): number {
  return Math.round(lab.checks.reduce((sum, check) => sum + check.weight, 0) * 1e6) / 1e6;
}

/** The points a learner's lab earned, or '' when it does not count (not graded, could not grade, flagged). */
function labEarned(learner: ClassResult['learners'][number], lab: string): number | '' {
  const found = learner.labs.find((l) => l.lab === lab);
  return found && found.counted ? found.score.earned : '';
}

/** Learners of the class result without an LMS id: the LMS layouts match them by sign-in name or name only. */
export function learnersWithoutLmsId(result: Pick<ClassResult, 'learners'>, lmsIds: ReadonlyMap<string, string> | undefined): string[] {
  return result.learners.filter((l) => !lmsIds?.get(l.learner)).map((l) => l.learner);
}

const csvText = (rows: (string | number)[][]) => stringify(rows, { record_delimiter: 'windows' });

/** The class result as CSV text (a header row, then one row per learner, CRLF line ends as RFC 4180 says), in the layout asked for. */
export function formatCsv(result: ClassResult, options: CsvOptions = {}): string {
  const format = options.format ?? 'milab';
  if (format === 'canvas') return formatCanvas(result, options);
  if (format === 'moodle') return formatMoodle(result, options);
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
  return csvText(rows);
}

/** Canvas's Grades → Import layout: identity columns, one assignment per lab, a Points Possible row. */
function formatCanvas(result: ClassResult, options: CsvOptions): string {
  const redactor = options.redactor ?? defaultRedactor;
  const text = (value: string) => safeCell(redactor.redact(value));
  const blanks = CANVAS_IDENTITY_COLUMNS.map(() => '');
  const rows: (string | number)[][] = [
    [...CANVAS_IDENTITY_COLUMNS, ...result.labs.map((lab) => text(labColumn(lab)))],
    [CANVAS_POINTS_POSSIBLE, ...blanks.slice(1), ...result.labs.map(labPossible)],
  ];
  for (const learner of result.learners) {
    rows.push([
      text(learner.displayName),
      '',
      text(options.lmsIds?.get(learner.learner) ?? ''),
      text(learner.upn ?? ''),
      text(result.classId),
      ...result.labs.map((lab) => labEarned(learner, lab.id)),
    ]);
  }
  return csvText(rows);
}

/** Moodle's grade import layout: ID number, Email address, Full name, one grade item per lab. */
function formatMoodle(result: ClassResult, options: CsvOptions): string {
  const redactor = options.redactor ?? defaultRedactor;
  const text = (value: string) => safeCell(redactor.redact(value));
  const rows: (string | number)[][] = [[...MOODLE_IDENTITY_COLUMNS, ...result.labs.map((lab) => text(labColumn(lab)))]];
  for (const learner of result.learners) {
    rows.push([text(options.lmsIds?.get(learner.learner) ?? ''), text(learner.upn ?? ''), text(learner.displayName), ...result.labs.map((lab) => labEarned(learner, lab.id))]);
  }
  return csvText(rows);
}
