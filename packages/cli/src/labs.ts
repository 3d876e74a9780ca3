// What the learner's commands (start, status, grade, hint, reset, solve) share: picking labs and
// graders from an argument, grading and saving the result, where the learner stands (done, next),
// and making sure the emulator runs when it is the target.
import { learnerIdWarning, loadConfig, MilabError, requireEmulator, type MilabConfig, type Target } from '@milab/core';
import { readConnection, type EmulatorConnection } from '@milab/common';
// @milab/graders (every grader and the SDK clients they read with) is loaded when grading runs,
// not at import: `milab status` without --refresh never grades.
import type { Grader, GradeLabsResult } from '@milab/graders';
import type { RunEvent } from '@milab/grading';
import { listLabs, type Lab } from '@milab/labs';
import { join } from 'node:path';
import { readProgress, recordGrades, type LabGrade, type Progress, type SavedIdentity } from './progress.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Stands for every grader (in lab order) in {@link gradeAndSave}, without loading them first. */
export const ALL_GRADERS = 'all';

/** Options of {@link gradeAndSave}. */
export interface GradeAndSaveOptions {
  config: MilabConfig;
  env?: Env;
  onEvent?: (event: RunEvent) => void;
  signal?: AbortSignal;
}

/** The lab whose identity status shows (and lab 04 asks IMDS for). */
const IDENTITY_LAB = '01';

/**
 * Grades the labs (reading as the grader) and saves each lab's result in the progress file, with
 * the emulated world it was earned on and, once lab 01 passes, the identity's client and
 * principal ids. `graders` is a list, or {@link ALL_GRADERS}. On the emulator target, a stopped
 * emulator is said as it is (exit 2), before anything else is read.
 */
export async function gradeAndSave(
  graders: readonly Grader[] | typeof ALL_GRADERS,
  options: GradeAndSaveOptions,
): Promise<GradeLabsResult & { progress: Progress }> {
  const env = options.env ?? process.env;
  const { config } = options;
  const connection = config.target === 'emulator' ? requireEmulator(config) : undefined;
  // A progress file that cannot be used is said before grading, not after a minute of it.
  readProgress(env);
  const { createGraderContext, gradeLabs, GRADERS } = await import('@milab/graders');
  const ctx = await createGraderContext({ config, env });
  const result = await gradeLabs(graders === ALL_GRADERS ? GRADERS : graders, {
    config,
    env,
    ctx,
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const lab01 = result.reports.find((r) => r.lab === IDENTITY_LAB);
  let identity: Omit<SavedIdentity, 'worldId'> | null | undefined;
  if (lab01?.status === 'passed') {
    // Read once already by the checks (the context caches it): no further request.
    const found = await ctx.identity().catch(() => undefined);
    if (found) {
      identity = {
        name: found.name,
        id: found.id,
        ...(found.clientId ? { clientId: found.clientId } : {}),
        ...(found.principalId ? { principalId: found.principalId } : {}),
      };
    }
  } else if (lab01?.status === 'failed') identity = null;
  const progress = recordGrades(result.reports, config.target, env, { worldId: connection?.worldId, identity });
  return { ...result, progress };
}

/**
 * The id of the emulated world the emulator target works on now: the running emulator's, else the
 * one saved in its state directory; `undefined` on Azure or when it cannot be told.
 */
export async function currentWorldId(config: MilabConfig): Promise<string | undefined> {
  if (config.target !== 'emulator') return undefined;
  const connection = readConnection(config.paths.emulatorDir);
  if (connection) return connection.worldId;
  try {
    // Only a stopped emulator's world is read from its files: the emulator (its store, lmdb) loads
    // for that alone, not for every command that asks.
    const { readWorld } = await import('@milab/emulator');
    return readWorld(config.paths.emulatorDir)?.worldId;
  } catch {
    // An unreadable world is the emulator's to report (on its next start), not status's.
    return undefined;
  }
}

/** Prints the learner id warning (a generic OS user's name) on stderr, when there is one. */
export function warnAboutLearnerId(config: MilabConfig): void {
  const warning = learnerIdWarning(config);
  if (warning) process.stderr.write(`milab: ${warning}\n`);
}

/** One lab and its last grade on a target. */
export interface LabStanding {
  readonly lab: Lab;
  readonly grade: LabGrade | undefined;
  readonly done: boolean;
  /** The grade was earned on another emulated world: before an `emulator reset`. It does not count. */
  readonly stale: boolean;
}

/** Where a learner stands on a target. */
export interface Standing {
  labs: LabStanding[];
  /** The first lab not done yet (`undefined`: all done). */
  next: Lab | undefined;
  /** Lab 01's identity, when lab 01 is done on this world. */
  identity: SavedIdentity | undefined;
}

/**
 * Every lab with its last grade on `target`, and the first lab not done yet. With `worldId` (the
 * emulated world now), grades from another world are stale: from before a reset, not done.
 */
export function standing(progress: Progress, target: Target, worldId?: string): Standing {
  const grades = progress.grades[target] ?? {};
  // A grade saved before worlds had ids cannot be told apart: it counts, as it did.
  const fromOtherWorld = (saved: string | undefined) => worldId !== undefined && saved !== undefined && saved !== worldId;
  const labs = listLabs().map((lab) => {
    const grade = grades[lab.id];
    const stale = grade !== undefined && fromOtherWorld(grade.worldId);
    return { lab, grade, stale, done: grade?.status === 'passed' && !stale };
  });
  const saved = progress.identities?.[target];
  const lab01 = labs.find((l) => l.lab.id === IDENTITY_LAB);
  const identity = saved && lab01?.done && !fromOtherWorld(saved.worldId) ? saved : undefined;
  return { labs, next: labs.find((l) => !l.done)?.lab, identity };
}

/** Lines that say what the saved grades cannot: results from before a reset, the identity's ids. */
export function standingNotes(result: Standing): string[] {
  const lines: string[] = [];
  const stale = result.labs.filter((l) => l.stale);
  if (stale.length > 0) {
    lines.push(
      `The results of lab${stale.length > 1 ? 's' : ''} ${stale.map((l) => l.lab.id).join(', ')} are from before the emulator was reset (\`milab emulator reset\`): ` +
        'that work is gone from the emulated world, so they do not count. Do them again; `./milab status --refresh` grades every lab now.',
    );
  }
  if (result.identity) lines.push(identityLine(result.identity));
  return lines;
}

/** The line that gives lab 01's identity: lab 02 needs its principal id, lab 04 its client id. */
export function identityLine({ name, clientId, principalId }: SavedIdentity): string {
  return `Your identity (lab 01): ${name}, client id ${clientId ?? 'unknown'}, principal id ${principalId ?? 'unknown'}`;
}

function ago(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 90) return `${seconds} s ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  return hours < 36 ? `${hours} h ago` : `${Math.round(hours / 24)} days ago`;
}

/** One line per lab: mark, id, title, status and score, when graded; the next lab is marked `→`. */
export function formatStanding(labs: readonly LabStanding[], next: Lab | undefined): string[] {
  const width = Math.max(...labs.map((l) => l.lab.title.length));
  return labs.map(({ lab, grade, done, stale }) => {
    // A lab with nothing earned yet is work not started, not a failure: a newcomer's first
    // `milab start` shows "to do", and a cross only where some of the work is there but wrong.
    // Neither shows a grading time: there is no result to date.
    const untouched = grade?.status === 'failed' && grade.score.earned === 0;
    const mark = done ? '✔' : lab === next ? '→' : grade && !untouched && !stale ? '✖' : '·';
    const status = grade?.status === 'error' ? 'could not grade' : grade?.status;
    const open = lab === next && grade && grade.open.length > 0 && !stale ? `; open: ${grade.open.join(', ')}` : '';
    const state = !grade
      ? 'not graded yet'
      : stale
        ? `to do (${status} ${grade.score.percent}% before the emulator was reset)`
        : untouched
          ? 'to do'
          : `${status} ${grade.score.percent}% (graded ${ago(grade.gradedAt)})${open}`;
    return `${mark} ${lab.id}  ${lab.title.padEnd(width)}  ${state}`;
  });
}

/**
 * The labs whose Portal and az routes work on the emulator too: their steps are ARM calls the
 * emulator's own portal (`milab portal`: identities, role assignments, VM identity, Key vaults,
 * Container instances) and az signed in to it (`milab emulator az`) can make. Labs 04, 05 and 08
 * run a program on the VM; 06 and 07's Portal and az steps are written for a real subscription
 * (their VM program is the emulator's route).
 */
export const PORTAL_AND_AZ_LABS: ReadonlySet<string> = new Set(['01', '02', '03', '09', '10']);

/** What to do next for a lab on `target`. */
export function nextSteps(lab: Lab, learnerId: string, target: Target): string[] {
  const readme = `labs/${lab.folder}/README.md`;
  const starter = `labs/${lab.folder}/starter/index.ts`;
  let how: string[];
  if (lab.runsOn === 'vm') {
    how = [`  1. Read ${readme}, complete ${starter} and run it on the VM (the README shows how).`];
  } else if (PORTAL_AND_AZ_LABS.has(lab.id) && target === 'emulator') {
    how = [
      `  1. Read ${readme} and do it one way:`,
      '       Portal:     ./milab portal --open',
      `       az CLI:     eval "$(./milab emulator az)"   (signs az in to the emulator in this shell), then the README's az lines`,
      `       TypeScript: complete ${starter} and run it`,
    ];
  } else if (PORTAL_AND_AZ_LABS.has(lab.id)) {
    how = [`  1. Read ${readme} and do it: in the Portal (https://portal.azure.com), with az (signed in with az login), or with the TypeScript starter.`];
  } else {
    how = [`  1. Read ${readme} and do it (Portal, az CLI, or the TypeScript starter).`];
  }
  return [`Next: lab ${lab.id} — ${lab.title}`, `  ${lab.summary.replaceAll('<learner>', learnerId)}`, ...how, `  2. Check your work: ./milab grade ${lab.id}`, `  Stuck? ./milab hint ${lab.id}`];
}

/**
 * On the emulator target, starts the emulator in the background when it is not running, the way
 * `milab emulator start --detach` does. Returns the configuration to use (reloaded, with the
 * emulator's subscription, group and location) and the connection it started, if it did.
 */
export async function ensureEmulator(config: MilabConfig, env: Env = process.env): Promise<{ config: MilabConfig; started: EmulatorConnection | undefined }> {
  if (config.target !== 'emulator' || readConnection(config.paths.emulatorDir)) return { config, started: undefined };
  const { LaunchError, parseConfig, PROCESS_LOG_FILE, startDetached } = await import('@milab/emulator');
  const emulatorConfig = parseConfig({ stateDir: config.paths.emulatorDir }, env as NodeJS.ProcessEnv);
  let started: EmulatorConnection;
  try {
    started = await startDetached({ stateDir: emulatorConfig.stateDir, port: emulatorConfig.port, rbacDelaySeconds: emulatorConfig.rbacDelaySeconds });
  } catch (error) {
    if (error instanceof LaunchError) {
      throw new MilabError(`Could not start the emulator: ${error.message}.${error.logTail ? `\n${error.logTail}` : ''}`, {
        code: 'MILAB_EMULATOR_START_FAILED',
        hint: `See ${join(emulatorConfig.stateDir, PROCESS_LOG_FILE)}; if the port is taken, set MILAB_EMULATOR_PORT to a free one and run \`./milab start\` again.`,
        exitCode: 2,
      });
    }
    throw error;
  }
  return { config: loadConfig({ env }), started };
}
