// The lab manifests: every `labs/NN-slug/lab.json`, read and validated in one place, so the CLI,
// the graders and the labs self-check agree on what a lab is. A lab folder holds README.md,
// lab.json, starter/ (what the learner edits) and solution/ (mirroring starter/ file for file).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MilabError } from '@milab/core';

/** Where a lab's program runs: on the learner's machine (labs 01-03) or on the lab VM (IMDS labs). */
export type LabRunsOn = 'local' | 'vm';

/** What `lab.json` holds. */
export interface LabManifest {
  /** Two digits, `01`. */
  readonly id: string;
  /** The folder name without the id, `create-identity`. */
  readonly slug: string;
  readonly title: string;
  /** One sentence for `milab start` and `milab status`. */
  readonly summary: string;
  readonly objectives: readonly string[];
  /** Certification exams the lab prepares for, e.g. `AZ-104`. */
  readonly certifications: readonly string[];
  /** Ids of the exam objective lines the lab exercises (labs/exam/objectives.json); empty when omitted. */
  readonly examObjectives: readonly string[];
  /** Lab ids that must be done first. */
  readonly dependsOn: readonly string[];
  /** Progressive hints, first to last; never empty. */
  readonly hints: readonly string[];
  /** Default `local`. */
  readonly runsOn: LabRunsOn;
  /** Whether the lab has a `setup.ts` that prepares the starting state (run by `milab start` and `milab solve`). */
  readonly setup: boolean;
}

/** A lab on disk: its manifest and where its files are. */
export interface Lab extends LabManifest {
  /** `01-create-identity`. */
  readonly folder: string;
  /** Absolute path of the lab folder. */
  readonly dir: string;
  readonly readme: string;
  /** The program the learner completes: `starter/index.ts`. */
  readonly starter: string;
  /** The reference solution: `solution/index.ts`. */
  readonly solution: string;
}

/** The README sections every lab has, in order (the lab contract). */
export const README_SECTIONS = [
  'What you will learn',
  'Why it matters',
  'Steps',
  'Portal',
  'az CLI',
  'TypeScript',
  'Check your work',
  'Troubleshooting',
  'Clean-up',
  'Further reading',
] as const;

/** The folder holding the lab folders (`labs/` at the repository root): above `src/`, or above `dist/src/` when built. */
export const LABS_DIR = ((here: string) => (basename(dirname(here)) === 'dist' ? join(here, '..', '..') : join(here, '..')))(
  dirname(fileURLToPath(import.meta.url)),
);

const FOLDER = /^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)$/;

/** A lab id, slug or folder the user typed does not name a lab. */
export class UnknownLabError extends MilabError {
  override name = 'UnknownLabError';
  constructor(input: string, known: readonly Lab[]) {
    super(`There is no lab "${input}". The labs are: ${known.map((lab) => `${lab.id} (${lab.slug})`).join(', ')}.`, {
      code: 'MILAB_UNKNOWN_LAB',
      hint: 'Name a lab by its number, e.g. `./milab grade 01` (see `./milab status`).',
      exitCode: 1,
    });
  }
}

/** A lab.json is missing a field or has a wrong one: a bug in the repository, not the learner's. */
export class LabManifestError extends MilabError {
  override name = 'LabManifestError';
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`, {
      code: 'MILAB_LAB_MANIFEST_INVALID',
      hint: 'Restore the file from git (`git checkout -- labs`), or report it if it is unchanged.',
      exitCode: 1,
    });
  }
}

function strings(file: string, raw: Record<string, unknown>, key: string, nonEmpty: boolean): string[] {
  const value = raw[key];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.trim() === '')) {
    throw new LabManifestError(file, `"${key}" must be an array of non-empty strings.`);
  }
  if (nonEmpty && value.length === 0) throw new LabManifestError(file, `"${key}" must not be empty.`);
  return value as string[];
}

function text(file: string, raw: Record<string, unknown>, key: string): string {
  const value = raw[key];
  if (typeof value !== 'string' || value.trim() === '') throw new LabManifestError(file, `"${key}" must be a non-empty string.`);
  return value;
}

/** Reads and validates one lab folder's lab.json. */
export function readLab(dir: string): Lab {
  const folder = dir.split(/[\\/]/).pop() ?? dir;
  const file = join(dir, 'lab.json');
  const match = FOLDER.exec(folder);
  if (!match) throw new LabManifestError(file, `the folder name "${folder}" is not NN-slug.`);
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new LabManifestError(file, `cannot read it: ${(error as Error).message}`);
  }
  const id = text(file, raw, 'id');
  const slug = text(file, raw, 'slug');
  if (id !== match[1] || slug !== match[2]) throw new LabManifestError(file, `id "${id}" and slug "${slug}" must match the folder "${folder}".`);
  const runsOn = raw.runsOn ?? 'local';
  if (runsOn !== 'local' && runsOn !== 'vm') throw new LabManifestError(file, '"runsOn" must be "local" or "vm".');
  return Object.freeze({
    id,
    slug,
    title: text(file, raw, 'title'),
    summary: text(file, raw, 'summary'),
    objectives: strings(file, raw, 'objectives', true),
    certifications: strings(file, raw, 'certifications', false),
    examObjectives: raw.examObjectives === undefined ? [] : strings(file, raw, 'examObjectives', false),
    dependsOn: strings(file, raw, 'dependsOn', false),
    hints: strings(file, raw, 'hints', true),
    runsOn,
    setup: raw.setup === true,
    folder,
    dir,
    readme: join(dir, 'README.md'),
    starter: join(dir, 'starter', 'index.ts'),
    solution: join(dir, 'solution', 'index.ts'),
  });
}

let cached: readonly Lab[] | undefined;

/** Every lab, in order. Read once per process. */
export function listLabs(): readonly Lab[] {
  cached ??= Object.freeze(
    readdirSync(LABS_DIR)
      .filter((name) => FOLDER.test(name) && existsSync(join(LABS_DIR, name, 'lab.json')))
      .sort()
      .map((name) => readLab(join(LABS_DIR, name))),
  );
  return cached;
}

/** The lab named by `input`: `1`, `01`, `01-create-identity` or `create-identity`. */
export function findLab(input: string): Lab {
  const labs = listLabs();
  const wanted = input.trim().toLowerCase();
  const asNumber = /^\d{1,2}$/.test(wanted) ? wanted.padStart(2, '0') : undefined;
  const lab = labs.find((l) => l.id === asNumber || l.folder === wanted || l.slug === wanted);
  if (!lab) throw new UnknownLabError(input, labs);
  return lab;
}

/** The lab whose folder contains `file` (a starter or solution program), if any. */
export function labOfFile(file: string): Lab | undefined {
  return listLabs().find((lab) => file.startsWith(`${lab.dir}/`) || file.startsWith(`${lab.dir}\\`));
}

/** The `##`/`###` headings of a README, in order. */
export function readmeHeadings(markdown: string): string[] {
  return [...markdown.matchAll(/^#{2,3}\s+(.+?)\s*$/gm)].map((m) => (m[1] ?? '').trim());
}
