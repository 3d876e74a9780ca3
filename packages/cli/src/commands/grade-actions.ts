// What `milab grade` does (registered, with its options, in grade.ts), loaded only when it runs.
import { watch as watchFiles, type FSWatcher } from 'node:fs';
import { relative } from 'node:path';
import { loadConfig, MilabError, repoRoot, toMilabError } from '@milab/core';
import { checkInfo, exitCodeFor, type GradeReport, type RunEvent } from '@milab/grading';
import { showReport, terminalFor, type Grader } from '@milab/graders';
import { currentWorldId, identityLine, standing, warnAboutLearnerId } from '../labs.js';
import { gradeAndSaveWithRecord, savedCleanupRecord } from '../cleanup-record.js';
import { selectGraders } from '../select-graders.js';
import { describeFailure } from '../failure.js';
import { classroomErrorResult, classroomResult, encodeClassroomResult, type ClassroomResult } from '../classroom/result.js';
import { WATCH_POLL_SECONDS, type GradeOptions } from './grade.js';

/** Whether stdout carries a machine-readable result (so everything for people goes to stderr). */
function machineOutput(options: GradeOptions): boolean {
  return options.json === true || options.classroom === true || options.classroomJson === true;
}

/** Prints the GitHub Classroom reporter's result in the form asked for. */
function printClassroom(result: ClassroomResult, options: GradeOptions): void {
  process.stdout.write(options.classroomJson ? `${JSON.stringify(result, null, 2)}\n` : `${encodeClassroomResult(result)}\n`);
}

/** Grades once, printing progress and the summary; returns the report. */
async function gradeOnce(graders: readonly Grader[], options: GradeOptions, signal?: AbortSignal): Promise<GradeReport> {
  const terminal = terminalFor({ json: machineOutput(options) });
  try {
    const config = loadConfig();
    // After lab 11's clean-up, labs 01-10 may be shown with their saved results: their live
    // check lines (failures, since lab 11 removed their work) are held back, and the checks
    // actually shown are listed once grading is done.
    const holdBack = (await savedCleanupRecord(config)) !== undefined;
    const onEvent: (event: RunEvent) => void = holdBack ? (event) => event.type === 'start' && terminal.onEvent(event) : terminal.onEvent;
    const { report, progress } = await gradeAndSaveWithRecord(graders, { config, onEvent, ...(signal ? { signal } : {}) }, { note: (line) => (machineOutput(options) ? process.stderr : process.stdout).write(`\n${line}\n`) });
    if (holdBack) report.results.forEach((result, index) => terminal.onEvent({ type: 'finish', result, index, total: report.results.length, ...(result.lab ? { lab: result.lab } : {}) }));
    await showReport(report, terminal, { ...(options.json ? { json: true } : {}), ...(options.junit ? { junit: options.junit } : {}) });
    if (options.classroom || options.classroomJson) printClassroom(classroomResult(report), options);
    // Lab 02 needs the principal id and lab 04 the client id: say them where lab 01 is graded.
    const { identity } = standing(progress, config.target, await currentWorldId(config));
    if (identity && graders.some((g) => g.lab.id === '01')) (machineOutput(options) ? process.stderr : process.stdout).write(`\n${identityLine(identity)}\n`);
    return report;
  } finally {
    terminal.close();
  }
}

/** Resolves with what happened first: a file changed under `dirs`, the poll interval passed, or `signal` aborted. */
function nextChange(dirs: readonly string[], intervalMs: number, signal: AbortSignal): Promise<{ kind: 'file'; file: string } | { kind: 'poll' } | { kind: 'stopped' }> {
  return new Promise((resolve) => {
    const watchers: FSWatcher[] = [];
    let debounce: NodeJS.Timeout | undefined;
    const finish = (outcome: { kind: 'file'; file: string } | { kind: 'poll' } | { kind: 'stopped' }) => {
      clearTimeout(timer);
      clearTimeout(debounce);
      signal.removeEventListener('abort', onAbort);
      for (const w of watchers) w.close();
      resolve(outcome);
    };
    const onAbort = () => finish({ kind: 'stopped' });
    const timer = setTimeout(() => finish({ kind: 'poll' }), intervalMs);
    signal.addEventListener('abort', onAbort, { once: true });
    for (const dir of dirs) {
      // Editors write a file in several steps: wait for the burst to settle before grading.
      watchers.push(
        watchFiles(dir, { recursive: true }, (_event, name) => {
          clearTimeout(debounce);
          debounce = setTimeout(() => finish({ kind: 'file', file: relative(repoRoot(), `${dir}/${name ?? ''}`) }), 250);
        }),
      );
    }
    if (signal.aborted) onAbort();
  });
}

/** What decides whether a polled result is worth printing again. */
function fingerprint(report: GradeReport): string {
  return JSON.stringify(report.results.map((r) => [r.id, r.status, r.status === 'fail' ? r.found : '']));
}

async function watchMode(graders: readonly Grader[], options: GradeOptions): Promise<GradeReport | undefined> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  const out = machineOutput(options) ? process.stderr : process.stdout;
  const intervalMs = (options.interval ?? WATCH_POLL_SECONDS) * 1000;
  const dirs = graders.map((g) => g.lab.dir);
  let last: GradeReport | undefined;
  let lastFailure: string | undefined;
  const watching = () => out.write(`\nWatching ${dirs.map((d) => relative(repoRoot(), d) + '/').join(', ')} and polling every ${intervalMs / 1000} s. Ctrl-C stops.\n`);
  // In watch mode a run that cannot even start (the emulator stopped, a bad config) is printed
  // once and watched through: the next change or poll tries again.
  const attempt = async (run: () => Promise<void>) => {
    try {
      await run();
      lastFailure = undefined;
    } catch (error) {
      const { text } = describeFailure(error);
      if (text !== lastFailure) {
        out.write(text);
        watching();
      }
      lastFailure = text;
    }
  };
  try {
    await attempt(async () => {
      last = await gradeOnce(graders, options, controller.signal);
      watching();
    });
    while (!controller.signal.aborted) {
      const change = await nextChange(dirs, intervalMs, controller.signal);
      if (change.kind === 'stopped') break;
      if (change.kind === 'file') {
        out.write(`\n— ${change.file} changed: grading again —\n\n`);
        await attempt(async () => {
          last = await gradeOnce(graders, options, controller.signal);
          watching();
        });
        continue;
      }
      // A poll: grade quietly, and print only when something changed in the cloud.
      await attempt(async () => {
        const { report } = await gradeAndSaveWithRecord(graders, { config: loadConfig(), signal: controller.signal }, { note: () => undefined });
        if (controller.signal.aborted) return;
        if (!last || fingerprint(report) !== fingerprint(last)) {
          out.write('\n— the state in Azure changed —\n\n');
          await showReport(report, terminalFor(options), options);
          watching();
        }
        last = report;
      });
    }
  } finally {
    process.removeListener('SIGINT', stop);
  }
  return last;
}

function usage(message: string, hint: string): MilabError {
  return new MilabError(message, { code: 'MILAB_USAGE', hint, exitCode: 2 });
}

/** One grading run for GitHub Classroom: a result on stdout even when grading could not start. */
async function gradeForClassroom(graders: readonly Grader[], options: GradeOptions): Promise<GradeReport> {
  try {
    return await gradeOnce(graders, options);
  } catch (error) {
    // The reporter must still get a result to show (and a 0 to record), with what happened.
    const known = toMilabError(error);
    const message = known?.message ?? (error instanceof Error ? error.message : String(error));
    const hint = known?.hint ?? 'Run `./milab doctor` in the workflow (or locally) to see what is missing.';
    const possible = graders.flatMap((g) => g.checks).reduce((sum, check) => sum + checkInfo(check).weight, 0);
    printClassroom(classroomErrorResult(message, hint, possible), options);
    throw error;
  }
}

/** `milab grade [labs…]`: no lab means all of them. */
export async function grade(labs: string | readonly string[] | undefined, options: GradeOptions): Promise<void> {
  const classroom = options.classroom === true || options.classroomJson === true;
  if (options.classroom && options.classroomJson) throw usage('--classroom and --classroom-json both print the result on stdout: pick one.', 'Use --classroom in the workflow (the reporter reads base64) and --classroom-json to read it yourself.');
  if (classroom && options.json) throw usage('--json and --classroom both print on stdout: pick one.', 'Use --json for milab\'s own report, --classroom for GitHub Classroom\'s reporter.');
  if (classroom && options.watch) throw usage('--classroom grades once, for a workflow step: it does not go with --watch.', 'Drop --watch, or --classroom.');
  const graders = selectGraders(labs);
  try {
    warnAboutLearnerId(loadConfig());
  } catch {
    // A bad config is reported by the grading run itself (and watched through with --watch).
  }
  const report = options.watch ? await watchMode(graders, options) : classroom ? await gradeForClassroom(graders, options) : await gradeOnce(graders, options);
  // No report at all: grading never got going (exit 2, could not grade).
  process.exitCode = report ? exitCodeFor(report) : 2;
}
