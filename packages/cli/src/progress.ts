// The learner's saved progress: `<milab home>/progress.json`, the last grade of every lab per
// target (status, score, time) and how many hints of each lab were shown. Written atomically
// (write, then rename), so an interrupted write never loses what was saved before.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { milabHome, MilabError, type Target } from '@milab/core';
import type { GradeReport, GradeStatus, Score } from '@milab/grading';

/** The last grade of one lab. */
export interface LabGrade {
  readonly status: GradeStatus;
  readonly score: Score;
  /** When it was graded (ISO 8601). */
  readonly gradedAt: string;
  /** Ids of the checks that did not pass, for `milab status`. */
  readonly open: readonly string[];
}

/** Everything progress.json holds. */
export interface Progress {
  readonly version: 1;
  /** Last grade per target (`emulator`, `azure`), per lab id. */
  readonly grades: Readonly<Partial<Record<Target, Readonly<Record<string, LabGrade>>>>>;
  /** How many hints of each lab have been shown. */
  readonly hints: Readonly<Record<string, number>>;
}

type Env = Readonly<Record<string, string | undefined>>;

const EMPTY: Progress = Object.freeze({ version: 1, grades: {}, hints: {} });

/** `<milab home>/progress.json`. */
export function progressFile(env: Env = process.env): string {
  return join(milabHome(env), 'progress.json');
}

/** The saved progress; empty when nothing was saved yet. */
export function readProgress(env: Env = process.env): Progress {
  const file = progressFile(env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY;
    throw progressError(file, (error as Error).message);
  }
  try {
    const parsed = JSON.parse(text) as Partial<Progress>;
    if (parsed.version !== 1) throw new Error(`unknown version ${String(parsed.version)}`);
    return { version: 1, grades: parsed.grades ?? {}, hints: parsed.hints ?? {} };
  } catch (error) {
    throw progressError(file, (error as Error).message);
  }
}

function progressError(file: string, reason: string): MilabError {
  return new MilabError(`Cannot read your progress file ${file}: ${reason}.`, {
    code: 'MILAB_PROGRESS_UNREADABLE',
    hint: `Delete it (you lose saved grades and hint positions; \`pnpm milab status --refresh\` grades again): rm ${file}`,
    exitCode: 1,
  });
}

/** Writes the whole progress atomically. */
export function writeProgress(progress: Progress, env: Env = process.env): void {
  const file = progressFile(env);
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(progress, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, file);
}

/** Records the grade of each lab report (one report per lab) for `target`, and returns the new progress. */
export function recordGrades(reports: readonly GradeReport[], target: Target, env: Env = process.env): Progress {
  const progress = readProgress(env);
  const labs = { ...(progress.grades[target] ?? {}) };
  for (const report of reports) {
    if (report.lab === undefined) continue;
    // A run that could not grade says nothing about the learner's work: keep the last real grade.
    if (report.status === 'error' && labs[report.lab]) continue;
    labs[report.lab] = {
      status: report.status,
      score: report.score,
      gradedAt: new Date(Date.parse(report.startedAt) + report.durationMs).toISOString(),
      open: report.results.filter((r) => r.status !== 'pass').map((r) => r.id),
    };
  }
  const next: Progress = { ...progress, grades: { ...progress.grades, [target]: labs } };
  writeProgress(next, env);
  return next;
}

/**
 * The index of the hint to show next for a lab with `count` hints, and records it as shown.
 * After the last hint it stays on the last one.
 */
export function takeHint(labId: string, count: number, env: Env = process.env): { index: number; last: boolean } {
  const progress = readProgress(env);
  const shown = progress.hints[labId] ?? 0;
  const index = Math.min(shown, count - 1);
  writeProgress({ ...progress, hints: { ...progress.hints, [labId]: Math.min(shown + 1, count) } }, env);
  return { index, last: index === count - 1 };
}

/** Forgets which hints of a lab were shown (the next `milab hint` starts at the first). */
export function resetHints(labId: string, env: Env = process.env): void {
  const progress = readProgress(env);
  if (progress.hints[labId] === undefined) return;
  const hints = { ...progress.hints };
  delete hints[labId];
  writeProgress({ ...progress, hints }, env);
}
