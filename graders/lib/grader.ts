// A grader is one lab's checks plus the lab's metadata; `gradeLabs` runs one or more of them with
// @milab/grading's runner (one shared context, so each Azure read happens once), and `labDone`
// makes the first check of a later lab: a prerequisite (it earns no points) that passes when the
// earlier lab's key check passes and otherwise skips, naming that check, so the rest of the later
// lab is skipped too.
import { toMilabError } from '@milab/core';
import { findLab, type Lab } from '@milab/labs';
import { mergeReports, pass, runChecks, skip, type CannotGradeInfo, type Check, type CheckOutcome, type GradeReport, type RunEvent } from '@milab/grading';
import { createGraderContext, type GraderContext, type GraderContextOptions } from './context.js';

/** One lab's grader. */
export interface Grader {
  readonly lab: Lab;
  readonly checks: readonly Check<GraderContext>[];
  /** The check that says the lab's main job is done; the next lab's first check runs it. */
  readonly keyCheck: Check<GraderContext>;
}

/** Builds a grader for the lab with this id; `keyCheckId` names its key check. */
export function defineGrader(labId: string, checks: readonly Check<GraderContext>[], keyCheckId: string): Grader {
  const keyCheck = checks.find((check) => check.id === keyCheckId);
  if (!keyCheck) throw new Error(`grader ${labId}: no check ${keyCheckId}`);
  return Object.freeze({ lab: findLab(labId), checks: Object.freeze([...checks]), keyCheck });
}

/** The fix text every "do the earlier lab first" skip ends with. */
export function finishFirst(labId: string): string {
  return `Finish lab ${labId} first (\`pnpm milab grade ${labId}\` says what is missing).`;
}

/**
 * The first check of a lab that builds on `previous`: runs the earlier lab's key check and
 * passes when it passes; otherwise skips with its id and what it found.
 */
export function labDone(id: string, previous: Grader): Check<GraderContext> {
  const key = previous.keyCheck;
  return {
    id,
    title: `Lab ${previous.lab.id} is done (${key.id})`,
    // Work done in an earlier lab earns its points there, not again here.
    role: 'prerequisite',
    async run(ctx, tools): Promise<CheckOutcome> {
      const outcome = await key.run(ctx, tools);
      if (outcome.status === 'pass') return pass(outcome.details === undefined ? {} : { details: outcome.details });
      const why = outcome.status === 'fail' ? outcome.found : outcome.reason;
      return skip({ reason: `lab ${previous.lab.id} is not done: ${key.id} (${key.title}) does not pass: ${why}. ${finishFirst(previous.lab.id)}` });
    },
  };
}

/**
 * Environment failures the grader itself causes: a read refused with AuthorizationFailed means the
 * grading principal lacks Reader (or it was granted too recently to be in effect), which says
 * nothing about the learner's work, so grading stops with exit code 2 and says so.
 */
export function classifyGraderError(error: unknown): CannotGradeInfo | undefined {
  const known = toMilabError(error);
  if (known?.code !== 'AuthorizationFailed') return undefined;
  return {
    kind: 'other',
    message: `The grader is not allowed to read what it checks: ${known.message}`,
    hint: 'Graders read with a Reader-only principal: give it Reader on the subscription (on the emulator, `pnpm milab emulator reset` restores the seeded grader). If Reader was granted just now, RBAC can take up to 10 minutes to take effect: grade again then.',
  };
}

/** Options of {@link gradeLabs}. */
export interface GradeLabsOptions extends GraderContextOptions {
  /** A context to reuse (default: a new one, reading as the grader). */
  ctx?: GraderContext;
  onEvent?: (event: RunEvent) => void;
  signal?: AbortSignal;
  perCheckTimeoutMs?: number;
  totalTimeoutMs?: number;
}

/** The outcome of {@link gradeLabs}: one report per lab, and the one to show (merged when several). */
export interface GradeLabsResult {
  readonly reports: readonly GradeReport[];
  readonly report: GradeReport;
}

/** Grades the labs in order with one shared context. */
export async function gradeLabs(graders: readonly Grader[], options: GradeLabsOptions = {}): Promise<GradeLabsResult> {
  const ctx = options.ctx ?? (await createGraderContext(options));
  const reports: GradeReport[] = [];
  for (const grader of graders) {
    reports.push(
      await runChecks(grader.checks, {
        ctx,
        lab: grader.lab.id,
        title: grader.lab.title,
        target: ctx.config.target,
        classifyError: classifyGraderError,
        ...(options.onEvent ? { onEvent: options.onEvent } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.perCheckTimeoutMs ? { perCheckTimeoutMs: options.perCheckTimeoutMs } : {}),
        ...(options.totalTimeoutMs ? { totalTimeoutMs: options.totalTimeoutMs } : {}),
      }),
    );
    if (options.signal?.aborted) break;
  }
  const report = reports.length === 1 && reports[0] ? reports[0] : mergeReports(reports, { title: 'labs ' + graders.map((g) => g.lab.id).join(', '), target: ctx.config.target });
  return { reports, report };
}
