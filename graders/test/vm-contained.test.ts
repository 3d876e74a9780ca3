// Learner code run on the emulated VM (labs 04-05) cannot hang, flood or poison grading: a token
// printed encoded, reversed or in pieces is found (and never shown); a program that prints too
// much is stopped with a failure that says so; one that ignores SIGTERM and spins is killed and
// the grade returns; no process it started outlives the grade, after success too, nor after the
// grading process is interrupted (Ctrl-C) or killed outright; and two grades at once each get their own IMDS faults
// and leave the learner's profile as they found it. On an in-process emulator; the programs —
// variants of lab 04's solution written to a temporary folder — run in child processes "on" labvm.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { callProfileAdmin } from '@milab/emulator';
import { findLab } from '@milab/labs';
import type { GradeReport } from '@milab/grading';
import { createGrader04 } from '../04-imds-token.js';
import { createGrader05 } from '../05-call-arm.js';
import type { gradeLabs } from '../index.js';
import { containsToken } from '../lib/vm-protocol.js';
import { failed, type LabWorld, result, said, useVmLabWorld, type VmLabWorld, withStatus } from './support.js';

let vm: VmLabWorld;
let world: LabWorld;
let dir: string;
const lab04 = findLab('04');
const lab05 = findLab('05');

useVmLabWorld(
  'contained-',
  (started) => {
    vm = started;
    ({ world, dir } = started);
  },
  { reset: 'once' },
);

const grade = (...graders: Parameters<typeof gradeLabs>[0]): Promise<GradeReport> => vm.grade(...graders);
const profile = async () => (await callProfileAdmin(world.emulator.connection())).body.profile;
/** Everything the failed checks of a report say, in one string. */
const failures = (report: GradeReport) => withStatus(report, 'fail').map((id) => `${id}: ${said(result(report, id))}`).join('\n');

const GOT_TOKEN = "const accessToken = String(body.access_token ?? '');";
/** Lab 04's solution with `code` run right after it has the token (`accessToken`) in getToken. */
function withToken(name: string, code: string): string {
  const source = readFileSync(lab04.solution, 'utf8');
  expect(source, 'the solution still reads the token this way').toContain(GOT_TOKEN);
  const file = join(dir, `${name}.ts`);
  writeFileSync(file, source.replace(GOT_TOKEN, `${GOT_TOKEN}\n      ${code}`));
  return file;
}
/** Lab 04's solution with `code` run first thing in getToken. */
function atStart(name: string, code: string): string {
  const source = readFileSync(lab04.solution, 'utf8');
  const start = /export async function getToken\([^)]*\)[^{]*\{/.exec(source);
  expect(start, 'the solution has a getToken function').not.toBeNull();
  const file = join(dir, `${name}.ts`);
  writeFileSync(file, source.replace(start![0], `${start![0]}\n  ${code}`));
  return file;
}

/** Whether a process is still alive (a zombie waiting for its parent counts as gone). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
/** The pids a program wrote to `file`, once every one of them is gone (at most 5 s); throws naming those left. */
async function allGone(file: string): Promise<number[]> {
  const pids = readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
  const until = Date.now() + 5_000;
  while (pids.some(alive) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
  const left = pids.filter(alive);
  for (const pid of left) process.kill(pid, 'SIGKILL');
  expect(left, 'processes the program started that outlived the grade').toEqual([]);
  return pids;
}
/** Code that starts a detached child that runs forever and writes its pid and the program's own to `file`. */
const detachedChild = (file: string) =>
  `{ const { spawn } = await import('node:child_process'); const c = spawn(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' }); c.unref(); (await import('node:fs')).writeFileSync(${JSON.stringify(file)}, \`\${process.pid} \${c.pid}\`); }`;

describe('the token, printed in disguise, is found and never shown', () => {
  const DISGUISES: Record<string, string> = {
    base64: "console.log(Buffer.from(accessToken).toString('base64'));",
    base64url: "console.log('token:', Buffer.from(accessToken).toString('base64url'));",
    hex: "console.log(Buffer.from(accessToken).toString('hex'));",
    reversed: "console.log(accessToken.split('').reverse().join(''));",
    'three chunks': "{ const n = Math.ceil(accessToken.length / 3); for (let i = 0; i < 3; i++) console.log(accessToken.slice(i * n, (i + 1) * n)); }",
  };
  for (const [name, code] of Object.entries(DISGUISES)) {
    it(name, async () => {
      const report = await grade(createGrader04(withToken(`printed-${name.replace(' ', '-')}`, code)));
      expect(result(report, '04.identity').status).toBe('pass');
      const check = result(report, '04.no-token-in-output');
      expect(check.status).toBe('fail');
      expect(said(check)).toContain('a token appeared');
      expect(said(check)).toContain('getToken (stdout)');
      expect(containsToken(JSON.stringify(report))).toBe(false);
    }, 60_000);
  }
});

describe('a program that prints too much is stopped, and the grade says so', () => {
  it('600 MiB through console.log', async () => {
    const report = await grade(createGrader04(withToken('flood-console', "for (let i = 0; i < 600; i++) console.log('x'.repeat(1 << 20));")));
    expect(failures(report)).toContain('the program printed more than 1 MiB to stdout (getToken under IMDS faults), so grading stopped it there');
    expect(failures(report)).toContain('a few lines of output');
  }, 60_000);

  it('300 MiB straight to file descriptor 1', async () => {
    const report = await grade(
      createGrader04(
        withToken(
          'flood-fd1',
          "{ const { writeSync } = await import('node:fs'); const mib = Buffer.alloc(1 << 20, 120); for (let i = 0; i < 300; i++) for (let at = 0; at < mib.length; ) { try { at += writeSync(1, mib, at); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e; } } }",
        ),
      ),
    );
    expect(failures(report)).toContain('the program printed more than 1 MiB to stdout (writing straight to its file descriptors), so grading stopped it there');
  }, 60_000);
});

describe('no process of the program outlives the grade', () => {
  it('after a passing grade, its detached child is gone', async () => {
    const pidFile = join(dir, 'success.pids');
    const report = await grade(createGrader04(withToken('success-child', detachedChild(pidFile))));
    expect(failed(report)).toEqual([]);
    expect(await allGone(pidFile)).toHaveLength(2);
  }, 60_000);

  it('a program that ignores SIGTERM and spins is killed, the grade returns, and the profile is as it was', async () => {
    await callProfileAdmin(world.emulator.connection(), { set: { imdsFaults: '503,503' } });
    const before = await profile();
    const pidFile = join(dir, 'spin.pids');
    const report = await grade(createGrader04(atStart('spin', `${detachedChild(pidFile)}\n  process.on('SIGTERM', () => {});\n  for (;;) {}`)));
    // The run's limit counts from the program's load (lib/vm.ts): the reason says so, and what the start-up took.
    expect(failures(report)).toContain('the program did not finish within 27 s of being loaded on the VM (its start-up');
    expect(failures(report)).toContain('it was stopped then, with every process it started)');
    await allGone(pidFile);
    expect(await profile()).toEqual(before);
    await callProfileAdmin(world.emulator.connection(), { set: { imdsFaults: 'off' } });
  }, 90_000);

  // Ctrl-C, and the grader killed outright (no cleanup: the harness's watchdog ends the run).
  it.each(['SIGINT', 'SIGKILL'] as const)('%s to the grading process: the program and its children are gone, and the profile is as it was', async (signal) => {
    await callProfileAdmin(world.emulator.connection(), { set: { imdsFaults: '5%:410' } });
    const before = await profile();
    const pidFile = join(dir, `interrupted-${signal}.pids`);
    const program = atStart(`interrupted-${signal}`, `${detachedChild(pidFile)}\n  process.on('SIGTERM', () => {});\n  for (;;) {}`);
    // `milab grade 04`, in short: a process that grades lab 04 with this program.
    const script = join(dir, `grade-${signal}.mts`);
    const graders = fileURLToPath(new URL('..', import.meta.url));
    writeFileSync(
      script,
      `import { createGrader04 } from ${JSON.stringify(join(graders, '04-imds-token.ts'))};\nimport { gradeLabs } from ${JSON.stringify(join(graders, 'index.ts'))};\nawait gradeLabs([createGrader04(${JSON.stringify(program)})]);\n`,
    );
    const grading = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', script], { env: { ...process.env, ...world.env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    grading.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let ended = false;
    const exited = new Promise<NodeJS.Signals | null>((resolve) => grading.once('exit', (_code, sig) => resolve(sig))).finally(() => (ended = true));
    for (let i = 0; i < 600 && !ended && !existsSync(pidFile); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(existsSync(pidFile), `the program started on the VM (grading said: ${stderr})`).toBe(true);
    grading.kill(signal);
    expect(await exited).toBe(signal);
    expect(await allGone(pidFile)).toHaveLength(2);
    expect(await profile()).toEqual(before);
    await callProfileAdmin(world.emulator.connection(), { set: { imdsFaults: 'off' } });
  }, 90_000);
});

describe('two grades at once', () => {
  it('labs 04-05 graded twice at the same time both pass, and the learner profile is as it was', async () => {
    await callProfileAdmin(world.emulator.connection(), { set: { imdsFaults: '503,503' } });
    const before = await profile();
    const both = () => grade(createGrader04(lab04.solution), createGrader05(lab05.solution, createGrader04(lab04.solution)));
    const reports = await Promise.all([both(), both()]);
    for (const report of reports) {
      expect(failures(report)).toBe('');
      expect(report.labs?.map((l) => [l.lab, l.status])).toEqual([
        ['04', 'passed'],
        ['05', 'passed'],
      ]);
    }
    expect(await profile()).toEqual(before);
    await callProfileAdmin(world.emulator.connection(), { set: { imdsFaults: 'off' } });
  }, 120_000);
});
