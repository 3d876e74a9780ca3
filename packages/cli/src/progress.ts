// The learner's saved progress: `<milab home>/progress.json`, the last grade of every lab per
// target (status, score, time, and on the emulator the world it was earned on), the identity of
// lab 01 once it is done, how many hints of each lab were shown, and the last knowledge-check
// (`milab quiz`) result of each lab. Validated with zod when read:
// a file of another shape is reported by name and never overwritten, so earlier results are kept.
// Written atomically (write, then rename), so an interrupted write never loses what was saved before.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { EXIT_UNAVAILABLE, milabHome, MilabError, type Target } from '@milab/core';
import type { GradeReport } from '@milab/grading';

const LabGradeSchema = z.object({
  status: z.enum(['passed', 'failed', 'error']),
  score: z.object({ earned: z.number(), possible: z.number(), percent: z.number() }),
  /** When it was graded (ISO 8601). */
  gradedAt: z.string(),
  /** Ids of the checks that did not pass, for `milab status`. */
  open: z.array(z.string()),
  /**
   * Emulator target: the id of the emulated world it was earned on (connection.json `worldId`,
   * new at every seed and reset). A grade from another world is from before a reset.
   */
  worldId: z.string().optional(),
  /**
   * Not a live grade: the result lab 11's record saved (the time it saved them, ISO 8601), shown
   * because the live grade found nothing after the clean-up (src/cleanup-record.ts). `milab status`
   * labels it as `milab grade` did; the next live grade replaces it.
   */
  cleanupRecordAt: z.string().optional(),
});

const IdentitySchema = z.object({
  name: z.string(),
  id: z.string(),
  clientId: z.string().optional(),
  principalId: z.string().optional(),
  worldId: z.string().optional(),
});

const QuizAttemptSchema = z.object({
  /** The seed of the order it was taken in (`milab quiz NN --seed S` shows the same again). */
  seed: z.string(),
  correct: z.number().int().nonnegative(),
  total: z.number().int().positive(),
  percent: z.number(),
  /** When it was taken (ISO 8601). */
  takenAt: z.string(),
  /** Question id → whether its answer was right. */
  answers: z.record(z.string(), z.boolean()),
});

const perTarget = <T extends z.ZodType>(value: T) => z.partialRecord(z.enum(['emulator', 'azure'] satisfies Target[]), value);

/**
 * A lab's whole report as the grading run made it (the reporters' input), kept as it is: only
 * what the record is read by is checked.
 */
const SavedReportSchema = z.looseObject({
  lab: z.string(),
  status: z.enum(['passed', 'failed', 'error']),
  startedAt: z.string(),
  results: z.array(z.looseObject({ id: z.string(), status: z.enum(['pass', 'fail', 'skip', 'error']) })),
});

/**
 * Labs 01–10 graded once more when lab 11 (the clean-up) started, in this world: after the clean-up
 * their graders find nothing, and `milab grade` shows these results for them, labelled
 * (packages/cli/src/cleanup-record.ts).
 */
const CleanupRecordSchema = z.object({
  /** When they were graded (ISO 8601). */
  gradedAt: z.string(),
  subscriptionId: z.string(),
  learnerId: z.string(),
  /** Emulator target: the world they were graded on (a reset makes another). */
  worldId: z.string().optional(),
  reports: z.array(SavedReportSchema),
});

const ProgressSchema = z.object({
  version: z.literal(1),
  grades: perTarget(z.record(z.string(), LabGradeSchema)).default({}),
  /** The identity lab 01 created, per target, as last graded: what lab 04 asks IMDS for. */
  identities: perTarget(IdentitySchema).default({}),
  hints: z.record(z.string(), z.number().int().nonnegative()).default({}),
  /** The last quiz result per lab id (the same on every target: a quiz reads no Azure state). */
  quiz: z.record(z.string(), QuizAttemptSchema).optional(),
  /** Per target: labs 01–10 graded before the clean-up (lab 11). */
  cleanup: perTarget(CleanupRecordSchema).optional(),
});

/** Labs 01–10's reports graded before the clean-up, with where and when. */
export type CleanupRecord = Readonly<Omit<z.infer<typeof CleanupRecordSchema>, 'reports'>> & { readonly reports: readonly GradeReport[] };

/** The last knowledge-check result of one lab. */
export type QuizAttempt = Readonly<z.infer<typeof QuizAttemptSchema>>;

/** The last grade of one lab. */
export type LabGrade = Readonly<z.infer<typeof LabGradeSchema>>;

/** The learner's identity (lab 01) as last graded. */
export type SavedIdentity = Readonly<z.infer<typeof IdentitySchema>>;

/** Everything progress.json holds. */
export interface Progress {
  readonly version: 1;
  /** Last grade per target (`emulator`, `azure`), per lab id. */
  readonly grades: Readonly<Partial<Record<Target, Readonly<Record<string, LabGrade>>>>>;
  /** The identity of lab 01 per target, once lab 01 passed. */
  readonly identities?: Readonly<Partial<Record<Target, SavedIdentity>>>;
  /** How many hints of each lab have been shown. */
  readonly hints: Readonly<Record<string, number>>;
  /** The last `milab quiz` result per lab id. */
  readonly quiz?: Readonly<Record<string, QuizAttempt>>;
  /** Per target: labs 01–10 graded before the clean-up (lab 11), once it started. */
  readonly cleanup?: Readonly<Partial<Record<Target, CleanupRecord>>>;
}

type Env = Readonly<Record<string, string | undefined>>;

const EMPTY: Progress = Object.freeze({ version: 1, grades: {}, identities: {}, hints: {} });

/** `<milab home>/progress.json`. */
export function progressFile(env: Env = process.env): string {
  return join(milabHome(env), 'progress.json');
}

/** The saved progress; empty when nothing was saved yet. Throws a MilabError naming the file when it cannot be used. */
export function readProgress(env: Env = process.env): Progress {
  const file = progressFile(env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY;
    throw progressError(file, (error as Error).message);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw progressError(file, `it is not valid JSON (${(error as Error).message})`);
  }
  const result = ProgressSchema.safeParse(parsed);
  if (!result.success) {
    const problems = result.error.issues.slice(0, 3).map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'the file'}: ${issue.message}`);
    throw progressError(file, `it is not what milab writes (${problems.join('; ')})`);
  }
  return result.data as Progress;
}

/** A progress file that cannot be used: named, with the two ways out; exit 2 (nothing was graded or saved). */
function progressError(file: string, reason: string): MilabError {
  return new MilabError(`Cannot use your progress file ${file}: ${reason}. It was left as it is.`, {
    code: 'MILAB_PROGRESS_UNREADABLE',
    hint: `Fix it by hand, or move it aside and grade again (your work in Azure is not affected; hint positions start over): mv ${file} ${file}.bak && ./milab status --refresh`,
    exitCode: EXIT_UNAVAILABLE,
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

/** What {@link recordGrades} saves besides the reports. */
export interface RecordContext {
  /** Emulator target: the world the grades were earned on. */
  worldId?: string | undefined;
  /**
   * Lab 01's identity as the grader read it (`null`: it does not exist); `undefined` leaves the
   * saved one as it is.
   */
  identity?: Omit<SavedIdentity, 'worldId'> | null;
  /** The reports are lab 11's record (saved at this time), not live grades: each grade says so. */
  cleanupRecordAt?: string;
}

/** Records the grade of each lab report (one report per lab) for `target`, and returns the new progress. */
export function recordGrades(reports: readonly GradeReport[], target: Target, env: Env = process.env, context: RecordContext = {}): Progress {
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
      ...(context.worldId ? { worldId: context.worldId } : {}),
      ...(context.cleanupRecordAt ? { cleanupRecordAt: context.cleanupRecordAt } : {}),
    };
  }
  const identities = { ...(progress.identities ?? {}) };
  if (context.identity === null) delete identities[target];
  else if (context.identity) identities[target] = { ...context.identity, ...(context.worldId ? { worldId: context.worldId } : {}) };
  const next: Progress = { ...progress, grades: { ...progress.grades, [target]: labs }, identities };
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

/** Records a lab's quiz result (replacing the previous one), and returns the new progress. */
export function recordQuiz(labId: string, attempt: QuizAttempt, env: Env = process.env): Progress {
  const progress = readProgress(env);
  const next: Progress = { ...progress, quiz: { ...(progress.quiz ?? {}), [labId]: attempt } };
  writeProgress(next, env);
  return next;
}

/** Saves (replacing any earlier one) the record of labs 01–10 graded before the clean-up on `target`, and returns the new progress. */
export function recordCleanup(target: Target, record: CleanupRecord, env: Env = process.env): Progress {
  const progress = readProgress(env);
  const next: Progress = { ...progress, cleanup: { ...(progress.cleanup ?? {}), [target]: record } };
  writeProgress(next, env);
  return next;
}
