// `milab classroom init [DIR]`: a learner repository for GitHub Classroom, written into DIR — the
// files of templates/classroom/ (the learner's README and the autograding workflow) and every
// lab's starter program at the path the workflow takes it from (labs/NN-slug/starter/index.ts, and
// a local lab's VM part beside it: labs 06, 07 and 09: starter/vm.ts).
// The workflow's one pin, which milab (repository and commit) grades, is filled in from the
// options or from this checkout's GitHub remote and commit. Nothing is ever overwritten.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { MilabError, repoRoot } from '@milab/core';
import { listLabs } from '@milab/labs';

/** Where the template lives, from the repository root. */
export const CLASSROOM_TEMPLATE_DIR = join('templates', 'classroom');
/** The workflow file, inside a learner repository. */
export const CLASSROOM_WORKFLOW = join('.github', 'workflows', 'classroom.yml');
/** The placeholders the template's workflow has for its pin. */
export const PLACEHOLDERS = { repository: '__MILAB_REPOSITORY__', ref: '__MILAB_REF__' } as const;

const REPOSITORY = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;
const COMMIT = /^[0-9a-f]{40}$/;

/** Options of {@link initClassroom}. */
export interface ClassroomInitOptions {
  /** `OWNER/NAME` of the milab repository on GitHub that grades (default: this checkout's origin). */
  milabRepo?: string;
  /** The full commit SHA of milab that grades (default: this checkout's HEAD). */
  milabRef?: string;
  /** The milab checkout to take the template and starters from (default: this one). */
  root?: string;
}

/** What {@link initClassroom} wrote. */
export interface ClassroomInitResult {
  readonly dir: string;
  /** Paths relative to `dir`, in the order written. */
  readonly files: readonly string[];
  readonly milabRepo: string | undefined;
  readonly milabRef: string | undefined;
  /** Said to the instructor: a pin that could not be filled in, and how to. */
  readonly warnings: readonly string[];
}

function usage(message: string, hint: string): MilabError {
  return new MilabError(message, { code: 'MILAB_USAGE', hint, exitCode: 2 });
}

/** Every file under `dir` (dotfiles too), relative to it, sorted. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (at: string) => {
    for (const name of readdirSync(at).sort()) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(relative(dir, path));
    }
  };
  walk(dir);
  return out;
}

function git(root: string, args: string[]): string | undefined {
  try {
    return execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** `OWNER/NAME` of a GitHub remote URL (https or ssh), else undefined. */
export function githubRepository(url: string | undefined): string | undefined {
  const match = url ? /github\.com[:/]([^/\s]+\/[^/\s]+?)(?:\.git)?\/?$/.exec(url) : null;
  return match && REPOSITORY.test(match[1]!) ? match[1] : undefined;
}

/** Writes the learner repository template into `dir`; refuses (naming them) if any of its files exist. */
export function initClassroom(dir: string, options: ClassroomInitOptions = {}): ClassroomInitResult {
  const root = options.root ?? repoRoot();
  const template = join(root, CLASSROOM_TEMPLATE_DIR);
  if (!existsSync(join(template, CLASSROOM_WORKFLOW))) {
    throw new MilabError(`The GitHub Classroom template is missing: no ${join(template, CLASSROOM_WORKFLOW)}.`, {
      code: 'MILAB_TEMPLATE_MISSING',
      hint: 'Run this from a complete milab checkout (templates/classroom/ is part of it).',
      exitCode: 2,
    });
  }
  if (options.milabRepo !== undefined && !REPOSITORY.test(options.milabRepo)) {
    throw usage(`--milab-repo '${options.milabRepo}' is not a GitHub repository: expected OWNER/NAME.`, 'For example: `--milab-repo contoso/milab` (the repository the learners\' workflow checks milab out from).');
  }
  if (options.milabRef !== undefined && !COMMIT.test(options.milabRef)) {
    throw usage(
      `--milab-ref '${options.milabRef}' is not a full commit SHA: expected 40 hex digits.`,
      'Every learner must be graded by the same graders, and only a commit cannot move: `git rev-parse HEAD` (or `git rev-parse v1.2.0^{commit}`) prints one.',
    );
  }
  const warnings: string[] = [];
  const milabRepo = options.milabRepo ?? githubRepository(git(root, ['remote', 'get-url', 'origin']));
  const milabRef = options.milabRef ?? git(root, ['rev-parse', 'HEAD']);
  if (!milabRepo) warnings.push(`the milab repository is not set (this checkout has no GitHub remote "origin"): edit MILAB_REPOSITORY in ${CLASSROOM_WORKFLOW}, or run again with --milab-repo OWNER/NAME.`);
  if (!milabRef || !COMMIT.test(milabRef)) warnings.push(`the milab commit is not set (this is not a git checkout): edit MILAB_REF in ${CLASSROOM_WORKFLOW}, or run again with --milab-ref SHA.`);
  else if (!options.milabRef) warnings.push(`the workflow grades with milab at ${milabRef} (this checkout's HEAD): push that commit to ${milabRepo ?? 'GitHub'} before learners push.`);

  const abs = resolve(dir);
  const fromTemplate = filesUnder(template).map((file) => ({ file, source: join(template, file) }));
  // The starters as committed at the pinned commit, not as they are in this checkout: `milab solve
  // 04` puts the reference solution into the starter, which must not reach the learners.
  const pinned = milabRef && COMMIT.test(milabRef) ? milabRef : undefined;
  // Each lab's program, and a local lab's VM part (starter/vm.ts of labs 06, 07, 09) beside it.
  const programs = listLabs().flatMap((lab) => [lab.starter, ...(lab.vmProgram ? [lab.vmProgram.starter] : [])]);
  const starters = programs.map((source) => {
    const file = relative(root, source);
    const committed = pinned ? git(root, ['show', `${pinned}:${file.split('\\').join('/')}`]) : undefined;
    if (committed === undefined) warnings.push(`${file}: copied from this checkout (not found at the pinned commit): check it is the starter, not your solution.`);
    return { file, source, ...(committed === undefined ? {} : { text: `${committed}\n` }) };
  });
  const planned: { file: string; source: string; text?: string }[] = [...fromTemplate, ...starters];
  const existing = planned.map((p) => p.file).filter((file) => existsSync(join(abs, file)));
  if (existing.length > 0) {
    throw new MilabError(`${abs} already has ${existing.join(', ')}: \`classroom init\` never overwrites a file.`, {
      code: 'MILAB_CLASSROOM_EXISTS',
      hint: 'Pick an empty folder (or move those files away), then run it again.',
      exitCode: 1,
    });
  }
  for (const { file, source, text: given } of planned) {
    let text = given ?? readFileSync(source, 'utf8');
    if (file === CLASSROOM_WORKFLOW) {
      if (milabRepo) text = text.replace(PLACEHOLDERS.repository, milabRepo);
      if (milabRef && COMMIT.test(milabRef)) text = text.replace(PLACEHOLDERS.ref, milabRef);
    }
    const target = join(abs, file);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text, { flag: 'wx' });
  }
  return { dir: abs, files: planned.map((p) => p.file), milabRepo, milabRef: milabRef && COMMIT.test(milabRef) ? milabRef : undefined, warnings };
}
