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
  /** Certification exams the lab prepares for, e.g. `AZ-104`: those of its `examObjectives`. */
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
  /**
   * A local lab with a part that runs on the lab VM (lab 06): that program's file name in
   * starter/ and solution/ (`vm.ts`), graded by running it on the VM as labs 04-05 are.
   */
  readonly vmProgramFile?: string | undefined;
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
  /** The VM part of a local lab (`vmProgramFile`): the learner's `starter/vm.ts` and the reference `solution/vm.ts`. */
  readonly vmProgram?: { readonly starter: string; readonly solution: string } | undefined;
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
  const examObjectives = raw.examObjectives === undefined ? [] : strings(file, raw, 'examObjectives', false);
  // The exams a lab prepares for are those of its objective lines (AZ-500/… → AZ-500): derived, so
  // they cannot disagree; a lab.json that still lists them must list the same ones.
  const certifications = [...new Set(examObjectives.map((objective) => objective.split('/')[0] ?? objective))].sort();
  if (raw.certifications !== undefined) {
    const listed = [...new Set(strings(file, raw, 'certifications', false))].sort();
    if (listed.join() !== certifications.join()) {
      throw new LabManifestError(file, `"certifications" [${listed.join(', ')}] are not the exams of its "examObjectives" [${certifications.join(', ')}]: remove "certifications" (it is derived from "examObjectives"), or make them agree.`);
    }
  }
  const runsOn = raw.runsOn ?? 'local';
  if (runsOn !== 'local' && runsOn !== 'vm') throw new LabManifestError(file, '"runsOn" must be "local" or "vm".');
  const vmProgramFile = raw.vmProgramFile;
  if (vmProgramFile !== undefined && (typeof vmProgramFile !== 'string' || !/^[a-z0-9-]+\.ts$/.test(vmProgramFile) || vmProgramFile === 'index.ts' || runsOn !== 'local')) {
    throw new LabManifestError(file, '"vmProgramFile" must name a .ts file other than index.ts (e.g. "vm.ts"), in a lab that runs locally.');
  }
  return Object.freeze({
    id,
    slug,
    title: text(file, raw, 'title'),
    summary: text(file, raw, 'summary'),
    objectives: strings(file, raw, 'objectives', true),
    certifications,
    examObjectives,
    dependsOn: strings(file, raw, 'dependsOn', false),
    hints: strings(file, raw, 'hints', true),
    runsOn,
    setup: raw.setup === true,
    ...(vmProgramFile === undefined ? {} : { vmProgramFile }),
    folder,
    dir,
    readme: join(dir, 'README.md'),
    starter: join(dir, 'starter', 'index.ts'),
    solution: join(dir, 'solution', 'index.ts'),
    vmProgram: vmProgramFile === undefined ? undefined : Object.freeze({ starter: join(dir, 'starter', vmProgramFile), solution: join(dir, 'solution', vmProgramFile) }),
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
