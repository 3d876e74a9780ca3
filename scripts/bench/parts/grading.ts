// Grading labs 01–03 (solved) against an az-CLI grader of the same checks and against the
// critical-path bound under ARM latency. az cannot sign in to the emulator yet, so the az
// grader's floor is az's own start-up (`az account list`, which needs no network) once per
// check; a real az grader pays that plus its HTTP call. Grading is timed in-process (the
// graders' entry point, as `milab grade` runs it), as one `milab grade 01 02 03` process (what a
// learner runs to check those labs; the az floor counts the checks that ran) and, as information,
// as three `milab grade NN` processes.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { criticalPath } from '../critical-path.js';
import type { PartOptions } from '../part.js';
import { cliEnv, directLauncher, runProcess, timeProcess } from '../processes.js';
import { median, sample } from '../stats.js';
import type { Row } from '../table.js';
import { GRADERS, startLabWorld, type LabWorld } from '../workspace.js';

const LABS = ['01', '02', '03'] as const;
const LATENCY_MS = 50;

/** az start-up per call, or why it cannot be measured. */
async function azPerCall(runs: number): Promise<number | string> {
  const config = mkdtempSync(join(tmpdir(), 'milab-bench-az-'));
  // A throw-away az configuration, no telemetry, and a proxy on a closed local port, so that
  // nothing az might try to send leaves 127.0.0.1.
  const env = { ...cliEnv(config), AZURE_CONFIG_DIR: config, AZURE_CORE_COLLECT_TELEMETRY: 'false', AZURE_CORE_SURVEY_MESSAGE: 'false', AZURE_CORE_OUTPUT: 'none', HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9', NO_PROXY: '' };
  try {
    // The first run also builds az's command index: a warm-up, or the only sample with --quick.
    const probe = await runProcess('az', ['account', 'list', '--output', 'none'], { env, timeoutMs: 60_000 }).catch(() => undefined);
    if (!probe || probe.code === 127 || probe.code === null) return 'az not installed (apt-get install -y azure-cli): az floor not measured';
    if (probe.code !== 0) return `az account list exited with ${probe.code}: az floor not measured (${probe.output.trim().split('\n').pop() ?? ''})`;
    if (runs === 1) return probe.ms;
    return median(await timeProcess('az account list', 'az', ['account', 'list', '--output', 'none'], runs, { env, timeoutMs: 60_000 }));
  } finally {
    rmSync(config, { recursive: true, force: true });
  }
}

/**
 * How many checks `milab grade <labs>` ran (not skipped) in this world: its JUnit report, written
 * by one untimed run, counts them. The labs are solved: anything but exit 0 is an error.
 */
async function checksRunByGrade(env: NodeJS.ProcessEnv, dir: string, labs: readonly string[]): Promise<number> {
  const junit = join(dir, 'grade-labs.xml');
  const run = await runProcess(directLauncher().command, [...directLauncher().args, 'grade', ...labs, '--junit', junit], { env });
  if (run.code !== 0) throw new Error(`milab grade ${labs.join(' ')} exited with ${run.code ?? 'a signal'}:\n${run.output.trim().split('\n').slice(-8).join('\n')}`);
  const report = readFileSync(junit, 'utf8');
  const attribute = (name: string) => Number(new RegExp(`<testsuites[^>]*\\s${name}="(\\d+)"`).exec(report)?.[1] ?? Number.NaN);
  const ran = attribute('tests') - attribute('skipped');
  if (!Number.isFinite(ran)) throw new Error(`milab grade ${labs.join(' ')} wrote a JUnit report without tests/skipped counts (${junit})`);
  return ran;
}

/** Grades labs 01–03 in-process; fails loudly when the solved labs do not pass (the numbers would mean nothing). */
async function gradeOnce(world: LabWorld): Promise<void> {
  const report = await world.grade(...LABS);
  if (report.status !== 'passed') throw new Error(`grading the solved labs 01–03 did not pass (${report.status}): ${report.results.filter((r) => r.status !== 'pass').map((r) => r.id).join(', ')}`);
}

/** Runs this part of the suite. */
export async function run({ quick, log }: PartOptions): Promise<Row[]> {
  const runs = quick ? 1 : 3;
  const checks = GRADERS.filter((g) => (LABS as readonly string[]).includes(g.lab.id)).reduce((n, g) => n + g.checks.length, 0);
  log(`grading: az start-up, ${runs} run(s)`);
  const az = await azPerCall(runs);
  const world = await startLabWorld();
  try {
    log('grading: solving labs 01–03 in a temporary home');
    await world.solve(...LABS);
    await gradeOnce(world);
    const inProcess = median(await sample(runs, () => gradeOnce(world)));
    // --quick: lab 01's process only (keeps the suite's own test short).
    const processLabs = quick ? LABS.slice(0, 1) : LABS;
    log(`grading: milab grade ${processLabs.join(', ')} as processes`);
    const env = cliEnv(world.home, world.env);
    // The first run after the sources change may build what later runs reuse: not timed.
    if (!quick) await timeProcess('milab --help (warm-up)', directLauncher().command, [...directLauncher().args, '--help'], 1, { env });
    let processes = 0;
    for (const lab of processLabs) processes += median(await timeProcess(`milab grade ${lab}`, directLauncher().command, [...directLauncher().args, 'grade', lab], quick ? 1 : 2, { env }));
    log(`grading: milab grade ${LABS.join(' ')} as one process (labs 01–03 solved)`);
    const labChecks = quick ? 0 : await checksRunByGrade(env, world.home, LABS);
    const oneProcess = quick ? 0 : median(await timeProcess(`milab grade ${LABS.join(' ')}`, directLauncher().command, [...directLauncher().args, 'grade', ...LABS], 3, { env }));
    log('grading: counting the ARM calls on the critical path (audit log)');
    const path = await criticalPath(world, LABS);
    log(`grading: the same grading at ARM latency ${LATENCY_MS} ms`);
    world.emulator.profiles.update({ latency: `arm=${LATENCY_MS}` });
    const slow = median(await sample(quick ? 1 : 2, () => gradeOnce(world)));
    world.emulator.profiles.update({ latency: 'off' });
    const part = 'grading';
    const azRef = () => (typeof az === 'number' ? { reference: { name: `az floor, ${checks} checks × ${az.toFixed(0)} ms`, value: az * checks, unit: 'ms' as const } } : { note: az });
    const tenTimes = { text: '≤ 0.1 × az (10 × faster)', test: (r: number) => r <= 0.1 };
    const rows: Row[] = [
      { part, name: `grade labs 01–03 (${checks} checks), in-process`, measured: { value: inProcess, unit: 'ms' }, ...azRef(), target: tenTimes },
      ...(quick
        ? []
        : [
            {
              part,
              name: `milab grade ${LABS.join(' ')} (solved), one process`,
              measured: { value: oneProcess, unit: 'ms' as const },
              ...(typeof az === 'number' ? { reference: { name: `az floor, ${labChecks} checks run × ${az.toFixed(0)} ms`, value: az * labChecks, unit: 'ms' as const } } : { note: az }),
              target: tenTimes,
            },
          ]),
      // Information: a learner grading lab by lab.
      { part, name: `milab grade ${processLabs.join(' + ')}, ${processLabs.length === 1 ? 'one process' : `${processLabs.length} processes`}`, measured: { value: processes, unit: 'ms' }, ...(quick ? {} : azRef()) },
      {
        part,
        name: `grade labs 01–03 in-process, ARM latency ${LATENCY_MS} ms`,
        measured: { value: slow, unit: 'ms' },
        reference: { name: `critical path, ${path.calls} calls × ${LATENCY_MS} ms`, value: path.calls * LATENCY_MS, unit: 'ms' },
        footnote: `critical path of labs 01–03: ${path.chain.map((id) => `${id} (${path.weights[id]})`).join(' → ')}, ARM calls per check from the audit log${path.calls > path.chain.reduce((n, id) => n + (path.weights[id] ?? 0), 0) ? ', plus the grader context\'s own' : ''}`,
        target: { text: '≤ 1.3 × critical path', test: (r) => r <= 1.3 },
      },
    ];
    return rows;
  } finally {
    await world.stop();
  }
}
