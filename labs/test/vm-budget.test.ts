// runOnVm's clock with a start-up limit (startupTimeoutMs): the run's time limit counts from the
// program's markReady, so a slow start-up (a busy machine's Node, tsx and module loading) is not
// charged to the code that then runs; a program that never gets loaded is still stopped by the
// start-up limit, and one that hangs once loaded by the run's. The programs are small scripts in
// a temporary folder that import markReady from the labs' sources; nothing needs the emulator.
// No timed assertions: which limit stopped a run, and that the mark was seen, are asserted.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { READY_LINE, runOnVm } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'milab-vm-budget-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const contained = pathToFileURL(fileURLToPath(new URL('../src/contained.ts', import.meta.url))).href;

/** Writes a program that imports markReady; returns its path. */
function program(name: string, body: string): string {
  const file = join(dir, `${name}.mts`);
  writeFileSync(file, `import { writeSync } from 'node:fs';\nimport { markReady } from ${JSON.stringify(contained)};\n${body}\n`);
  return file;
}
const sleep = (ms: number) => `await new Promise((resolve) => setTimeout(resolve, ${ms}));`;
const result = (text: string) => `writeSync(3, ${JSON.stringify(`${text}\n`)});`;

describe('runOnVm with a start-up limit', () => {
  it('a start-up longer than the run limit is not charged: the program runs on after its mark and its result arrives whole', async () => {
    // 6 s of "start-up", then half a second of work, under a run limit of 5 s: stopped if the start-up counted.
    const file = program('slow-start', `${sleep(6_000)}\nmarkReady();\n${sleep(500)}\n${result('{"ok":true}')}`);
    const run = await runOnVm(file, { env: process.env, timeoutMs: 5_000, startupTimeoutMs: 25_000, resultChannel: true });
    expect(run.timedOut).toBe(false);
    expect(run.exitCode).toBe(0);
    // The ready line is the clock's, not part of the result.
    expect(run.result).toBe('{"ok":true}\n');
    expect(run.result).not.toContain(READY_LINE);
    expect(run.readyAfterMs).toBeGreaterThanOrEqual(6_000);
    expect(run.durationMs).toBeGreaterThanOrEqual(run.readyAfterMs!);
  }, 30_000);

  it('a program that hangs once loaded is still stopped, by the run limit, with when it was loaded', async () => {
    const file = program('hangs', `markReady();\nprocess.on('SIGTERM', () => {});\nsetInterval(() => {}, 1_000);\nawait new Promise(() => {});`);
    const run = await runOnVm(file, { env: process.env, timeoutMs: 1_000, startupTimeoutMs: 20_000, resultChannel: true });
    expect(run.timedOut).toBe(true);
    expect(run.timedOutIn).toBe('run');
    expect(run.readyAfterMs).toBeTypeOf('number');
    expect(run.exitCode).toBeNull();
  }, 30_000);

  it('a program whose top level never finishes (no mark) is stopped by the start-up limit', async () => {
    const file = program('never-loaded', `process.on('SIGTERM', () => {});\nfor (;;) {}\nmarkReady();`);
    const run = await runOnVm(file, { env: process.env, timeoutMs: 60_000, startupTimeoutMs: 3_000, resultChannel: true });
    expect(run.timedOut).toBe(true);
    expect(run.timedOutIn).toBe('startup');
    expect(run.readyAfterMs).toBeUndefined();
  }, 30_000);

  it('a result channel that does not start with the mark is kept as written (the clock never started)', async () => {
    const file = program('no-mark', `${result('{"early":true}')}\nmarkReady();`);
    const run = await runOnVm(file, { env: process.env, timeoutMs: 60_000, startupTimeoutMs: 60_000, resultChannel: true });
    expect(run.timedOut).toBe(false);
    expect(run.readyAfterMs).toBeUndefined();
    expect(run.result).toBe(`{"early":true}\n${READY_LINE}\n`);
  }, 30_000);

  it('without a start-up limit markReady changes nothing: its line is kept as written, no clock', async () => {
    const file = program('unclocked', `markReady();\n${result('{"ok":true}')}`);
    const run = await runOnVm(file, { env: process.env, timeoutMs: 60_000, resultChannel: true });
    expect(run.timedOut).toBe(false);
    expect(run.readyAfterMs).toBeUndefined();
    expect(run.result).toBe(`${READY_LINE}\n{"ok":true}\n`);
  }, 30_000);
});
