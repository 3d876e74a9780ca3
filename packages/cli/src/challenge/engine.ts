// The challenge life cycle behind `milab challenge start | status | hint | submit | abandon`,
// with the clock and the environment injected (`now`, `env`) so tests control time. Start runs
// the set-up as the learner and saves the start time; status shows the time left; a hint costs
// its points; submit — or the first status or submit after the time limit — grades with the same
// runner and context as `milab grade`, saves the result, and removes what the challenge made.
// A VM challenge on Azure first runs its app on the VM through Run Command, as the learner
// (vm-probe.ts): that is how its token checks see what IMDS gives the app there.
import { createArmClients, createArmContext, loadConfig, MilabError, type MilabConfig } from '@milab/core';
import { classifyGraderError, createGraderContext, type GraderContext } from '@milab/graders';
import { runChecks, type CheckResult, type GradeReport } from '@milab/grading';
import { labNames, type LabNames } from '@milab/labs';
import { seedInventory } from './checks.js';
import { CHALLENGES, findChallenge } from './index.js';
import { PASS_MARK, type Challenge, type ChallengeHint } from './model.js';
import { challengeNames } from './names.js';
import { readChallengeState, writeChallengeState, type ActiveChallenge, type ChallengeResult } from './state.js';
import { challengeTags, cleanUp, type CleanupResult } from './world.js';
import { probeOnVm, runCommandRunner, type VmScriptRunner } from './vm-probe.js';

type Env = Readonly<Record<string, string | undefined>>;

/** What every step is handed. */
export interface EngineOptions {
  env?: Env;
  /** The clock (default: the system's). */
  now?: () => Date;
  /** Progress lines. */
  log?: (line: string) => void;
  /** A grader context to read with (default: a new one, reading as the grader does). */
  ctx?: GraderContext;
  /**
   * Runs script lines on the challenge VM (default on Azure: Run Command as the learner; on the
   * emulator none, the app runs here against the emulated VM's IMDS). Tests pass one.
   */
  runOnVm?: VmScriptRunner;
}

const nowOf = (options: EngineOptions): Date => (options.now ?? (() => new Date()))();
const envOf = (options: EngineOptions): Env => options.env ?? process.env;

/** The time limit's end of a running challenge. */
export function deadlineOf(active: Pick<ActiveChallenge, 'startedAt' | 'minutes'>): Date {
  return new Date(Date.parse(active.startedAt) + active.minutes * 60_000);
}

/** The points the hints shown so far cost. */
export function penaltyOf(challenge: Challenge, hintsUsed: number): number {
  return challenge.hints.slice(0, hintsUsed).reduce((sum, hint) => sum + hint.cost, 0);
}

function noneRunning(): MilabError {
  return new MilabError('No challenge is running.', {
    code: 'MILAB_NO_CHALLENGE',
    hint: '`./milab challenge list` shows the challenges; `./milab challenge start NAME` starts one.',
    exitCode: 1,
  });
}

/** The running challenge, checked against this configuration. */
function requireActive(env: Env): { active: ActiveChallenge; challenge: Challenge; config: MilabConfig; names: LabNames } {
  const { active } = readChallengeState(env);
  if (!active) throw noneRunning();
  const config = loadConfig({ env });
  const names = labNames(config, env);
  if (active.target !== config.target || active.learnerId !== names.learnerId || active.resourceGroup !== names.resourceGroup) {
    throw new MilabError(
      `The running challenge ${active.name} was started on target ${active.target} as ${active.learnerId} in ${active.resourceGroup}, but milab is now set up for ${config.target} as ${names.learnerId} in ${names.resourceGroup}.`,
      { code: 'MILAB_CHALLENGE_ELSEWHERE', hint: `Switch back (\`./milab config set target ${active.target}\`) to go on or abandon it there.`, exitCode: 1 },
    );
  }
  return { active, challenge: findChallenge(active.name), config, names };
}

/** What `start NAME --what-if` says it would do: nothing is written. */
export function planChallenge(name: string, options: EngineOptions = {}): { challenge: Challenge; names: LabNames; lines: readonly string[]; unsupported: string | undefined } {
  const env = envOf(options);
  const challenge = findChallenge(name);
  const names = labNames(loadConfig({ env }), env);
  return { challenge, names, lines: challenge.plan(names, challengeNames(names)), unsupported: challenge.unsupported?.(names) };
}

/** What `start` prepared. */
export interface Started {
  readonly challenge: Challenge;
  readonly active: ActiveChallenge;
  readonly scenario: string;
  readonly deadline: Date;
}

/** Starts challenge `name`: its set-up, then the timer. */
export async function startChallenge(name: string, options: EngineOptions = {}): Promise<Started> {
  const env = envOf(options);
  const challenge = findChallenge(name);
  const state = readChallengeState(env);
  if (state.active) {
    const left = Math.max(0, Math.ceil((deadlineOf(state.active).getTime() - nowOf(options).getTime()) / 60_000));
    throw new MilabError(`The challenge ${state.active.name} is running (${left} min left): one at a time.`, {
      code: 'MILAB_CHALLENGE_RUNNING',
      hint: '`./milab challenge submit` grades it and ends it; `./milab challenge abandon` ends it without a grade. Then start the next.',
      exitCode: 1,
    });
  }
  const config = loadConfig({ env });
  const names = labNames(config, env);
  const why = challenge.unsupported?.(names);
  if (why) throw new MilabError(`The challenge ${challenge.name} cannot run in ${names.mode} mode: ${why}.`, { code: 'MILAB_CHALLENGE_UNSUPPORTED', hint: '`./milab challenge list` says which challenges run here.', exitCode: 1 });
  const ch = challengeNames(names);
  const clients = await createArmClients(createArmContext(config, { as: 'learner', env }));
  const assignments: string[] = [];
  const log = options.log ?? (() => undefined);
  let facts;
  try {
    facts = await challenge.setup({ config, env, names, ch, clients, tags: challengeTags(names.learnerId, challenge.name), recordAssignment: (id) => assignments.push(id), log });
  } catch (error) {
    // A half-made world would be judged and cleaned up by nobody: remove it, then say why.
    await cleanUp(clients, names, names.learnerId, challenge.name, assignments).catch(() => undefined);
    throw error;
  }
  const active: ActiveChallenge = {
    name: challenge.name,
    target: config.target,
    learnerId: names.learnerId,
    resourceGroup: names.resourceGroup,
    startedAt: nowOf(options).toISOString(),
    minutes: challenge.minutes,
    hintsUsed: 0,
    facts: { ...facts },
    assignments,
  };
  writeChallengeState({ ...readChallengeState(env), active }, env);
  return { challenge, active, scenario: challenge.scenario(names, ch), deadline: deadlineOf(active) };
}

/** Where a running challenge stands. */
export interface Standing {
  readonly challenge: Challenge;
  readonly active: ActiveChallenge;
  readonly names: LabNames;
  readonly deadline: Date;
  /** Milliseconds left (0 once the time is up). */
  readonly leftMs: number;
  readonly timeUp: boolean;
  readonly penalty: number;
}

/** The running challenge's standing (throws when none runs). */
export function standing(options: EngineOptions = {}): Standing {
  const { active, challenge, names } = requireActive(envOf(options));
  const deadline = deadlineOf(active);
  const leftMs = Math.max(0, deadline.getTime() - nowOf(options).getTime());
  return { challenge, active, names, deadline, leftMs, timeUp: leftMs === 0, penalty: penaltyOf(challenge, active.hintsUsed) };
}

/** The next hint, recorded as used (its cost counts from now). */
export function takeChallengeHint(options: EngineOptions = {}): { hint: ChallengeHint; number: number; of: number; penalty: number; standing: Standing } | { none: true; standing: Standing } {
  const env = envOf(options);
  const now = standing(options);
  if (now.timeUp) return { none: true, standing: now };
  const { active, challenge } = now;
  const hint = challenge.hints[active.hintsUsed];
  if (!hint) return { none: true, standing: now };
  const next: ActiveChallenge = { ...active, hintsUsed: active.hintsUsed + 1 };
  writeChallengeState({ ...readChallengeState(env), active: next }, env);
  return { hint, number: next.hintsUsed, of: challenge.hints.length, penalty: penaltyOf(challenge, next.hintsUsed), standing: { ...now, active: next, penalty: penaltyOf(challenge, next.hintsUsed) } };
}

/**
 * Grades the running challenge without ending it: its checks, made for its facts, run by the
 * graders' runner on a grader context (reading only, as `milab grade` does).
 */
export async function gradeRunning(options: EngineOptions = {}): Promise<GradeReport> {
  const env = envOf(options);
  const { active, challenge, config, names } = requireActive(env);
  const ctx = options.ctx ?? (await createGraderContext({ config, env }));
  // On Azure IMDS answers only on the VM: the app runs there first, through Run Command as the
  // learner (a write the grader's Reader may not make), and the read-only checks judge its result.
  const runner = options.runOnVm ?? (config.target === 'azure' ? runCommandRunner(config, names, env) : undefined);
  if (challenge.appOnVm && runner) {
    const vm = challengeNames(names).vm;
    options.log?.(`Running the app on ${vm} through Run Command, signed in as you (this can take a minute)…`);
    seedInventory(ctx, vm, await probeOnVm(runner, names, vm));
  }
  return runChecks(challenge.checks(active.facts, names), { ctx, lab: challenge.name, title: challenge.title, target: config.target, classifyError: classifyGraderError });
}

/** The outcome of a submit. */
export interface Submitted {
  readonly challenge: Challenge;
  readonly report: GradeReport;
  /** Absent when grading could not finish (the challenge keeps running). */
  readonly result?: ChallengeResult;
  readonly cleanup?: CleanupResult;
  readonly names: LabNames;
}

/** Grades the running challenge; unless it could not grade, saves the result, ends it and removes what it made. */
export async function submitChallenge(options: EngineOptions = {}): Promise<Submitted> {
  const env = envOf(options);
  const now = standing(options);
  const { active, challenge, names } = now;
  const config = loadConfig({ env });
  const report = await gradeRunning(options);
  if (report.status === 'error') return { challenge, report, names };
  const checksPercent = report.score.percent;
  const score = Math.max(0, Math.round(checksPercent - now.penalty));
  const result: ChallengeResult = {
    name: challenge.name,
    target: active.target,
    startedAt: active.startedAt,
    endedAt: nowOf(options).toISOString(),
    late: now.timeUp,
    hintsUsed: active.hintsUsed,
    penalty: now.penalty,
    checksPercent,
    score,
    // As in a timed exam, work handed in after the time limit does not pass.
    passed: !now.timeUp && score >= PASS_MARK,
    checks: Object.fromEntries(report.results.map((r: CheckResult) => [r.id, r.status])),
  };
  // The result is saved before the clean-up, with the challenge still running: a clean-up that
  // fails (the network) loses no grade, and `abandon` can finish it.
  const results = [...readChallengeState(env).results, result];
  writeChallengeState({ version: 1, results, active }, env);
  const cleanup = await removeWork(config, names, active, env);
  writeChallengeState({ version: 1, results }, env);
  return { challenge, report, result, names, cleanup };
}

async function removeWork(config: MilabConfig, names: LabNames, active: ActiveChallenge, env: Env): Promise<CleanupResult> {
  const clients = await createArmClients(createArmContext(config, { as: 'learner', env }));
  return cleanUp(clients, names, active.learnerId, active.name, active.assignments);
}

/** Ends the running challenge without a grade, removing what it made. */
export async function abandonChallenge(options: EngineOptions = {}): Promise<{ challenge: Challenge; cleanup: CleanupResult }> {
  const env = envOf(options);
  const { active, challenge, config, names } = requireActive(env);
  const cleanup = await removeWork(config, names, active, env);
  const state = readChallengeState(env);
  writeChallengeState({ version: 1, results: state.results }, env);
  return { challenge, cleanup };
}

/** Every challenge, whether it runs in this configuration, and its last result. */
export function listChallenges(options: EngineOptions = {}): { challenge: Challenge; unsupported: string | undefined; last: ChallengeResult | undefined; running: boolean }[] {
  const env = envOf(options);
  const state = readChallengeState(env);
  let names: LabNames | undefined;
  try {
    names = labNames(loadConfig({ env }), env);
  } catch {
    names = undefined;
  }
  return CHALLENGES.map((challenge) => ({
    challenge,
    unsupported: names ? challenge.unsupported?.(names) : undefined,
    last: [...state.results].reverse().find((r) => r.name === challenge.name),
    running: state.active?.name === challenge.name,
  }));
}

