// What the learner's commands (start, status, grade, hint, reset, solve) share: picking labs and
// graders from an argument, grading and saving the result, where the learner stands (done, next),
// and making sure the emulator runs when it is the target.
import { loadConfig, MilabError, type MilabConfig, type Target } from '@milab/core';
import { LaunchError, parseConfig, PROCESS_LOG_FILE, readConnection, startDetached, type EmulatorConnection } from '@milab/emulator';
import { findGrader, GRADERS, gradeLabs, type Grader, type GradeLabsResult } from '@milab/graders';
import type { RunEvent } from '@milab/grading';
import { listLabs, type Lab } from '@milab/labs';
import { join } from 'node:path';
import { recordGrades, type LabGrade, type Progress } from './progress.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The graders an argument names: one lab (`01`, `1`, `01-create-identity`) or `all` (the default). */
export function selectGraders(arg: string | undefined): readonly Grader[] {
  if (arg === undefined || arg.toLowerCase() === 'all') return GRADERS;
  return [findGrader(arg)];
}

/** Options of {@link gradeAndSave}. */
export interface GradeAndSaveOptions {
  config: MilabConfig;
  env?: Env;
  onEvent?: (event: RunEvent) => void;
  signal?: AbortSignal;
}

/** Grades the labs (reading as the grader) and saves each lab's result in the progress file. */
export async function gradeAndSave(graders: readonly Grader[], options: GradeAndSaveOptions): Promise<GradeLabsResult & { progress: Progress }> {
  const env = options.env ?? process.env;
  const result = await gradeLabs(graders, {
    config: options.config,
    env,
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const progress = recordGrades(result.reports, options.config.target, env);
  return { ...result, progress };
}

/** One lab and its last grade on a target. */
export interface LabStanding {
  readonly lab: Lab;
  readonly grade: LabGrade | undefined;
  readonly done: boolean;
}

/** Every lab with its last grade on `target`, and the first lab not done yet (`undefined`: all done). */
export function standing(progress: Progress, target: Target): { labs: LabStanding[]; next: Lab | undefined } {
  const grades = progress.grades[target] ?? {};
  const labs = listLabs().map((lab) => {
    const grade = grades[lab.id];
    return { lab, grade, done: grade?.status === 'passed' };
  });
  return { labs, next: labs.find((l) => !l.done)?.lab };
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
  return labs.map(({ lab, grade, done }) => {
    // A lab with nothing earned yet is work not started, not a failure: a newcomer's first
    // `milab start` shows "to do", and a cross only where some of the work is there but wrong.
    const untouched = grade?.status === 'failed' && grade.score.earned === 0;
    const mark = done ? '✔' : lab === next ? '→' : grade && !untouched ? '✖' : '·';
    const status = grade?.status === 'error' ? 'could not grade' : untouched ? 'to do' : grade?.status;
    const state = !grade
      ? 'not graded yet'
      : `${status}${untouched ? '' : ` ${grade.score.percent}%`} (graded ${ago(grade.gradedAt)})${lab === next && grade.open.length > 0 ? `; open: ${grade.open.join(', ')}` : ''}`;
    return `${mark} ${lab.id}  ${lab.title.padEnd(width)}  ${state}`;
  });
}

/** What to do next for a lab. */
export function nextSteps(lab: Lab, learnerId: string): string[] {
  return [
    `Next: lab ${lab.id} — ${lab.title}`,
    `  ${lab.summary.replaceAll('<learner>', learnerId)}`,
    lab.runsOn === 'vm'
      ? `  1. Read labs/${lab.folder}/README.md, complete labs/${lab.folder}/starter/index.ts and run it on the VM (the README shows how).`
      : `  1. Read labs/${lab.folder}/README.md and do it (Portal, az CLI, or the TypeScript starter).`,
    `  2. Check your work: pnpm milab grade ${lab.id}`,
    `  Stuck? pnpm milab hint ${lab.id}`,
  ];
}

/**
 * On the emulator target, starts the emulator in the background when it is not running, the way
 * `milab emulator start --detach` does. Returns the configuration to use (reloaded, with the
 * emulator's subscription, group and location) and the connection it started, if it did.
 */
export async function ensureEmulator(config: MilabConfig, env: Env = process.env): Promise<{ config: MilabConfig; started: EmulatorConnection | undefined }> {
  if (config.target !== 'emulator' || readConnection(config.paths.emulatorDir)) return { config, started: undefined };
  const emulatorConfig = parseConfig({ stateDir: config.paths.emulatorDir }, env as NodeJS.ProcessEnv);
  let started: EmulatorConnection;
  try {
    started = await startDetached({ stateDir: emulatorConfig.stateDir, port: emulatorConfig.port, rbacDelaySeconds: emulatorConfig.rbacDelaySeconds });
  } catch (error) {
    if (error instanceof LaunchError) {
      throw new MilabError(`Could not start the emulator: ${error.message}.${error.logTail ? `\n${error.logTail}` : ''}`, {
        code: 'MILAB_EMULATOR_START_FAILED',
        hint: `See ${join(emulatorConfig.stateDir, PROCESS_LOG_FILE)}; if the port is taken, set MILAB_EMULATOR_PORT to a free one and run \`pnpm milab start\` again.`,
        exitCode: 2,
      });
    }
    throw error;
  }
  return { config: loadConfig({ env }), started };
}
