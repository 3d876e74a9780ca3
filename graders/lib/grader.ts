// A grader is one lab's checks plus the lab's metadata; `gradeLabs` runs one or more of them with
// @milab/grading's runner (one shared context, so each Azure read happens once; checks and labs
// wait only on what they depend on), and `labDone` makes the first check of a later lab: a
// prerequisite (it earns no points) that passes when the earlier lab's key check passes and
// otherwise skips, naming that check, so the rest of the later lab is skipped too.
import { toMilabError } from '@milab/core';
import { findLab, withExamObjectives, type Lab } from '@milab/labs';
import { AsyncLocalStorage } from 'node:async_hooks';
import { CannotGradeError, mergeReports, pass, runChecks, skip, type CannotGradeInfo, type Check, type CheckOutcome, type CheckResult, type GradeReport, type RunEvent } from '@milab/grading';
import { createGraderContext, type GraderContext, type GraderContextOptions } from './context.js';
import { VM_RUN_MAX_MS } from './vm.js';

/** One lab's grader. */
export interface Grader {
  readonly lab: Lab;
  readonly checks: readonly Check<GraderContext>[];
  /** The check that says the lab's main job is done; the next lab's first check waits on its result. */
  readonly keyCheck: Check<GraderContext>;
}

/** Builds a grader for the lab with this id; `keyCheckId` names its key check. */
export function defineGrader(labId: string, checks: readonly Check<GraderContext>[], keyCheckId: string): Grader {
  // Each check carries the exam objectives it exercises (labs/exam/checks.json) into its results,
  // and so into the JSON and JUnit reports.
  const mapped = withExamObjectives(checks);
  const keyCheck = mapped.find((check) => check.id === keyCheckId);
  if (!keyCheck) throw new Error(`grader ${labId}: no check ${keyCheckId}`);
  return Object.freeze({ lab: findLab(labId), checks: Object.freeze(mapped), keyCheck });
}

/** The fix text every "do the earlier lab first" skip ends with. */
export function finishFirst(labId: string): string {
  return `Finish lab ${labId} first (\`./milab grade ${labId}\` says what is missing).`;
}

/**
 * The results of the checks graded in one `gradeLabs` call, by grader, as promises that settle
 * when each check finishes: a later lab's "lab NN is done" check waits on these instead of
 * running the earlier lab's key check again. Held in async context (each check's `run` is called
 * inside it), so that two gradings at once never see each other's results.
 */
type Results = Map<Grader, Map<string, Promise<CheckResult>>>;
const gradingRun = new AsyncLocalStorage<Results>();

// The key-check chains run for a lab graded without the lab it builds on, once per context.
const chains = new WeakMap<GraderContext, Map<Grader, Promise<ReadonlyMap<string, CheckResult>>>>();

/** The checks `id` depends on, itself included, in the grader's declared order. */
function chainOf(grader: Grader, id: string): Check<GraderContext>[] {
  const needed = new Set<string>();
  const visit = (at: string): void => {
    if (needed.has(at)) return;
    needed.add(at);
    for (const dependency of grader.checks.find((check) => check.id === at)?.dependsOn ?? []) visit(dependency);
  };
  visit(id);
  return grader.checks.filter((check) => needed.has(check.id));
}

/**
 * The result of `previous`'s key check: from this grading run when it grades that lab too, else
 * by running only the key check and what it depends on (once per context: two later labs asking
 * share the run).
 */
async function keyResult(ctx: GraderContext, previous: Grader): Promise<{ result: CheckResult; of: (id: string) => Promise<CheckResult | undefined> }> {
  const key = previous.keyCheck.id;
  const inRun = gradingRun.getStore()?.get(previous);
  const fromRun = inRun?.get(key);
  if (inRun && fromRun) return { result: await fromRun, of: async (id) => inRun.get(id) };
  let byGrader = chains.get(ctx);
  if (!byGrader) chains.set(ctx, (byGrader = new Map()));
  let chain = byGrader.get(previous);
  if (!chain) {
    chain = runChecks(chainOf(previous, key), { ctx, lab: previous.lab.id, target: ctx.config.target, classifyError: classifyGraderError }).then(
      (report) => new Map(report.results.map((result) => [result.id, result])),
    );
    byGrader.set(previous, chain);
  }
  const results = await chain;
  const result = results.get(key);
  if (!result) throw new Error(`grader ${previous.lab.id}: its key check ${key} gave no result`);
  return { result, of: async (id) => results.get(id) };
}

/**
 * Why a check did not pass, in the words of the check where it started: a check skipped because
 * a dependency did not pass says what that dependency found (recursively), not "needs … first".
 */
async function whyNot(grader: Grader, result: CheckResult, of: (id: string) => Promise<CheckResult | undefined>): Promise<string> {
  if (result.status === 'fail') return result.found;
  if (result.status === 'error') return result.message;
  if (result.status === 'pass') return 'it passed';
  for (const dependency of grader.checks.find((check) => check.id === result.id)?.dependsOn ?? []) {
    const earlier = await of(dependency);
    if (earlier && earlier.status !== 'pass') return whyNot(grader, earlier, of);
  }
  return result.reason;
}

/**
 * The first check of a lab that builds on `previous`: passes when the earlier lab's key check
 * passes, and otherwise skips with its id and what it found, so the rest of the later lab is
 * skipped too. The key check is not run again: its result comes from the same grading run when
 * that grades the earlier lab (`grade all`), or from running only its chain of `dependsOn`, once
 * per context, when the later lab is graded alone.
 */
export function labDone(id: string, previous: Grader): Check<GraderContext> {
  const key = previous.keyCheck;
  return {
    id,
    title: `Lab ${previous.lab.id} is done (${key.id})`,
    // Work done in an earlier lab earns its points there, not again here.
    role: 'prerequisite',
    async run(ctx): Promise<CheckOutcome> {
      const { result, of } = await keyResult(ctx, previous);
      if (result.status === 'pass') return pass(result.details === undefined ? {} : { details: result.details });
      // The environment failed in the earlier lab's chain: grading stops here as it would there.
      if (result.status === 'error') throw new CannotGradeError(result.kind, result.message, result.hint);
      // A reason from further back (an earlier lab not done) ends with its own full stop.
      const why = (await whyNot(previous, result, of)).replace(/\.\s*$/, '');
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
    hint: 'Graders read with a Reader-only principal: give it Reader on the subscription (on the emulator, `./milab emulator reset` restores the seeded grader). If Reader was granted just now, RBAC can take up to 10 minutes to take effect: grade again then.',
  };
}

/** Options of {@link gradeLabs}. */
export interface GradeLabsOptions extends GraderContextOptions {
  /** A context to reuse (default: a new one, reading as the grader). */
  ctx?: GraderContext;
  onEvent?: (event: RunEvent) => void;
  signal?: AbortSignal;
  /** Time limit per check (default {@link GRADE_CHECK_TIMEOUT_MS}). */
  perCheckTimeoutMs?: number;
  totalTimeoutMs?: number;
}

/**
 * The default time limit per check of {@link gradeLabs}: long enough for a check that waits for a
 * program's run on the VM (its start-up, its run and the grace for a program that ignores
 * SIGTERM: VM_RUN_MAX_MS) with a margin, so that the run's own limits, which say what they
 * measured, end a slow or hung program first — not the runner's 30 s, which on a busy machine
 * cut a correct run short and said only "timed out". (Labs 05–10 wait for a run in their
 * prerequisite's chain too.)
 */
export const GRADE_CHECK_TIMEOUT_MS = VM_RUN_MAX_MS + 5_000;

/** The outcome of {@link gradeLabs}: one report per lab, and the one to show (merged when several). */
export interface GradeLabsResult {
  readonly reports: readonly GradeReport[];
  readonly report: GradeReport;
}

/**
 * Grades the labs with one shared context. Each lab's checks run as soon as their dependencies
 * have passed; a lab starts once the key check of the lab before it has finished (its "lab NN is
 * done" check then reads that result), while the rest of the earlier lab is still running. Events
 * are passed on lab by lab, in the declared order, as if the labs ran one after another.
 */
export async function gradeLabs(graders: readonly Grader[], options: GradeLabsOptions = {}): Promise<GradeLabsResult> {
  const ctx = options.ctx ?? (await createGraderContext(options));
  const results: Results = new Map();
  const settlers = new Map<Grader, Map<string, (result: CheckResult) => void>>();
  for (const grader of graders) {
    const byId = new Map<string, Promise<CheckResult>>();
    const settle = new Map<string, (result: CheckResult) => void>();
    for (const check of grader.checks) byId.set(check.id, new Promise((resolve) => settle.set(check.id, resolve)));
    results.set(grader, byId);
    settlers.set(grader, settle);
  }
  // Events of a lab wait until every earlier lab's run (and its events) are done.
  let shownUpTo = 0;
  const held = graders.map(() => [] as RunEvent[]);
  const ended = graders.map(() => false);
  const show = (): void => {
    while (shownUpTo < graders.length) {
      for (const event of held[shownUpTo]!.splice(0)) {
        try {
          options.onEvent?.(event);
        } catch {
          // Ignored, as the runner does: a broken progress display must not change the grade.
        }
      }
      if (!ended[shownUpTo]) return;
      shownUpTo += 1;
    }
  };

  const runs: Promise<GradeReport>[] = [];
  for (const [index, grader] of graders.entries()) {
    const previous = index > 0 ? graders[index - 1] : undefined;
    const settle = settlers.get(grader)!;
    const run = async (): Promise<GradeReport> => {
      if (previous) await results.get(previous)!.get(previous.keyCheck.id);
      const report = await gradingRun.run(results, () =>
        runChecks(grader.checks, {
          ctx,
          lab: grader.lab.id,
          title: grader.lab.title,
          target: ctx.config.target,
          classifyError: classifyGraderError,
          onEvent: (event) => {
            if (event.type === 'finish') settle.get(event.result.id)?.(event.result);
            held[index]!.push(event);
            show();
          },
          ...(options.signal ? { signal: options.signal } : {}),
          perCheckTimeoutMs: options.perCheckTimeoutMs ?? GRADE_CHECK_TIMEOUT_MS,
          ...(options.totalTimeoutMs ? { totalTimeoutMs: options.totalTimeoutMs } : {}),
        }),
      );
      ended[index] = true;
      show();
      return report;
    };
    runs.push(run());
  }
  const all = await Promise.all(runs);
  // A cancelled grading reports the labs up to the one it stopped in, as before.
  const stoppedAt = all.findIndex((report) => report.status === 'error' && options.signal?.aborted === true);
  const reports = stoppedAt === -1 ? all : all.slice(0, stoppedAt + 1);
  const report = reports.length === 1 && reports[0] ? reports[0] : mergeReports(reports, { title: 'labs ' + graders.map((g) => g.lab.id).join(', '), target: ctx.config.target });
  return { reports, report };
}
