// connection.json as clients read it, and where local state lives: shared by core and the emulator.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectionPath, defaultStateDir, milabHome, readConnection, repoRoot } from '../src/index.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'milab-common-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('readConnection', () => {
  const write = (dir: string, value: unknown) => writeFileSync(connectionPath(dir), typeof value === 'string' ? value : JSON.stringify(value));

  it('is the connection of a live emulator', () => {
    const dir = tempDir();
    write(dir, { version: 1, pid: process.pid, url: 'https://127.0.0.1:8443' });
    expect(readConnection(dir)).toMatchObject({ pid: process.pid, url: 'https://127.0.0.1:8443' });
  });

  it('is undefined without a file, for a file that does not parse, another version, or a process that is gone', () => {
    const dir = tempDir();
    expect(readConnection(dir)).toBeUndefined();
    write(dir, '{ not json');
    expect(readConnection(dir)).toBeUndefined();
    write(dir, { version: 2, pid: process.pid });
    expect(readConnection(dir)).toBeUndefined();
    // Pid numbers above the kernel's maximum (4194304 on Linux) never name a process.
    write(dir, { version: 1, pid: 99_999_999 });
    expect(readConnection(dir)).toBeUndefined();
  });
});

describe('where local state lives', () => {
  it('the home and the emulator directory come from the environment first, else from the repository', () => {
    expect(milabHome({ MILAB_HOME: ' /tmp/x ' })).toBe(resolve('/tmp/x'));
    expect(defaultStateDir({ MILAB_HOME: '/tmp/x' })).toBe(resolve('/tmp/x/emulator'));
    expect(defaultStateDir({ MILAB_HOME: '/tmp/x', MILAB_EMULATOR_DIR: '/tmp/y' })).toBe(resolve('/tmp/y'));
    expect(milabHome({})).toBe(join(repoRoot(), '.milab'));
  });
});
