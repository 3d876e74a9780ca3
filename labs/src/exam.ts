// Certification prep data: the exam objective lines this course exercises
// (labs/exam/objectives.json, each quoted with where it was read), which objectives each grader
// check exercises (labs/exam/checks.json, keyed by check id), and the "Exam objectives" section
// every lab README carries, generated from that data between markers. Validated by hand like
// lab.json (zod is not a dependency of this package); `examDataProblems` is the self-check.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MilabError } from '@milab/core';
import { LABS_DIR, listLabs, type Lab } from './manifest.js';

/** One objective line of an exam's skills outline. */
export interface ExamObjective {
  /** Stable: `AZ-500/identity-access/app-access/managed-identities` (exam/domain/skill/line). */
  readonly id: string;
  readonly exam: string;
  /** The functional group, as the outline names it ("Secure identity and access"). */
  readonly domain: string;
  /** The skill under it ("Manage Microsoft Entra application access"). */
  readonly skill: string;
  /** The objective line, quoted as the source words it. */
  readonly text: string;
  /** Where the line was read. */
  readonly quotedFrom: string;
  /** Whether the wording was checked against the Microsoft Learn study guide itself. */
  readonly confirmedOnLearn: boolean;
}

/** An exam's retirement, as a source states it. */
export interface ExamRetirement {
  /** `YYYY-MM-DD`. */
  readonly date: string;
  readonly successor?: string;
  readonly source: string;
  readonly confirmedOnLearn: boolean;
  /** Other sources, and where they disagree. */
  readonly note?: string;
}

/** One exam and the objective lines of its outline that this course touches. */
export interface Exam {
  readonly id: string;
  readonly title: string;
  /** The Microsoft Learn study guide. */
  readonly studyGuide: string;
  /** The skills-outline version ("skills measured as of April 30, 2024"). */
  readonly outline: string;
  readonly outlineSource: string;
  /** Whether the outline version (its date) was read on the Microsoft Learn study guide itself. */
  readonly outlineConfirmedOnLearn: boolean;
  /** The certification the exam earns, when a source names it. */
  readonly certification?: string;
  /** What was read on the Learn study guide itself, and what could not be. */
  readonly learnChecked?: string;
  readonly retirement?: ExamRetirement;
  /** The exam this one replaces, when it is a successor. */
  readonly successorOf?: string;
  readonly objectives: readonly ExamObjective[];
}

/** Everything objectives.json holds, plus the check mapping. */
export interface ExamData {
  /** When the data was last checked against its sources (`YYYY-MM-DD`): a retirement on or before it is in the past. */
  readonly checkedOn?: string;
  readonly exams: readonly Exam[];
  /** Every objective, by id. */
  readonly objectives: ReadonlyMap<string, ExamObjective>;
  /** Objective ids per grader check id (labs/exam/checks.json). */
  readonly checks: ReadonlyMap<string, readonly string[]>;
}

/** The folder of the exam data files. */
export const EXAM_DIR = join(LABS_DIR, 'exam');

/** objectives.json or checks.json is not what this code reads: a bug in the repository. */
export class ExamDataError extends MilabError {
  override name = 'ExamDataError';
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`, {
      code: 'MILAB_EXAM_DATA_INVALID',
      hint: 'Restore the file from git (`git checkout -- labs/exam`), or report it if it is unchanged.',
      exitCode: 1,
    });
  }
}

/** No exam of that name in the data: names the input and the exams there are. */
export class UnknownExamError extends MilabError {
  override name = 'UnknownExamError';
  constructor(input: string, known: readonly Exam[]) {
    super(`There is no exam "${input}" in the course's objectives. The exams are: ${known.map((exam) => exam.id).join(', ')}.`, {
      code: 'MILAB_UNKNOWN_EXAM',
      hint: 'Name one of them, e.g. `./milab report --exam AZ-500`.',
      exitCode: 1,
    });
  }
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ExamDataError(file, `cannot read it: ${(error as Error).message}`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(file: string, where: string, raw: Record<string, unknown>, key: string): string {
  const value = raw[key];
  if (typeof value !== 'string' || value.trim() === '') throw new ExamDataError(file, `${where}: "${key}" must be a non-empty string.`);
  return value;
}

function url(file: string, where: string, raw: Record<string, unknown>, key: string): string {
  const value = text(file, where, raw, key);
  if (!/^https:\/\/\S+$/.test(value)) throw new ExamDataError(file, `${where}: "${key}" must be an https URL, not "${value}".`);
  return value;
}

/** An optional true/false (absent: false). */
function flag(file: string, where: string, raw: Record<string, unknown>, key: string): boolean {
  const value = raw[key];
  if (value !== undefined && typeof value !== 'boolean') throw new ExamDataError(file, `${where}: "${key}" must be true or false.`);
  return value === true;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

const OBJECTIVE_ID = /^([A-Z]{2,3}-\d{3})\/[a-z0-9-]+\/[a-z0-9-]+\/[a-z0-9-]+$/;

function parseExam(file: string, raw: unknown, index: number): Exam {
  const where = `exams[${index}]`;
  if (!isRecord(raw)) throw new ExamDataError(file, `${where} must be an object.`);
  const id = text(file, where, raw, 'id');
  if (!/^[A-Z]{2,3}-\d{3}$/.test(id)) throw new ExamDataError(file, `${where}: the exam id "${id}" is not like AZ-500.`);
  if (!Array.isArray(raw.objectives)) throw new ExamDataError(file, `${where} (${id}): "objectives" must be an array.`);
  const objectives = raw.objectives.map((o: unknown, at): ExamObjective => {
    const here = `${id} objectives[${at}]`;
    if (!isRecord(o)) throw new ExamDataError(file, `${here} must be an object.`);
    const objectiveId = text(file, here, o, 'id');
    const match = OBJECTIVE_ID.exec(objectiveId);
    if (!match || match[1] !== id) throw new ExamDataError(file, `${here}: the id "${objectiveId}" is not ${id}/domain/skill/line (lower-case words and dashes).`);
    if (typeof o.confirmedOnLearn !== 'boolean') throw new ExamDataError(file, `${here}: "confirmedOnLearn" must be true or false.`);
    return Object.freeze({
      id: objectiveId,
      exam: id,
      domain: text(file, here, o, 'domain'),
      skill: text(file, here, o, 'skill'),
      text: text(file, here, o, 'text'),
      quotedFrom: url(file, here, o, 'quotedFrom'),
      confirmedOnLearn: o.confirmedOnLearn,
    });
  });
  let retirement: ExamRetirement | undefined;
  if (raw.retirement !== undefined) {
    const r = raw.retirement;
    const here = `${id} retirement`;
    if (!isRecord(r)) throw new ExamDataError(file, `${here} must be an object.`);
    const date = text(file, here, r, 'date');
    if (!DATE.test(date)) throw new ExamDataError(file, `${here}: "date" must be YYYY-MM-DD, not "${date}".`);
    if (typeof r.confirmedOnLearn !== 'boolean') throw new ExamDataError(file, `${here}: "confirmedOnLearn" must be true or false.`);
    retirement = Object.freeze({
      date,
      ...(r.successor === undefined ? {} : { successor: text(file, here, r, 'successor') }),
      source: url(file, here, r, 'source'),
      confirmedOnLearn: r.confirmedOnLearn,
      ...(r.note === undefined ? {} : { note: text(file, here, r, 'note') }),
    });
  }
  return Object.freeze({
    id,
    title: text(file, where, raw, 'title'),
    studyGuide: url(file, where, raw, 'studyGuide'),
    outline: text(file, where, raw, 'outline'),
    outlineSource: url(file, where, raw, 'outlineSource'),
    outlineConfirmedOnLearn: flag(file, `${where} (${id})`, raw, 'outlineConfirmedOnLearn'),
    ...(raw.certification === undefined ? {} : { certification: text(file, where, raw, 'certification') }),
    ...(raw.learnChecked === undefined ? {} : { learnChecked: text(file, where, raw, 'learnChecked') }),
    ...(retirement === undefined ? {} : { retirement }),
    ...(raw.successorOf === undefined ? {} : { successorOf: text(file, where, raw, 'successorOf') }),
    objectives: Object.freeze(objectives),
  });
}

/** Reads and validates the exam data in `dir` (default labs/exam). Throws ExamDataError naming the file and the problem. */
export function readExamData(dir: string = EXAM_DIR): ExamData {
  const objectivesFile = join(dir, 'objectives.json');
  const raw = readJson(objectivesFile);
  if (!isRecord(raw) || raw.schemaVersion !== 1 || !Array.isArray(raw.exams)) {
    throw new ExamDataError(objectivesFile, 'expected { "schemaVersion": 1, "exams": [ … ] }.');
  }
  if (raw.checkedOn !== undefined && (typeof raw.checkedOn !== 'string' || !DATE.test(raw.checkedOn))) {
    throw new ExamDataError(objectivesFile, `"checkedOn" must be YYYY-MM-DD, not ${JSON.stringify(raw.checkedOn)}.`);
  }
  const exams = raw.exams.map((exam, index) => parseExam(objectivesFile, exam, index));
  const objectives = new Map<string, ExamObjective>();
  for (const exam of exams) {
    if (exams.filter((other) => other.id === exam.id).length > 1) throw new ExamDataError(objectivesFile, `the exam ${exam.id} is listed twice.`);
    for (const objective of exam.objectives) {
      if (objectives.has(objective.id)) throw new ExamDataError(objectivesFile, `the objective id ${objective.id} is used twice.`);
      objectives.set(objective.id, objective);
    }
  }
  const checksFile = join(dir, 'checks.json');
  const rawChecks = readJson(checksFile);
  if (!isRecord(rawChecks)) throw new ExamDataError(checksFile, 'expected an object of check id → objective ids.');
  const checks = new Map<string, readonly string[]>();
  for (const [checkId, ids] of Object.entries(rawChecks)) {
    if (checkId.startsWith('$')) continue;
    if (!Array.isArray(ids) || ids.some((value) => typeof value !== 'string')) {
      throw new ExamDataError(checksFile, `"${checkId}" must map to an array of objective ids.`);
    }
    checks.set(checkId, Object.freeze([...(ids as string[])]));
  }
  return Object.freeze({ ...(typeof raw.checkedOn === 'string' ? { checkedOn: raw.checkedOn } : {}), exams: Object.freeze(exams), objectives, checks });
}

let cached: ExamData | undefined;

/** The course's exam data (labs/exam), read once per process. */
export function examData(): ExamData {
  cached ??= readExamData();
  return cached;
}

/** The exam named by `input` (case-insensitive, `az500` and `AZ-500` alike); throws UnknownExamError. */
export function findExam(input: string, data: ExamData = examData()): Exam {
  const wanted = input.trim().toUpperCase().replace(/^([A-Z]{2,3})-?(\d{3})$/, '$1-$2');
  const exam = data.exams.find((candidate) => candidate.id === wanted);
  if (!exam) throw new UnknownExamError(input, data.exams);
  return exam;
}

/** The objective ids a grader check exercises (empty when the mapping has none: the self-check fails then). */
export function checkObjectives(checkId: string, data: ExamData = examData()): readonly string[] {
  return data.checks.get(checkId) ?? [];
}

/**
 * The checks with their exam objectives from labs/exam/checks.json set (a check that names its
 * own keeps them), as new objects in the same order. For @milab/graders' defineGrader, so that
 * every result, JSON and JUnit report carries them; generic, as this package does not depend on
 * @milab/grading.
 */
export function withExamObjectives<C extends { readonly id: string; readonly objectives?: readonly string[] }>(checks: readonly C[], data: ExamData = examData()): C[] {
  return checks.map((check) => (check.objectives !== undefined ? check : { ...check, objectives: checkObjectives(check.id, data) }));
}

/**
 * What is wrong with the exam data against the labs and the grader checks, as sentences; empty
 * when nothing is. `checkIds` are every grader's check ids (the graders package knows them; this
 * one does not import it). Unknown objective ids, labs or checks without any, and mapped checks
 * that no grader has.
 */
export function examDataProblems(data: ExamData, labs: readonly Lab[], checkIds: readonly string[]): string[] {
  const problems: string[] = [];
  const known = (id: string) => data.objectives.has(id);
  for (const lab of labs) {
    if (lab.examObjectives.length === 0) problems.push(`lab ${lab.id} names no exam objective (lab.json "examObjectives")`);
    for (const id of lab.examObjectives) if (!known(id)) problems.push(`lab ${lab.id} names the unknown objective ${id}`);
  }
  for (const checkId of checkIds) {
    const ids = data.checks.get(checkId);
    if (ids === undefined || ids.length === 0) problems.push(`check ${checkId} names no exam objective (labs/exam/checks.json)`);
    for (const id of ids ?? []) if (!known(id)) problems.push(`check ${checkId} names the unknown objective ${id}`);
    const lab = labs.find((candidate) => checkId.startsWith(`${candidate.id}.`));
    for (const id of ids ?? []) {
      if (lab && known(id) && !lab.examObjectives.includes(id)) problems.push(`check ${checkId} names ${id}, which lab ${lab.id}'s lab.json does not list`);
    }
  }
  for (const checkId of data.checks.keys()) if (!checkIds.includes(checkId)) problems.push(`labs/exam/checks.json maps ${checkId}, which no grader has`);
  return problems;
}

/** The markers around the generated "Exam objectives" section of a lab README. */
export const EXAM_SECTION_START = '<!-- exam-objectives:start (generated from labs/exam: node --conditions=source --import tsx labs/src/exam-readmes.ts) -->';
export const EXAM_SECTION_END = '<!-- exam-objectives:end -->';

/** The generated "Exam objectives" section of a lab's README, markers included. */
export function examSection(lab: Lab, data: ExamData = examData()): string {
  const lines = [EXAM_SECTION_START, '## Exam objectives'];
  lines.push(
    `The exam objective lines this lab exercises, and the checks of \`./milab grade ${lab.id}\` that exercise each.`,
    `Test yourself with \`./milab quiz ${lab.id}\`; see where you stand with \`./milab report --exam SC-500\` (or AZ-104). A line`,
    "marked † is quoted from a secondary source (the link), not read on the study guide itself: check its wording there.",
    '',
  );
  for (const exam of data.exams) {
    const mine = exam.objectives.filter((objective) => lab.examObjectives.includes(objective.id));
    if (mine.length === 0) continue;
    lines.push(`**[${exam.id}: ${exam.title}](${exam.studyGuide})** (${examStatus(exam, data)})`, '');
    for (const objective of mine) {
      const checks = [...data.checks.entries()].filter(([checkId, ids]) => checkId.startsWith(`${lab.id}.`) && ids.includes(objective.id)).map(([checkId]) => `\`${checkId}\``);
      const mark = objective.confirmedOnLearn ? '' : ' [†](' + objective.quotedFrom + ')';
      lines.push(`- ${objective.skill}: "${objective.text}"${mark} — ${checks.length > 0 ? checks.join(', ') : 'no check yet (the quiz covers it)'}`);
    }
    lines.push('');
  }
  lines.push(EXAM_SECTION_END);
  return lines.join('\n');
}

/**
 * An exam's outline version and retirement in words: "skills measured as of April 30, 2024, read on
 * Learn; retired 2026-08-31, successor SC-500 (per [a source](…), not confirmed on Learn)". Whether a retirement is past
 * is judged against the data's `checkedOn`, not today, so that the generated text stays the same
 * until the data changes. `text` (the terminal's) gives the source as a bare URL.
 */
export function examStatus(exam: Exam, data: Pick<ExamData, 'checkedOn'> = examData(), format: 'markdown' | 'text' = 'markdown'): string {
  const outline = `${exam.outline}${exam.outlineConfirmedOnLearn ? ', read on Learn' : ''}`;
  const r = exam.retirement;
  if (!r) return outline;
  const past = data.checkedOn !== undefined && r.date <= data.checkedOn;
  const source = format === 'markdown' ? `[a source](${r.source})` : r.source;
  return `${outline}; ${past ? 'retired' : 'retires'} ${r.date}${r.successor ? `, successor ${r.successor}` : ''} (per ${source}${r.confirmedOnLearn ? '' : ', not confirmed on Learn'})`;
}

/** The README text with its exam section replaced by (or, when it has none, appended as) the generated one. */
export function withExamSection(readme: string, section: string): string {
  const start = readme.indexOf(EXAM_SECTION_START.slice(0, 30));
  const end = readme.indexOf(EXAM_SECTION_END);
  if (start >= 0 && end > start) return `${readme.slice(0, start)}${section}${readme.slice(end + EXAM_SECTION_END.length)}`;
  return `${readme.replace(/\n*$/, '')}\n\n${section}\n`;
}

/** Labs whose README's exam section differs from the generated one (what the self-check fails on). */
export function staleExamReadmes(labs: readonly Lab[] = listLabs(), data: ExamData = examData()): Lab[] {
  return labs.filter((lab) => {
    const readme = readFileSync(lab.readme, 'utf8');
    return withExamSection(readme, examSection(lab, data)) !== readme;
  });
}
