// The audit log: written in batches off the request path (yet read back at once in the same
// process, and written out on close and at exit), rotated at its size cap with one old file
// kept, and read from the end: `limit` entries cost what they take to find, not the file.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AUDIT_FILE, AUDIT_OLD_FILE, AuditLog, clearAudit, readAudit, type AuditEntry } from '../src/audit.js';
import { SEED } from '../src/world.js';
import { startTestEmulator, tempStateDir } from './helpers.js';

const entry = (n: number, principal = 'learner', path = `/subscriptions/x/n/${n}`): AuditEntry => ({
  time: new Date(1_700_000_000_000 + n).toISOString(),
  principal,
  method: 'GET',
  path,
  status: 200,
  durationMs: n,
});
const numbers = (entries: AuditEntry[]) => entries.map((e) => e.durationMs);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('writing', () => {
  it('an ARM call reaches the file on its own (no reader flushing it) within the flush interval', async () => {
    const emu = await startTestEmulator();
    const file = join(emu.stateDir, AUDIT_FILE);
    const token = await emu.token('grader');
    expect((await emu.http('GET', `/subscriptions/${SEED.subscriptionId}?api-version=2022-12-01`, { token })).status).toBe(200);
    // Generous bound: the batch is due after 50 ms.
    for (const deadline = Date.now() + 10_000; !(existsSync(file) && readFileSync(file, 'utf8').includes('"grader"')) && Date.now() < deadline; ) await sleep(20);
    expect(readFileSync(file, 'utf8')).toContain(`/subscriptions/${SEED.subscriptionId}`);
    await emu.stop();
  });

  it('readAudit in the same process sees every call made before it; flushAudit() writes the file', async () => {
    const emu = await startTestEmulator();
    const token = await emu.token('grader');
    for (let i = 0; i < 3; i++) await emu.http('GET', `/subscriptions/${SEED.subscriptionId}?api-version=2022-12-01`, { token });
    expect(readAudit(emu.stateDir, { principal: 'grader' })).toHaveLength(3);
    await emu.http('GET', `/subscriptions/${SEED.subscriptionId}/resourceGroups?api-version=2021-04-01`, { token });
    emu.emulator.flushAudit();
    expect(readFileSync(join(emu.stateDir, AUDIT_FILE), 'utf8').trimEnd().split('\n')).toHaveLength(4);
    await emu.stop();
  });

  it('close() writes what is buffered', () => {
    const stateDir = tempStateDir();
    const audit = new AuditLog(stateDir, { flushMs: 60_000 });
    audit.append(entry(1));
    expect(existsSync(join(stateDir, AUDIT_FILE))).toBe(false);
    audit.close();
    expect(numbers(readAudit(stateDir))).toEqual([1]);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('process exit writes what is buffered', () => {
    const stateDir = tempStateDir();
    const module = fileURLToPath(new URL('../src/audit.ts', import.meta.url));
    const script = `import { AuditLog } from ${JSON.stringify(module)}; const a = new AuditLog(${JSON.stringify(stateDir)}, { flushMs: 60_000 }); a.append({ time: 't', principal: 'p', method: 'GET', path: '/x', status: 200, durationMs: 7 }); process.exit(0);`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(run.stderr).toBe('');
    expect(numbers(readAudit(stateDir))).toEqual([7]);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('rotates at the size cap to audit.log.1, keeping one old file, and reads across both in order', () => {
    const stateDir = tempStateDir();
    const one = `${JSON.stringify(entry(10))}\n`.length;
    // Room for five entries a file; each append is flushed alone.
    const audit = new AuditLog(stateDir, { maxBytes: one * 5 });
    for (let n = 10; n < 22; n++) {
      audit.append(entry(n));
      audit.flush();
    }
    audit.close();
    expect(statSync(join(stateDir, AUDIT_FILE)).size).toBeLessThanOrEqual(one * 5);
    expect(numbers(readAudit(stateDir))).toEqual([15, 16, 17, 18, 19, 20, 21]);
    expect(numbers(readAudit(stateDir, { limit: 4 }))).toEqual([18, 19, 20, 21]);
    expect(readFileSync(join(stateDir, AUDIT_OLD_FILE), 'utf8').trimEnd().split('\n')).toHaveLength(5);
    clearAudit(stateDir);
    expect(readAudit(stateDir)).toEqual([]);
    expect(existsSync(join(stateDir, AUDIT_OLD_FILE))).toBe(false);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('emulator reset empties both files', async () => {
    const emu = await startTestEmulator();
    writeFileSync(join(emu.stateDir, AUDIT_OLD_FILE), `${JSON.stringify(entry(1))}\n`);
    await emu.http('GET', `/subscriptions/${SEED.subscriptionId}?api-version=2022-12-01`);
    emu.emulator.reset();
    expect(readAudit(emu.stateDir)).toEqual([]);
    await emu.stop();
  });
});

describe('reading from the end', () => {
  it('finds the last entries of a log far too large to load (a 1 GiB sparse head) without reading it', () => {
    const stateDir = tempStateDir();
    const file = join(stateDir, AUDIT_FILE);
    const fd = openSync(file, 'w');
    // A gigabyte of NUL bytes and no newline: loading it whole fails (or takes a gigabyte).
    ftruncateSync(fd, 1024 ** 3);
    const tail = [entry(1, 'grader'), entry(2), entry(3, 'grader'), entry(4), entry(5)];
    writeSync(fd, `\n${tail.map((e) => `${JSON.stringify(e)}\n`).join('')}`, 1024 ** 3);
    closeSync(fd);
    expect(numbers(readAudit(stateDir, { limit: 2 }))).toEqual([4, 5]);
    expect(numbers(readAudit(stateDir, { principal: 'GRADER', limit: 2 }))).toEqual([1, 3]);
    // Without a limit it reads on, skipping the gigabyte as one junk line rather than holding it.
    expect(numbers(readAudit(stateDir, { principal: 'grader' }))).toEqual([1, 3]);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('keeps lines whole across chunk boundaries: long lines, multi-byte characters, a torn last line and junk skipped', () => {
    const stateDir = tempStateDir();
    const entries = Array.from({ length: 400 }, (_, n) => entry(n, n % 3 === 0 ? 'grader' : 'learner', `/é/${'ü€'.repeat(n * 7)}/${n}`));
    const text = entries.map((e, n) => `${JSON.stringify(e)}\n${n === 200 ? 'not json\n\nnull\n' : ''}`).join('');
    writeFileSync(join(stateDir, AUDIT_FILE), `${text}{"time":"torn`);
    expect(readAudit(stateDir)).toEqual(entries);
    expect(readAudit(stateDir, { principal: 'grader', limit: 50 })).toEqual(entries.filter((e) => e.principal === 'grader').slice(-50));
    expect(readAudit(stateDir, { limit: 0 })).toEqual([]);
    expect(readAudit(tempStateDir())).toEqual([]);
    rmSync(stateDir, { recursive: true, force: true });
  });
});
