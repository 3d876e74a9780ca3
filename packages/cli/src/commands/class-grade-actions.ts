// What `milab class grade` does (registered, with its options, in class-grade.ts), loaded only
// when it runs: load the class folder, grade it (class/grade.ts), show the scoreboard, write the
// files asked for, set the exit code.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { MilabError, repoRoot } from '@milab/core';
import { mergeReports, writeJUnit } from '@milab/grading';
import { findLab, listLabs, type Lab } from '@milab/labs';
import { loadClass, ROSTER_FILE } from '../class/folder.js';
import { gradeClass, isProgramLab, type ProgramLab } from '../class/grade.js';
import { formatCsv, learnersWithoutLmsId } from '../class/report-csv.js';
import { formatHtml } from '../class/report-html.js';
import { formatClassJson } from '../class/report-json.js';
import { formatScoreboard, useColor } from '../class/report-terminal.js';
import { classExitCode } from '../class/scoreboard.js';
import type { ClassGradeOptions } from './class-grade.js';

function usage(message: string, hint: string): MilabError {
  return new MilabError(message, { code: 'MILAB_USAGE', hint, exitCode: 2 });
}

/** `--program 04=FILE …` as a map, each file checked to exist. */
export function parsePrograms(values: readonly string[] = []): Partial<Record<ProgramLab, string>> {
  const programs: Partial<Record<ProgramLab, string>> = {};
  const labs = listLabs().filter((l) => isProgramLab(l.id));
  for (const value of values) {
    const match = /^([^=]+)=(.+)$/.exec(value);
    const lab = match ? findLabId(match[1]!) : undefined;
    if (!match || lab === undefined || !isProgramLab(lab)) {
      throw usage(
        `invalid --program '${value}': expected NN=FILE for a lab whose program runs on the VM: ${labs.map((l) => `${l.id} (its ${programFile(l)})`).join(', ')}.`,
        'For example: `--program 04=labs/04-imds-token/solution/index.ts`.',
      );
    }
    // Relative to where the command was started; the program runs from the repository root.
    const file = resolve(match[2]!);
    if (!existsSync(file)) throw usage(`--program ${lab}: no such file ${file}.`, `Pass the lab ${lab} program's ${programFile(findLab(lab))} (it must be inside this checkout, ${repoRoot()}, to import @milab/labs).`);
    programs[lab] = file;
  }
  return programs;
}

/** The file of a lab that runs on the VM: its vm.ts when only part of it does (labs 06, 07), else index.ts. */
function programFile(lab: Lab): string {
  return lab.vmProgramFile ?? 'index.ts';
}

function findLabId(input: string): string | undefined {
  try {
    return findLab(input).id;
  } catch {
    return undefined;
  }
}

/** Writes a report file, creating its folder; a failure names the file and the next step. */
function writeReport(file: string, text: string, what: string): string {
  const path = resolve(file);
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text, 'utf8');
  } catch (error) {
    throw new MilabError(`Could not write the ${what} to ${path}: ${(error as Error).message}.`, { code: 'MILAB_WRITE', hint: 'Pass a path in a folder you can write to.', exitCode: 2, cause: error });
  }
  return path;
}

/** `milab class grade`. */
export async function classGrade(options: ClassGradeOptions): Promise<void> {
  // As the other class commands: --class, else $MILAB_CLASS_DIR, else the current directory.
  if (options.csvFormat && options.csvFormat !== 'milab' && !options.csv) {
    throw usage(`--csv-format ${options.csvFormat} shapes the CSV file, and no --csv FILE was given.`, `Add the file: \`--csv grades.csv --csv-format ${options.csvFormat}\`.`);
  }
  const folder = loadClass(options.class ?? process.env.MILAB_CLASS_DIR ?? '.');
  const programs = parsePrograms(options.program);
  const out = options.json ? process.stderr : process.stdout;
  const note = (text: string) => process.stderr.write(`${text}\n`);
  if (folder.config.target === 'emulator' && options.reports) note('note: --reports is for Azure; on the emulator the class grade runs labs 04–09 on every learner\'s VM itself (ignored).');
  if (folder.config.target === 'azure' && options.program) note("note: --program is for the emulator; on Azure labs 04–09 come from the learners' reports (--reports DIR) (ignored).");
  const labs = options.lab?.map((lab) => {
    const id = findLabId(lab);
    if (!id) throw usage(`unknown lab '${lab}' in --lab.`, 'Name labs by number: `--lab 01 02`.');
    return id;
  });
  const progress = process.stderr.isTTY === true;
  const { result, reports } = await gradeClass({
    folder,
    ...(labs ? { labs } : {}),
    ...(options.reports ? { reportsDir: resolve(options.reports) } : {}),
    programs,
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    onWarning: note,
    ...(progress ? { onLearner: (done: number, total: number) => process.stderr.write(`\r\u001b[2KGraded ${done} of ${total} learners`) } : {}),
  });
  if (progress) process.stderr.write('\r\u001b[2K');

  out.write(formatScoreboard(result, { color: useColor(out) }));
  out.write(`\nRead the subscription in ${result.armReads ?? '?'} ARM reads for ${result.learners.length} learners; graded in ${(result.durationMs / 1000).toFixed(1)} s.\n`);
  if (options.csv) {
    const format = options.csvFormat ?? 'milab';
    const lmsIds = new Map(folder.roster.flatMap((l) => (l.lmsId ? [[l.learner, l.lmsId] as const] : [])));
    out.write(`Wrote the gradebook CSV (${format} layout) to ${writeReport(options.csv, formatCsv(result, { format, lmsIds }), 'gradebook CSV')}.\n`);
    const without = format === 'milab' ? [] : learnersWithoutLmsId(result, lmsIds);
    if (without.length > 0) {
      const some = without.slice(0, 5).join(', ') + (without.length > 5 ? `, … (${without.length})` : '');
      note(
        format === 'canvas'
          ? `note: no lmsId in the roster for ${some}: Canvas matches them by SIS Login ID (their upn) or by name only. Add an lmsId column (their SIS User ID) to ${ROSTER_FILE}.`
          : `note: no lmsId in the roster for ${some}: on Moodle's import page map Email address (their upn) to email, or add an lmsId column (their Moodle ID number) to ${ROSTER_FILE}.`,
      );
    }
  }
  if (options.html) out.write(`Wrote the HTML report to ${writeReport(options.html, formatHtml(result), 'HTML report')}.\n`);
  if (options.junit) {
    const dir = resolve(options.junit);
    for (const [learner, labReports] of reports) {
      if (labReports.length === 0) continue;
      const report = labReports.length === 1 ? labReports[0]! : mergeReports(labReports, { title: `${learner}: labs ${labReports.map((r) => r.lab).join(', ')}`, target: result.target });
      await writeJUnit(report, join(dir, `${learner}.xml`));
    }
    out.write(`Wrote ${reports.size} JUnit reports to ${dir}.\n`);
  }
  if (options.json) process.stdout.write(formatClassJson(result));
  process.exitCode = classExitCode(result);
}
