// runOnVm, the way learner code runs "on" the VM for grading: whatever the program does, the run
// ends within its time limit (plus a short grace), with its whole process tree gone — children
// plain and detached, after success too — and with its output capped. The programs are small
// scripts written to a temporary folder; nothing here needs the emulator.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_OUTPUT_BYTES, runOnVm } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'milab-run-on-vm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a program; returns its path. */
function program(name: string, source: string): string {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, source);
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

/** Waits (at most `ms`) for every pid to be gone; returns those still alive. */
async function survivors(pids: number[], ms = 5_000): Promise<number[]> {
  const until = Date.now() + ms;
  let left = pids.filter(alive);
  while (left.length > 0 && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    left = left.filter(alive);
  }
  for (const pid of left) process.kill(pid, 'SIGKILL');
  return left;
}

const pidsIn = (text: string): number[] => [...text.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));

// A child that spins forever, started plain and detached (its own process group and session).
const SPAWN_CHILDREN = `
import { spawn } from 'node:child_process';
const forever = ['-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000)'];
const plain = spawn(process.execPath, forever, { stdio: 'ignore' });
const detached = spawn(process.execPath, forever, { stdio: 'ignore', detached: true });
detached.unref();
plain.unref();
// A grandchild whose parent exits at once: it is reparented, its parent's pid is lost.
const orphaner = spawn(process.execPath, ['-e', \`const c = require('node:child_process').spawn(process.execPath, \${JSON.stringify(forever)}, { stdio: 'ignore', detached: true }); c.unref(); console.log(c.pid)\`], { stdio: ['ignore', 'pipe', 'ignore'] });
let orphan = '';
orphaner.stdout.on('data', (d) => (orphan += d));
await new Promise((resolve) => orphaner.on('exit', resolve));
console.log(\`pid=\${plain.pid} pid=\${detached.pid} pid=\${orphan.trim()}\`);
`;

describe('runOnVm', () => {
  it('after a successful run, no child of the program is left: plain, detached, or orphaned', async () => {
    const run = await runOnVm(program('children', SPAWN_CHILDREN), { env: process.env, timeoutMs: 20_000 });
    expect(run.exitCode).toBe(0);
    const pids = pidsIn(run.stdout);
    expect(pids).toHaveLength(3);
    expect(await survivors(pids)).toEqual([]);
  }, 30_000);

  it('a program that ignores SIGTERM and spins is killed after the grace; its children too', async () => {
    const file = program('spin', `${SPAWN_CHILDREN}\nprocess.on('SIGTERM', () => {});\nfor (;;) {}\n`);
    const started = Date.now();
    const run = await runOnVm(file, { env: process.env, timeoutMs: 3_000 });
    // Generous: the time limit, the 2 s grace, and a slow machine.
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(run.timedOut).toBe(true);
    expect(run.exitCode).toBeNull();
    expect(await survivors(pidsIn(run.stdout))).toEqual([]);
  }, 30_000);

  it('an abort signal ends the run and its tree', async () => {
    const file = program('abort', `${SPAWN_CHILDREN}\nprocess.on('SIGTERM', () => {});\nsetInterval(() => {}, 1000);\n`);
    const controller = new AbortController();
    const running = runOnVm(file, { env: process.env, timeoutMs: 60_000, signal: controller.signal, onOutput: (text) => text.includes('pid=') && controller.abort() });
    const run = await running;
    expect(run.aborted).toBe(true);
    expect(await survivors(pidsIn(run.stdout))).toEqual([]);
  }, 30_000);

  it('300 MiB written straight to file descriptor 1: collection stops at the cap and the program is killed', async () => {
    // The pipe is non-blocking: a full pipe answers EAGAIN, and the program tries again.
    const file = program(
      'flood',
      `import { writeSync } from 'node:fs';\nconst mib = Buffer.alloc(1 << 20, 120);\nfor (let i = 0; i < 300; i++) for (let at = 0; at < mib.length; ) { try { at += writeSync(1, mib, at); } catch (e) { if (e.code !== 'EAGAIN') throw e; } }\n`,
    );
    const run = await runOnVm(file, { env: process.env, timeoutMs: 60_000 });
    expect(run.overflow).toBe('stdout');
    expect(Buffer.byteLength(run.stdout)).toBeLessThanOrEqual(MAX_OUTPUT_BYTES);
    expect(run.exitCode).toBeNull();
  }, 60_000);

  it('stderr is capped the same way', async () => {
    const file = program('flood-err', `import { once } from 'node:events';\nconst chunk = 'y'.repeat(1 << 16);\nfor (;;) if (!process.stderr.write(chunk)) await once(process.stderr, 'drain');\n`);
    const run = await runOnVm(file, { env: process.env, timeoutMs: 60_000 });
    expect(run.overflow).toBe('stderr');
    expect(Buffer.byteLength(run.stderr)).toBeLessThanOrEqual(MAX_OUTPUT_BYTES);
  }, 60_000);

  it('Ctrl-C of the process that runs it (SIGINT) ends the run and its tree too', async () => {
    const spinner = program('spin-forever', `${SPAWN_CHILDREN}\nprocess.on('SIGTERM', () => {});\nfor (;;) {}\n`);
    const index = fileURLToPath(new URL('../src/index.ts', import.meta.url));
    const runner = join(dir, 'runner.mts');
    writeFileSync(runner, `import { runOnVm } from ${JSON.stringify(index)};\nawait runOnVm(${JSON.stringify(spinner)}, { env: process.env, timeoutMs: 60_000, onOutput: (t) => process.stdout.write(t) });\n`);
    const parent = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', runner], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    await new Promise<void>((resolve) => parent.stdout.on('data', (d: Buffer) => (text += d.toString()).includes('pid=') && resolve()));
    parent.kill('SIGINT');
    const [, signal] = await new Promise<[number | null, string | null]>((resolve) => parent.once('exit', (code, sig) => resolve([code, sig])));
    // It still ends the way SIGINT ends a process.
    expect(signal).toBe('SIGINT');
    const pids = pidsIn(text);
    expect(pids).toHaveLength(3);
    expect(await survivors(pids)).toEqual([]);
    expect(await survivors(pidsOf(spinner))).toEqual([]);
  }, 30_000);
});

/** The pids of the processes running `file`. */
function pidsOf(file: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').includes(file)) pids.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}
