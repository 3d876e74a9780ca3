// One emulator per state directory: simultaneous starts leave exactly one serving and lose no
// acknowledged write; a refused start names the running pid and port and exits 2; a lock left
// by a dead process (or a reused pid) is taken over; close and exit release it.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig, repoRoot } from '../src/config.js';
import { isProcessAlive, readConnection, type EmulatorConnection } from '../src/connection.js';
import { LaunchError, startDetached, stopEmulator } from '../src/launcher.js';
import { LOCK_FILE, readLockOwner } from '../src/lock.js';
import { writeSeededWorld } from '../src/reset.js';
import { createEmulator, EmulatorStartError } from '../src/server.js';
import { readWorld } from '../src/store.js';
import { clientsFor, tempStateDir } from './helpers.js';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid ?? 0;
}

const quiet = (stateDir: string, port = 0) => parseConfig({ stateDir, port, log: () => undefined });

describe('one emulator per state directory', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) {
      await stopEmulator(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('20 simultaneous starts: exactly one serves, the others (and 5 more started while it takes writes) exit 2 naming its pid and port, and no write acknowledged meanwhile is lost', async () => {
    const dir = tempStateDir();
    dirs.push(dir);
    const port = await freePort();
    const start = () => startDetached({ stateDir: dir, port, timeoutMs: 120_000 });
    const starts = Array.from({ length: 20 }, start);
    let settled = false;
    const all = Promise.allSettled(starts);
    // Write to whichever emulator serves as soon as one does, while the others are still
    // starting; a second wave of 5 starts races the writes too.
    const acknowledged: string[] = [];
    let secondWave: Promise<PromiseSettledResult<EmulatorConnection>[]> = Promise.resolve([]);
    const writer = (async () => {
      let connection: EmulatorConnection | undefined;
      while (!connection && !settled) {
        connection = readConnection(dir);
        if (!connection) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      if (!connection) return;
      secondWave = Promise.allSettled(Array.from({ length: 5 }, start));
      void Promise.all([all, secondWave]).finally(() => {
        settled = true;
      });
      const { msi } = clientsFor(connection, readFileSync(connection.caFile, 'utf8'), 'learner');
      for (let i = 0; !settled || i < 5; i++) {
        const name = `raced-${i}`;
        await msi.userAssignedIdentities.createOrUpdate('DevTest', name, { location: 'westus' });
        acknowledged.push(name);
      }
    })();
    const results = await all;
    await writer;
    const late = await secondWave;
    expect(late).toHaveLength(5);
    for (const result of late) expect(result.status === 'rejected' && (result.reason as LaunchError).exitCode).toBe(2);
    const served = results.filter((r): r is PromiseFulfilledResult<EmulatorConnection> => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(served).toHaveLength(1);
    const winner = served[0]!.value;
    expect(winner.port).toBe(port);
    expect(isProcessAlive(winner.pid)).toBe(true);
    expect(refused).toHaveLength(19);
    for (const { reason } of refused) {
      expect(reason).toBeInstanceOf(LaunchError);
      expect((reason as LaunchError).exitCode).toBe(2);
      expect((reason as LaunchError).logTail).toContain(`an emulator (pid ${winner.pid}) already serves ${dir}`);
      expect((reason as LaunchError).logTail).toContain(`port ${port}`);
    }
    expect(acknowledged.length).toBeGreaterThanOrEqual(5);
    const stored = new Set(Object.values(readWorld(dir)?.resources ?? {}).map((r) => r.name));
    expect(acknowledged.filter((name) => !stored.has(name))).toEqual([]);
    expect(readLockOwner(dir)?.pid).toBe(winner.pid);
    await stopEmulator(dir);
    for (let waited = 0; isProcessAlive(winner.pid) && waited < 10_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    // A clean stop removes the lock with connection.json.
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  }, 180_000);

  it('refuses a second emulator in the same process, naming the pid and URL, and lets one start after close()', async () => {
    const dir = tempStateDir();
    dirs.push(dir);
    const first = createEmulator(quiet(dir));
    const url = await first.listen();
    let refusal: unknown;
    try {
      createEmulator(quiet(dir));
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(EmulatorStartError);
    expect((refusal as EmulatorStartError).code).toBe('AlreadyRunning');
    expect((refusal as Error).message).toBe(`an emulator (pid ${process.pid}) already serves ${dir} at ${url} (port ${new URL(url).port})`);
    await first.close();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    const second = createEmulator(quiet(dir));
    await second.listen();
    await second.close();
  });

  it('an offline reset is refused while an emulator holds the directory, and leaves its world alone', async () => {
    const dir = tempStateDir();
    dirs.push(dir);
    const emulator = createEmulator(quiet(dir));
    const url = await emulator.listen();
    const before = readFileSync(join(dir, 'world.mdb'));
    expect(() => writeSeededWorld(dir)).toThrow(`an emulator (pid ${process.pid}) already serves ${dir} at ${url}`);
    expect(readFileSync(join(dir, 'world.mdb')).equals(before)).toBe(true);
    await emulator.close();
    expect(writeSeededWorld(dir)).toEqual([]);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('a process that exits without close() leaves no lock behind', async () => {
    const dir = tempStateDir();
    dirs.push(dir);
    const code = [
      `import { createEmulator } from ${JSON.stringify(new URL('../src/server.ts', import.meta.url).pathname)};`,
      `import { parseConfig } from ${JSON.stringify(new URL('../src/config.ts', import.meta.url).pathname)};`,
      `const emulator = createEmulator(parseConfig({ stateDir: ${JSON.stringify(dir)}, port: 0, log: () => undefined }));`,
      'await emulator.listen();',
      "import { existsSync } from 'node:fs';",
      `process.stdout.write(existsSync(${JSON.stringify(join(dir, LOCK_FILE))}) ? 'locked' : 'unlocked');`,
      'process.exit(0);',
    ].join('\n');
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', code], { cwd: repoRoot() });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exitCode = await new Promise((resolve) => child.once('exit', resolve));
    expect({ exitCode, out }).toEqual({ exitCode: 0, out: 'locked' });
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('takes over a lock left by a process that is gone', async () => {
    const dir = tempStateDir();
    dirs.push(dir);
    const pid = await deadPid();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid, nonce: 'left-behind', acquiredAt: new Date().toISOString(), port: 1 }));
    const emulator = createEmulator(quiet(dir));
    await emulator.listen();
    expect(readLockOwner(dir)?.pid).toBe(process.pid);
    await emulator.close();
  });

  it.runIf(existsSync('/proc/self/stat'))('takes over a lock whose pid now belongs to another process (a different start time)', async () => {
    const dir = tempStateDir();
    dirs.push(dir);
    // This process is alive, but it is not the one that wrote the lock: its start time differs.
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: process.pid, processStart: '1', nonce: 'reused-pid', acquiredAt: new Date().toISOString() }));
    const emulator = createEmulator(quiet(dir));
    expect(readLockOwner(dir)?.nonce).not.toBe('reused-pid');
    await emulator.close();
  });

  it('a lock file that is not a lock (empty, garbage) is stale, not a reason to refuse', async () => {
    const dir = tempStateDir();
    dirs.push(dir);
    writeFileSync(join(dir, LOCK_FILE), '');
    const emulator = createEmulator(quiet(dir));
    expect(readLockOwner(dir)?.pid).toBe(process.pid);
    await emulator.close();
  });
});
