// The cost of running a learner's program "on the VM" for grading (lib/vm.ts → lib/vm-harness.ts),
// side by side with a bare `node -e 0` spawn as the reference: runs per second (wall) and CPU per
// run (the child's user + system, from /proc; the grader's own, which holds the in-process
// emulator, apart), as ratios. Each program is run by runOnLabVm in a fresh grading context (no
// cached run), one run at a time, on an in-process emulator on 127.0.0.1 in a temporary home, with
// labs 01-03 and 09 solved. The harness's phases (its start-up, the program's import, the calls)
// come from the timing it reports.
//   pnpm --filter @milab/graders bench [-- --runs N] [--busy N] [--only NAME[,NAME…]]
//   (or: node --conditions=source --import tsx graders/bench/vm-run.ts [OPTIONS])
// Numbers are as good as the machine is quiet: run it alone for figures to quote; `--busy N`
// starts N busy loops (child processes) to show a loaded machine.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from '@milab/core';
import { createEmulator, parseConfig } from '@milab/emulator';
import { createLabContext, findLab, prepareLab, type LabContext } from '@milab/labs';
import { createGraderContext } from '../lib/context.js';
import { runOnLabVm, type VmRun } from '../lib/vm.js';
import type { VmLab } from '../lib/vm-protocol.js';

/** A program the bench runs on the VM. */
interface Subject {
  name: string;
  summary: string;
  lab: VmLab;
  program: string;
}

const SUBJECTS: readonly Subject[] = [
  { name: 'lab04', summary: "lab 04's solution (plain HTTP to IMDS, no SDK), under the IMDS faults lab 04 is graded with (429, then 503): its back-off is most of the calls' wall time", lab: '04', program: findLab('04').solution },
  { name: 'lab09', summary: "lab 09's solution vm.ts (SecretClient, ManagedIdentityCredential, ARM's ResourceManagementClient)", lab: '09', program: findLab('09').vmProgram!.solution },
];

/** The CPU time of this process's waited-for children so far, in ms (/proc/self/stat cutime + cstime). */
function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 16 and 17 of stat (1-based), in clock ticks: 100 a second on Linux.
  return (Number(fields[13]) + Number(fields[14])) * 10;
}
const selfCpuMs = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

interface Sample {
  wallMs: number;
  childCpuMs: number;
  selfCpuMs: number;
  phases?: Record<string, number>;
}

async function measure(runs: number, once: () => Promise<Record<string, number> | undefined>): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    const child0 = childrenCpuMs();
    const self0 = selfCpuMs();
    const t0 = performance.now();
    const phases = await once();
    samples.push({ wallMs: performance.now() - t0, childCpuMs: childrenCpuMs() - child0, selfCpuMs: selfCpuMs() - self0, ...(phases ? { phases } : {}) });
  }
  return samples;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

function spawnOnce(args: string[]): Promise<undefined> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', () => resolve(undefined));
  });
}

/** The phases of a run, wall and CPU ms each, from the harness's timing (absent from a harness that reports none). */
function phasesOf(run: VmRun, subject: Subject): Record<string, number> {
  if (run.kind !== 'ran') throw new Error(`${subject.name}: the run did not give a result: ${run.reason}`);
  // (Lab 04's call for an unknown resource fails by design: only loading and main are required.)
  if (run.output.loadError || !run.output.main?.ok) throw new Error(`${subject.name}: the solution did not run through (${run.output.loadError ?? run.output.main?.error ?? 'no main'})`);
  const t = run.output.timing;
  if (!t) return {};
  return {
    'harness start-up (Node, tsx, its modules): wall': t.harnessLoadedMs,
    'harness start-up (Node, tsx, its modules): CPU': t.harnessLoadedCpuMs,
    "program's import: wall": t.programLoadedMs - t.harnessLoadedMs,
    "program's import: CPU": t.programLoadedCpuMs - t.harnessLoadedCpuMs,
    'calls into the program (the timed part): wall': t.doneMs - t.programLoadedMs,
    'calls into the program (the timed part): CPU': t.doneCpuMs - t.programLoadedCpuMs,
  };
}

function usage(): string {
  return [
    'Usage: pnpm --filter @milab/graders bench [-- OPTIONS]',
    '       (or: node --conditions=source --import tsx graders/bench/vm-run.ts [OPTIONS])',
    '',
    "Runs lab programs on the emulated VM as the graders do, one at a time, and prints runs/s and",
    "CPU per run beside a bare `node -e 0` spawn (and `node --import tsx -e 0`) with the ratios.",
    'On an in-process emulator on 127.0.0.1, in a temporary home removed at the end.',
    '',
    'Options:',
    '  --runs N             runs of each (default 5; the first, warming the caches, is not counted)',
    '  --busy N             N busy loops (child processes) while measuring: a loaded machine (default 0)',
    '  --only NAME[,NAME…]  only these programs: ' + SUBJECTS.map((s) => s.name).join(', '),
    '  -h, --help           this help',
    '',
    'Programs:',
    ...SUBJECTS.map((s) => `  ${s.name.padEnd(8)} ${s.summary}`),
  ].join('\n');
}

function positive(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} ${value}: expected a whole number, at least ${min}`);
  return n;
}

async function main(): Promise<number> {
  let runs: number;
  let busy: number;
  let subjects: readonly Subject[];
  try {
    const args = process.argv.slice(2);
    const { values } = parseArgs({ args: args[0] === '--' ? args.slice(1) : args, options: { runs: { type: 'string' }, busy: { type: 'string' }, only: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } }, strict: true });
    if (values.help) {
      console.log(usage());
      return 0;
    }
    runs = positive('runs', values.runs, 5, 1);
    busy = positive('busy', values.busy, 0, 0);
    const wanted = (values.only ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
    const unknown = wanted.filter((w) => !SUBJECTS.some((s) => s.name === w));
    if (unknown.length > 0) throw new Error(`--only ${unknown.join(',')}: no such program; expected one of ${SUBJECTS.map((s) => s.name).join(', ')}`);
    subjects = wanted.length ? SUBJECTS.filter((s) => wanted.includes(s.name)) : SUBJECTS;
  } catch (error) {
    console.error(`bench: ${(error as Error).message.split('\n')[0]!.replace(/\.$/, '')}; see --help.`);
    return 2;
  }

  const log = (line: string) => console.error(`  … ${line}`);
  const home = mkdtempSync(join(tmpdir(), 'milab-bench-vm-'));
  const env = { MILAB_HOME: home, MILAB_LEARNER: 'ada' };
  const emulator = createEmulator(parseConfig({ stateDir: join(home, 'emulator'), port: 0, log: () => undefined }));
  const loops: ChildProcess[] = [];
  try {
    await emulator.listen();
    await emulator.ready();
    const config = loadConfig({ env });
    log('solving labs 01-03 and 09 (their setups and solutions)');
    for (const id of ['01', '02', '03', '09']) {
      const lab = findLab(id);
      const ctx = await createLabContext(lab, { config, env, log: () => undefined });
      await prepareLab(lab, ctx);
      await ((await import(pathToFileURL(lab.solution).href)) as { main: (ctx: LabContext) => Promise<void> }).main(ctx);
    }
    for (let i = 0; i < busy; i++) loops.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
    if (busy > 0) log(`${busy} busy loop(s) running`);

    const rows: string[][] = [];
    const line = (name: string, samples: Sample[], ref?: { wall: number; cpu: number }) => {
      const wall = median(samples.map((s) => s.wallMs));
      const cpu = median(samples.map((s) => s.childCpuMs));
      const self = median(samples.map((s) => s.selfCpuMs));
      rows.push([name, (1000 / wall).toFixed(2), wall.toFixed(0), cpu.toFixed(0), self.toFixed(0), ref ? `${(wall / ref.wall).toFixed(1)}×` : '1×', ref ? `${(cpu / Math.max(ref.cpu, 1)).toFixed(1)}×` : '1×']);
      return { wall, cpu };
    };
    log('reference: node -e 0');
    await measure(1, () => spawnOnce(['-e', '0']));
    const ref = line('node -e 0 (reference)', await measure(runs, () => spawnOnce(['-e', '0'])));
    log('node --conditions=source --import tsx -e 0');
    await measure(1, () => spawnOnce(['--conditions=source', '--import', 'tsx', '-e', '0']));
    line('node --import tsx -e 0', await measure(runs, () => spawnOnce(['--conditions=source', '--import', 'tsx', '-e', '0'])), ref);
    const phaseRows: string[][] = [];
    for (const subject of subjects) {
      log(`${subject.name}: ${subject.summary}`);
      const once = async () => phasesOf(await runOnLabVm(await createGraderContext({ config, env }), subject.lab, subject.program, undefined), subject);
      await measure(1, once);
      const samples = await measure(runs, once);
      line(`${subject.name} on the VM (runOnLabVm)`, samples, ref);
      const names = [...new Set(samples.flatMap((s) => Object.keys(s.phases ?? {})))];
      for (const phase of names) phaseRows.push([`${subject.name}: ${phase}`, median(samples.map((s) => s.phases?.[phase] ?? 0)).toFixed(0)]);
    }
    const header = ['', 'runs/s', 'wall ms', 'child CPU ms', 'grader CPU ms', 'wall ratio', 'CPU ratio'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const fmt = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
    console.log(`\nVM program runs: median of ${runs} (node ${process.version}, ${cpus().length} CPU, ${busy} busy loop(s))`);
    console.log(fmt(header));
    for (const r of rows) console.log(fmt(r));
    if (phaseRows.length > 0) {
      console.log('\nHarness phases (median ms, from the timing the harness reports):');
      const w = Math.max(...phaseRows.map((r) => r[0]!.length));
      for (const [name, ms] of phaseRows) console.log(`${name!.padEnd(w)}  ${ms!.padStart(6)}`);
    }
    return 0;
  } catch (error) {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    for (const loop of loops) loop.kill('SIGKILL');
    await emulator.close();
    rmSync(home, { recursive: true, force: true });
  }
}

process.exitCode = await main();
