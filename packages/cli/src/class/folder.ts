// A class is a folder of plain files the instructor can keep in git: `class.json` (class id,
// target, mode, subscription, location, grading principal) and `roster.csv` (one learner a row).
// Read and checked here once, for every `milab class …` command: a bad file is refused with the
// file, the line and what is wrong, never half-used. The names, tags and environment of each
// learner are derived here too, so provisioning, grading and teardown agree on them.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { stringify as stringifyCsv } from 'csv-stringify/sync';
import { z } from 'zod';
import { normalizeRegion } from '@milab/common';
import { DEFAULT_LOCATION, isGenericLearnerId, isValidLearnerId, labResourceNames, MilabError, sanitizeLearnerId, WORKSHOP_TAG_VALUE, type Target } from '@milab/core';
import { SEED } from '@milab/emulator';

/** The class description file in a class folder. */
export const CLASS_FILE = 'class.json';
/** The roster file in a class folder. */
export const ROSTER_FILE = 'roster.csv';

/** `own`: each learner has a subscription (the course as today); `shared`: one subscription, one resource group per learner. */
export type ClassMode = 'own' | 'shared';
export const CLASS_MODES: readonly ClassMode[] = ['shared', 'own'];

/**
 * The roster's columns, in the order `class init` writes them; only `learner` is required.
 * - `learner`: the learner id every resource name derives from;
 * - `displayName`: as the scoreboard shows the learner (default: the learner id);
 * - `entraObjectId` / `upn`: Azure, the learner's Entra user (object id, or sign-in name);
 * - `subscriptionId`: own mode, the learner's subscription;
 * - `lmsId`: the learner's id in the school's LMS, the identity column of the gradebook CSVs
 *   (`class grade --csv F --csv-format canvas`: Canvas's SIS User ID; `moodle`: Moodle's ID
 *   number, "useridnumber"). Optional, unique when given.
 */
export const ROSTER_COLUMNS = ['learner', 'displayName', 'entraObjectId', 'upn', 'subscriptionId', 'lmsId'] as const;
type RosterColumn = (typeof ROSTER_COLUMNS)[number];
/** The optional columns most rosters leave out (named in hints, not in the header the messages show). */
const OPTIONAL_ROSTER_COLUMNS: readonly RosterColumn[] = ['lmsId'];
/** The header the messages show: the usual columns. */
const ROSTER_HEADER = ROSTER_COLUMNS.filter((c) => !OPTIONAL_ROSTER_COLUMNS.includes(c)).join(',');
/** The longest LMS id accepted: SIS ids and ID numbers are short codes (Moodle's idnumber field holds 255). */
const MAX_LMS_ID_LENGTH = 100;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EXAMPLE_GUID = '98f51385-2edc-4b79-bed9-7718de4cb861';
const ID_RULE = 'lower-case letters, digits and dashes, at most 24 characters, starting and ending with a letter or digit';

const guid = (what: string) => z.string().trim().regex(GUID, `expected ${what} GUID like ${EXAMPLE_GUID}`).transform((s) => s.toLowerCase());

const ClassConfigSchema = z
  .object({
    version: z.literal(1, 'expected 1 (the only version)'),
    classId: z
      .string('expected a string')
      .refine(isValidLearnerId, `expected ${ID_RULE} (it is part of every resource group name)`),
    target: z.enum(['emulator', 'azure'] satisfies Target[], 'expected "emulator" or "azure"'),
    mode: z.enum(['shared', 'own'] satisfies ClassMode[], 'expected "shared" or "own"'),
    subscriptionId: guid('a subscription').optional(),
    location: z
      .string('expected a region name')
      .default(DEFAULT_LOCATION)
      .transform((value, ctx) => {
        const name = normalizeRegion(value);
        if (name === undefined) {
          ctx.addIssue({ code: 'custom', message: `'${value}' is not an Azure region (e.g. ${DEFAULT_LOCATION})` });
          return z.NEVER;
        }
        return name;
      }),
    grader: z
      .object({ principalId: guid('an object (principal)'), clientId: guid('an application (client)').optional() }, 'expected { "principalId": "<guid>" }')
      .strict()
      .optional(),
  }, 'expected a JSON object')
  .strict()
  .superRefine((value, ctx) => {
    if (value.target === 'azure' && value.mode === 'shared' && value.subscriptionId === undefined) {
      ctx.addIssue({ code: 'custom', path: ['subscriptionId'], message: 'a shared class on Azure needs the subscription every learner works in' });
    }
  });

/** class.json, validated and normalised (GUIDs lower case, the region's programmatic name). */
export type ClassConfig = Readonly<z.infer<typeof ClassConfigSchema>>;

/** One roster row. */
export interface ClassLearner {
  /** The learner id: every resource name derives from it. */
  readonly learner: string;
  /** As the scoreboard shows it (the learner id when the row leaves it empty). */
  readonly displayName: string;
  /** Azure: the learner's Entra user object id (what role assignments name). */
  readonly entraObjectId?: string;
  /** Azure: the learner's user principal name (sign-in name), when the object id is not known. */
  readonly upn?: string;
  /** Own mode: the learner's own subscription. */
  readonly subscriptionId?: string;
  /** The learner's id in the LMS (Canvas SIS User ID, Moodle ID number): the gradebook CSVs' identity column. */
  readonly lmsId?: string;
  /** The line of roster.csv the row is on (1 = the header). */
  readonly line: number;
}

/** A loaded class folder. */
export interface ClassFolder {
  /** Absolute path of the folder. */
  readonly dir: string;
  readonly config: ClassConfig;
  readonly roster: readonly ClassLearner[];
  readonly files: { readonly classFile: string; readonly rosterFile: string };
}

/** One thing wrong in a class folder: which file, which line (when it is about one), what. */
export interface ClassFolderProblem {
  file: string;
  line?: number;
  message: string;
}

/** The class folder cannot be used: every problem found, each with its file and line. */
export class ClassFolderError extends MilabError {
  override name = 'ClassFolderError';
  readonly problems: readonly ClassFolderProblem[];

  constructor(problems: ClassFolderProblem[], hint: string, cause?: unknown) {
    const where = (p: ClassFolderProblem) => (p.line === undefined ? p.file : `${p.file}:${p.line}`);
    const shown = problems.slice(0, 20).map((p) => `${where(p)}: ${p.message}`);
    if (problems.length > shown.length) shown.push(`… and ${problems.length - shown.length} more`);
    const message = problems.length === 1 ? shown[0]! : `the class folder has ${problems.length} problems:\n  ${shown.join('\n  ')}`;
    super(message, { code: 'MILAB_CLASS_INVALID', hint, exitCode: 1, cause });
    this.problems = problems;
  }
}

const CLASS_HINT = `Fix ${CLASS_FILE} by hand (fields: version, classId, target, mode, subscriptionId, location, grader), or create a new class with \`./milab class init DIR\`.`;
const ROSTER_HINT = `Fix those rows of ${ROSTER_FILE} (header: ${ROSTER_HEADER}, optionally lmsId, the learner's LMS id for the gradebook CSVs; only learner is required), then run the command again.`;

/** Reads and validates class.json. */
export function readClassConfig(file: string): ClassConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new ClassFolderError(
      [{ file, message: missing ? 'no such file: this is not a class folder' : `cannot read it: ${(error as Error).message}` }],
      missing ? 'Pass the class folder with `--class DIR`, or create one with `./milab class init DIR`.' : 'Check its permissions.',
      error,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new ClassFolderError([{ file, message: `not valid JSON: ${(error as Error).message}` }], CLASS_HINT, error);
  }
  const result = ClassConfigSchema.safeParse(parsed);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const field = issue.path.join('.');
      const message =
        issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}` : `${field ? `"${field}": ` : ''}${issue.message}`;
      return { file, line: lineOfField(text, issue.path[0]), message };
    });
    throw new ClassFolderError(problems, CLASS_HINT);
  }
  return Object.freeze(result.data);
}

/** The line a top-level JSON field starts on, for error messages; `undefined` when not found. */
function lineOfField(text: string, field: PropertyKey | undefined): number | undefined {
  if (typeof field !== 'string') return undefined;
  const at = text.search(new RegExp(`"${field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"\\s*:`));
  return at < 0 ? undefined : text.slice(0, at).split('\n').length;
}

/**
 * Parses roster.csv's text for a class. Tolerates a UTF-8 BOM, CRLF line ends, blank lines and
 * columns in any order; refuses unknown columns, rows with more fields than the header, invalid,
 * generic or duplicate learner ids, and (by target and mode) missing or misplaced Entra ids and
 * subscriptions — every problem with its line.
 */
export function parseRoster(text: string, config: Pick<ClassConfig, 'target' | 'mode'>, file: string = ROSTER_FILE): ClassLearner[] {
  let rows: { record: string[]; info: { lines: number } }[];
  try {
    rows = parseCsv(text, {
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
      trim: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    const message = (error as Error).message.replace(/^[^:]*:\s*/, '').replace(/\s*at line \d+.*$/, '');
    throw new ClassFolderError([{ file, line, message: `not valid CSV: ${message}` }], ROSTER_HINT, error);
  }
  const [header, ...records] = rows;
  if (!header) {
    throw new ClassFolderError([{ file, message: `empty: expected a header row (${ROSTER_HEADER}) and one row per learner` }], ROSTER_HINT);
  }
  const problems: ClassFolderProblem[] = [];
  const headerLine = header.info.lines;
  const columns: (RosterColumn | undefined)[] = header.record.map((name) => ROSTER_COLUMNS.find((c) => c.toLowerCase() === name.toLowerCase()));
  header.record.forEach((name, i) => {
    if (columns[i] === undefined) problems.push({ file, line: headerLine, message: `unknown column "${name}": expected the header ${ROSTER_HEADER}` });
    else if (columns.indexOf(columns[i]) !== i) problems.push({ file, line: headerLine, message: `column "${name}" appears twice` });
  });
  if (!columns.includes('learner')) problems.push({ file, line: headerLine, message: `no "learner" column: the first row must be the header (${ROSTER_HEADER})` });
  if (problems.length > 0) throw new ClassFolderError(problems, ROSTER_HINT);

  const seen = new Map<string, number>();
  const seenLmsIds = new Map<string, number>();
  const learners: ClassLearner[] = [];
  for (const { record, info } of records) {
    const line = info.lines;
    const fail = (message: string) => problems.push({ file, line, message });
    if (record.length > columns.length) {
      fail(`${record.length} fields, but the header has ${columns.length} (a comma inside a name needs "quotes")`);
      continue;
    }
    const value = (column: RosterColumn): string | undefined => {
      const i = columns.indexOf(column);
      const v = i < 0 ? undefined : record[i];
      return v === undefined || v === '' ? undefined : v;
    };
    const learner = value('learner');
    const before = problems.length;
    if (learner === undefined) fail('no learner id');
    else if (!isValidLearnerId(learner)) {
      const suggestion = sanitizeLearnerId(learner);
      fail(`learner "${learner}" is not a valid learner id: expected ${ID_RULE}${suggestion ? ` (e.g. "${suggestion}")` : ''}`);
    } else if (isGenericLearnerId(learner)) fail(`learner "${learner}" is a generic user name every class machine shares: use the person's own name`);
    else if (seen.has(learner)) fail(`learner "${learner}" is already on line ${seen.get(learner)}: learner ids must be unique`);

    const entraObjectId = value('entraObjectId');
    if (entraObjectId !== undefined && !GUID.test(entraObjectId)) fail(`entraObjectId "${entraObjectId}" is not a GUID (like ${EXAMPLE_GUID})`);
    const upn = value('upn');
    if (upn !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(upn)) fail(`upn "${upn}" is not a sign-in name like jane@contoso.com`);
    if (config.target === 'azure' && entraObjectId === undefined && upn === undefined) {
      fail('on Azure each learner needs an entraObjectId (`az ad user show --id <upn> --query id -o tsv`) or a upn');
    }
    const subscriptionId = value('subscriptionId');
    if (subscriptionId !== undefined) {
      if (config.mode === 'shared') fail('a subscriptionId in a shared class: every learner works in the class subscription (class.json); leave it empty, or use mode "own"');
      else if (!GUID.test(subscriptionId)) fail(`subscriptionId "${subscriptionId}" is not a GUID (like ${EXAMPLE_GUID})`);
    } else if (config.mode === 'own' && config.target === 'azure') {
      fail("an own-subscription class on Azure needs each learner's subscriptionId");
    }
    const lmsId = value('lmsId');
    if (lmsId !== undefined) {
      // Any text an LMS uses as an id, within reason: one line, printable, not too long; two
      // learners with one id would get each other's grades.
      if (lmsId.length > MAX_LMS_ID_LENGTH) fail(`lmsId is ${lmsId.length} characters long: expected at most ${MAX_LMS_ID_LENGTH} (the learner's SIS or ID number, e.g. 2026-0042)`);
      // eslint-disable-next-line no-control-regex
      else if (/[\u0000-\u001f\u007f]/.test(lmsId)) fail('lmsId has a control character (a tab or line break?): expected the learner\'s SIS or ID number on one line');
      else if (seenLmsIds.has(lmsId)) fail(`lmsId "${lmsId}" is already on line ${seenLmsIds.get(lmsId)}: each learner needs their own LMS id`);
    }
    if (problems.length > before || learner === undefined) continue;
    seen.set(learner, line);
    if (lmsId !== undefined) seenLmsIds.set(lmsId, line);
    learners.push(
      Object.freeze({
        learner,
        displayName: value('displayName') ?? learner,
        line,
        ...(entraObjectId ? { entraObjectId: entraObjectId.toLowerCase() } : {}),
        ...(upn ? { upn } : {}),
        ...(subscriptionId ? { subscriptionId: subscriptionId.toLowerCase() } : {}),
        ...(lmsId ? { lmsId } : {}),
      }),
    );
  }
  if (problems.length > 0) throw new ClassFolderError(problems, ROSTER_HINT);
  if (learners.length === 0) {
    throw new ClassFolderError([{ file, message: 'no learners: add one row per learner under the header' }], ROSTER_HINT);
  }
  return learners;
}

/** Loads a class folder: class.json, then roster.csv. Throws a {@link ClassFolderError} naming every problem. */
export function loadClass(dir: string): ClassFolder {
  const abs = resolve(dir);
  const classFile = join(abs, CLASS_FILE);
  const rosterFile = join(abs, ROSTER_FILE);
  const config = readClassConfig(classFile);
  let text: string;
  try {
    text = readFileSync(rosterFile, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new ClassFolderError(
      [{ file: rosterFile, message: missing ? 'no such file' : `cannot read it: ${(error as Error).message}` }],
      missing ? `Create it with the header ${ROSTER_HEADER} and one row per learner.` : 'Check its permissions.',
      error,
    );
  }
  const roster = parseRoster(text, config, rosterFile);
  return Object.freeze({ dir: abs, config, roster: Object.freeze(roster), files: Object.freeze({ classFile, rosterFile }) });
}

// ---------------------------------------------------------------------------------------------
// Per learner: names, tags, environment

/** The names of one learner's class resources. */
export interface ClassLearnerNames {
  readonly learner: string;
  readonly subscriptionId: string;
  /** `rg-milab-<classId>-<learner>`. */
  readonly resourceGroup: string;
  /** `/subscriptions/{sub}/resourceGroups/{rg}`. */
  readonly resourceGroupId: string;
  readonly location: string;
  /** `vm-milab-<learner>`. */
  readonly vm: string;
  /** The learner's lab identity (lab 01 creates it): `id-milab-<learner>`. */
  readonly identity: string;
  /** Lab 03's app identity, made by provisioning: `id-milab-<learner>-app`. */
  readonly appIdentity: string;
}

/** Finds a learner of the roster by id; throws a {@link ClassFolderError} naming the roster otherwise. */
export function findLearner(folder: ClassFolder, learner: string | ClassLearner): ClassLearner {
  if (typeof learner !== 'string') return learner;
  const found = folder.roster.find((l) => l.learner === learner);
  if (!found) {
    const some = folder.roster.slice(0, 5).map((l) => l.learner).join(', ');
    throw new ClassFolderError(
      [{ file: folder.files.rosterFile, message: `no learner "${learner}" in the roster (it has ${folder.roster.length}: ${some}${folder.roster.length > 5 ? ', …' : ''})` }],
      'Pass a learner id from the roster, or add a row for them.',
    );
  }
  return found;
}

/** The subscription a learner works in: the class's (shared), their own (own), or the emulator's one. */
export function learnerSubscription(folder: ClassFolder, learner: ClassLearner): string {
  const { config } = folder;
  if (config.mode === 'own' && learner.subscriptionId) return learner.subscriptionId;
  if (config.subscriptionId) return config.subscriptionId;
  // The emulator has one subscription, the seeded one; on Azure the schema and roster checks
  // above make sure one of the two is set.
  return SEED.subscriptionId;
}

/** One learner's resource names, in both modes. */
export function classLearnerNames(folder: ClassFolder, learner: string | ClassLearner): ClassLearnerNames {
  const row = findLearner(folder, learner);
  const subscriptionId = learnerSubscription(folder, row);
  const resourceGroup = `rg-milab-${folder.config.classId}-${row.learner}`;
  const { virtualMachine, userAssignedIdentity } = labResourceNames(row.learner);
  return Object.freeze({
    learner: row.learner,
    subscriptionId,
    resourceGroup,
    resourceGroupId: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`,
    location: folder.config.location,
    vm: virtualMachine,
    identity: userAssignedIdentity,
    appIdentity: `${userAssignedIdentity}-app`,
  });
}

/** The tags on everything a class makes for a learner: what teardown and the graders go by. */
export function classTags(classId: string, learner: string): { workshop: string; class: string; learner: string } {
  return { workshop: WORKSHOP_TAG_VALUE, class: classId, learner };
}

/**
 * The configuration a learner of the class works with, as environment variables: what
 * `milab class env` prints and what the class grader loads each learner's config with
 * (`loadConfig({ env: { ...process.env, ...learnerEnv(folder, l) } })`).
 */
export function learnerEnv(folder: ClassFolder, learner: string | ClassLearner): Record<string, string> {
  const names = classLearnerNames(folder, learner);
  return {
    MILAB_TARGET: folder.config.target,
    MILAB_MODE: folder.config.mode,
    MILAB_LEARNER: names.learner,
    MILAB_RESOURCE_GROUP: names.resourceGroup,
    MILAB_VM_NAME: names.vm,
    MILAB_LOCATION: names.location,
    AZURE_SUBSCRIPTION_ID: names.subscriptionId,
  };
}

// ---------------------------------------------------------------------------------------------
// Creating a class folder (`milab class init`)

/** What `class init` writes. */
export interface NewClass {
  classId: string;
  target: Target;
  mode: ClassMode;
  subscriptionId?: string;
  location?: string;
  grader?: { principalId: string; clientId?: string };
  /** Roster rows (only `learner` is required). */
  learners: readonly Partial<Record<RosterColumn, string>>[];
}

/**
 * Writes class.json and roster.csv into `dir` (created if needed), after checking class.json
 * parses as `loadClass` will read it. Refuses when either file exists: a class folder is never overwritten.
 */
export function writeClassFolder(dir: string, spec: NewClass): { classFile: string; rosterFile: string } {
  const abs = resolve(dir);
  const classFile = join(abs, CLASS_FILE);
  const rosterFile = join(abs, ROSTER_FILE);
  const existing = [classFile, rosterFile].filter((f) => existsSync(f));
  if (existing.length > 0) {
    throw new MilabError(`${existing.join(' and ')} already exist${existing.length === 1 ? 's' : ''}: a class folder is never overwritten.`, {
      code: 'MILAB_CLASS_EXISTS',
      hint: 'Pick another folder, or edit the files by hand.',
      exitCode: 1,
    });
  }
  const classJson = {
    version: 1,
    classId: spec.classId,
    target: spec.target,
    mode: spec.mode,
    ...(spec.subscriptionId ? { subscriptionId: spec.subscriptionId } : {}),
    location: spec.location ?? DEFAULT_LOCATION,
    ...(spec.grader ? { grader: spec.grader } : {}),
  };
  const classText = `${JSON.stringify(classJson, null, 2)}\n`;
  // Only the columns this class needs: the emulator needs no Entra ids, a shared class no subscriptions.
  const wanted = ROSTER_COLUMNS.filter(
    (c) =>
      c === 'learner' ||
      c === 'displayName' ||
      spec.learners.some((l) => l[c]) ||
      (spec.target === 'azure' && c === 'entraObjectId') ||
      (spec.target === 'azure' && spec.mode === 'own' && c === 'subscriptionId'),
  );
  const rosterText = stringifyCsv([wanted, ...spec.learners.map((l) => wanted.map((c) => l[c] ?? ''))], { record_delimiter: '\n' });
  // Validate before writing: what init writes must load.
  const config = ClassConfigSchema.safeParse(classJson);
  if (!config.success) {
    throw new ClassFolderError(
      config.error.issues.map((i) => ({ file: classFile, message: `${i.path.join('.') ? `"${i.path.join('.')}": ` : ''}${i.message}` })),
      'Check the values given to `./milab class init` (see --help).',
    );
  }
  mkdirSync(abs, { recursive: true });
  writeFileSync(classFile, classText, { flag: 'wx' });
  writeFileSync(rosterFile, rosterText, { flag: 'wx' });
  // Not loaded back: on Azure the roster still lacks the learners' Entra ids, which the
  // instructor fills in (and loadClass then insists on).
  return { classFile, rosterFile };
}
