// "Graded before the clean-up": lab 11 removes what labs 01–10 made, so afterwards their graders
// find nothing — as they should. When lab 11 starts (`milab start` with lab 11 next, or
// `milab solve 11`), labs 01–10 are graded once more and, when they all pass, their reports are
// saved in progress.json for this target and world (the emulated world, or on Azure the
// subscription and learner). Afterwards, in the same world, a lab 01–10 whose live grade fails is
// shown with its saved result instead, labelled "graded before the clean-up, at T" in the lab's
// title and every check's details — so in the terminal, the JSON report and JUnit alike — and
// said once on stderr; a live pass is shown as it is. Nothing saved, or saved in another world
// (before an `emulator reset`): the live result. A live run that could not grade stays as it is.
import type { MilabConfig, Target } from '@milab/core';
import type { Grader, GradeLabsResult } from '@milab/graders';
import { mergeReports, type GradeReport } from '@milab/grading';
import type { Lab } from '@milab/labs';
import { currentWorldId, formatStanding, gradeAndSave, type ALL_GRADERS, type GradeAndSaveOptions, type LabStanding } from './labs.js';
import { readProgress, recordCleanup, recordGrades, type CleanupRecord, type Progress } from './progress.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The clean-up lab: the labs before it are the ones whose work it removes. */
export const CLEANUP_LAB = '11';

/** Whether a lab id is one whose work lab 11 removes (01–10). */
export const beforeCleanup = (lab: string | undefined): lab is string => lab !== undefined && lab < CLEANUP_LAB;

/** The label a saved result carries. */
export function cleanupLabel(record: Pick<CleanupRecord, 'gradedAt'>): string {
  return `graded before the clean-up (lab ${CLEANUP_LAB}), at ${record.gradedAt}`;
}

/**
 * A lab whose saved grade is lab 11's record (not a live grade): its time and label; `undefined`
 * for a live grade, or a grade from before a reset (it does not count either way). What
 * `milab status --json` gives each such lab as `beforeCleanup`.
 */
export function cleanupGradeOf({ grade, stale }: Pick<LabStanding, 'grade' | 'stale'>): { gradedAt: string; label: string } | undefined {
  if (stale || !grade?.cleanupRecordAt) return undefined;
  return { gradedAt: grade.cleanupRecordAt, label: cleanupLabel({ gradedAt: grade.cleanupRecordAt }) };
}

/** {@link formatStanding}, with each lab whose grade is lab 11's record labelled as `milab grade` labels it. */
export function formatStandingWithCleanup(labs: readonly LabStanding[], next: Lab | undefined): string[] {
  // formatStanding gives one line per lab, in the order of `labs`.
  return formatStanding(labs, next).map((line, i) => {
    const saved = labs[i] ? cleanupGradeOf(labs[i]) : undefined;
    return saved ? `${line} — ${saved.label}` : line;
  });
}

/** Where a record is valid: this target's subscription and learner, and on the emulator its world. */
interface World {
  readonly target: Target;
  readonly subscriptionId: string;
  readonly learnerId: string;
  readonly worldId: string | undefined;
}

async function worldOf(config: MilabConfig): Promise<World> {
  return { target: config.target, subscriptionId: config.subscriptionId ?? '', learnerId: config.learnerId, worldId: await currentWorldId(config) };
}

/** The record saved for this world, or `undefined` (none, or one from another world). */
export function recordFor(progress: Progress, world: World): CleanupRecord | undefined {
  const record = progress.cleanup?.[world.target];
  if (!record) return undefined;
  if (record.subscriptionId.toLowerCase() !== world.subscriptionId.toLowerCase() || record.learnerId !== world.learnerId) return undefined;
  // On the emulator a record belongs to one world: a reset (a new world id) makes it another's.
  if (world.target === 'emulator' && record.worldId !== world.worldId) return undefined;
  return record;
}

/** The record saved for the world `config` names now, if any (what `milab grade` checks before it grades). */
export async function savedCleanupRecord(config: MilabConfig, env: Env = process.env): Promise<CleanupRecord | undefined> {
  return recordFor(readProgress(env), await worldOf(config));
}

/**
 * Saves `reports` as the record when they hold every lab before the clean-up and all of them
 * passed; returns the record saved, or the labs that did not pass (nothing is saved then).
 */
function saveIfAllPassed(reports: readonly GradeReport[], graders: readonly Grader[], world: World, env: Env): { saved: CleanupRecord } | { notPassed: string[] } {
  const wanted = graders.filter((g) => beforeCleanup(g.lab.id)).map((g) => g.lab.id);
  const mine = reports.filter((r) => beforeCleanup(r.lab));
  const notPassed = wanted.filter((id) => mine.find((r) => r.lab === id)?.status !== 'passed');
  if (notPassed.length > 0 || wanted.length === 0) return { notPassed };
  const record: CleanupRecord = {
    gradedAt: new Date().toISOString(),
    subscriptionId: world.subscriptionId,
    learnerId: world.learnerId,
    ...(world.worldId ? { worldId: world.worldId } : {}),
    reports: mine,
  };
  recordCleanup(world.target, record, env);
  return { saved: record };
}

/** A saved report, labelled as graded before the clean-up. */
function labelled(saved: GradeReport, record: CleanupRecord): GradeReport {
  const label = cleanupLabel(record);
  return {
    ...saved,
    title: `${saved.title ?? `lab ${saved.lab}`} — ${label}`,
    // Each check says it too (its line in the terminal, its JSON and JUnit entries): it was true then, not now.
    results: saved.results.map((r) => ({ ...r, title: `${r.title} (before the clean-up)`, ...(r.status === 'pass' ? { details: r.details ? `${label}: ${r.details}` : label } : {}) })),
  };
}

/** Options of {@link withCleanupRecord}. */
export interface CleanupRecordOptions {
  env?: Env;
  /**
   * `milab start`: when every lab before the clean-up passed live and lab 11 did not, lab 11 is
   * next: save the record first.
   */
  recordWhenNext?: boolean;
  /** Where the note on saved results goes (default stderr, which `--json` leaves free). */
  note?: (line: string) => void;
}

/**
 * A grading result (from gradeAndSave) with each lab 01–10 that fails live replaced by its result
 * graded before the clean-up, when one is saved for this world; the replaced grades are saved in
 * progress.json too (so `milab status` agrees). The result as it is when nothing is replaced.
 */
export async function withCleanupRecord<R extends GradeLabsResult & { progress: Progress }>(result: R, config: MilabConfig, options: CleanupRecordOptions = {}): Promise<R> {
  const env = options.env ?? process.env;
  const world = await worldOf(config);
  if (options.recordWhenNext) {
    const cleanup = result.reports.find((r) => r.lab === CLEANUP_LAB);
    const { GRADERS } = await import('@milab/graders');
    if (cleanup && cleanup.status !== 'passed') saveIfAllPassed(result.reports, GRADERS, world, env);
  }
  const record = recordFor(readProgress(env), world);
  if (!record) return result;
  const replaced: string[] = [];
  const reports = result.reports.map((live) => {
    if (!beforeCleanup(live.lab) || live.status !== 'failed') return live;
    const saved = record.reports.find((r) => r.lab === live.lab);
    if (saved?.status !== 'passed') return live;
    replaced.push(live.lab);
    return labelled(saved, record);
  });
  if (replaced.length === 0) return result;
  const report = reports.length === 1 && reports[0] ? reports[0] : mergeReports(reports, { ...(result.report.title ? { title: result.report.title } : {}), target: config.target });
  // Saved as the record's, so `milab status` labels them as this does.
  const progress = recordGrades(reports.filter((r) => replaced.includes(r.lab ?? '')), config.target, env, { worldId: world.worldId, cleanupRecordAt: record.gradedAt });
  (options.note ?? ((line: string) => process.stderr.write(`${line}\n`)))(
    `milab: lab${replaced.length === 1 ? '' : 's'} ${replaced.join(', ')} find${replaced.length === 1 ? 's' : ''} nothing now: lab ${CLEANUP_LAB} cleaned up ${replaced.length === 1 ? 'its' : 'their'} work. ` +
      `Shown instead: ${replaced.length === 1 ? 'its result' : 'their results'} ${cleanupLabel(record)} (saved in progress.json when lab ${CLEANUP_LAB} started). \`./milab grade ${CLEANUP_LAB}\` checks the clean-up.`,
  );
  return { ...result, reports, report, progress };
}

/** {@link gradeAndSave}, then {@link withCleanupRecord}: what `milab grade` and `milab start` call. */
export async function gradeAndSaveWithRecord(
  graders: readonly Grader[] | typeof ALL_GRADERS,
  options: GradeAndSaveOptions,
  record: Omit<CleanupRecordOptions, 'env'> = {},
): Promise<GradeLabsResult & { progress: Progress }> {
  return withCleanupRecord(await gradeAndSave(graders, options), options.config, { ...record, ...(options.env ? { env: options.env } : {}) });
}

/**
 * `milab solve 11`: before the clean-up runs, grades labs 01–10 once more and saves the record
 * when they all pass (saying so); otherwise keeps any record saved before and says which labs do
 * not pass. Does nothing for another lab.
 */
export async function recordBeforeCleanup(lab: Lab, config: MilabConfig, env: Env = process.env): Promise<void> {
  if (lab.id !== CLEANUP_LAB) return;
  const { GRADERS } = await import('@milab/graders');
  const graders = GRADERS.filter((g) => beforeCleanup(g.lab.id));
  console.log(`  grading labs ${graders.map((g) => g.lab.id).join(', ')} before the clean-up (after it, their graders find nothing):`);
  const world = await worldOf(config);
  const { reports } = await gradeAndSave(graders, { config, env });
  const outcome = saveIfAllPassed(reports, graders, world, env);
  if ('saved' in outcome) {
    console.log(`  all passed: saved in progress.json; after the clean-up \`./milab grade\` shows these results for them, labelled "${cleanupLabel(outcome.saved)}".`);
    return;
  }
  const earlier = recordFor(readProgress(env), world);
  console.log(
    `  lab${outcome.notPassed.length === 1 ? '' : 's'} ${outcome.notPassed.join(', ')} do${outcome.notPassed.length === 1 ? 'es' : ''} not pass now: nothing saved. ` +
      (earlier
        ? `The record saved at ${earlier.gradedAt} is kept (\`./milab grade\` shows it for a lab that finds nothing).`
        : `After the clean-up \`./milab grade\` shows their live results (do them first: \`./milab grade ${outcome.notPassed[0]}\`).`),
  );
}
