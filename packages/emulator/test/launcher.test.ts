// The launcher runs the emulator process from its JavaScript bundle (no tsx at run time): built on
// first use, reused while no source changed, rebuilt after a change, and a source that does not
// compile is a LaunchError naming the file and line, before anything is started. Works on a copy
// of the repository's packages (their node_modules linked to the real ones) with its own cache,
// so other edits in the working tree cannot trigger a rebuild mid-test.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as Launcher from '../src/launcher.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

describe('the emulator process runs from its bundle', () => {
  let copy: string;
  let cache: string;
  let launcher: typeof Launcher;
  const env = () => ({ ...process.env, MILAB_EMULATOR_CACHE: cache });
  const current = () => JSON.parse(readFileSync(join(cache, 'current.json'), 'utf8')) as { dir: string; entry: string; builtAt: number; inputs: string[] };
  const builds = () => readdirSync(cache).filter((name) => name.startsWith('build-'));
  const edit = (file: string, change: (text: string) => string, at: number) => {
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, change(text));
    // Clearly newer than the build, whatever the filesystem's mtime resolution.
    utimesSync(file, new Date(at), new Date(at));
    return text;
  };
  /** Starts an emulator on a fresh state directory, returns what its process log says, and stops it. */
  const startAndStop = async (): Promise<string> => {
    const stateDir = mkdtempSync(join(tmpdir(), 'milab-launcher-state-'));
    try {
      await launcher.startDetached({ stateDir, port: 0, env: env(), timeoutMs: 60_000 });
      // The process logs that it serves just after it wrote connection.json (which start waits for).
      const log = () => readFileSync(join(stateDir, launcher.PROCESS_LOG_FILE), 'utf8');
      for (let waited = 0; !log().includes(' at https://') && waited < 20_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      return log();
    } finally {
      await launcher.stopEmulator(stateDir);
      rmSync(stateDir, { recursive: true, force: true });
    }
  };

  beforeAll(async () => {
    copy = mkdtempSync(join(tmpdir(), 'milab-launcher-repo-'));
    cache = mkdtempSync(join(tmpdir(), 'milab-launcher-cache-'));
    for (const name of ['packages', 'package.json', 'pnpm-workspace.yaml', 'tsconfig.base.json']) {
      cpSync(join(repo, name), join(copy, name), { recursive: true, verbatimSymlinks: true, preserveTimestamps: true, filter: (path) => !path.includes('.vitest') && !path.includes(join('node_modules', '.vite')) });
    }
    symlinkSync(join(repo, 'node_modules'), join(copy, 'node_modules'));
    // The copy's own launcher: its repository root (and so its sources and bundler) is the copy.
    launcher = (await import(pathToFileURL(join(copy, 'packages/emulator/src/launcher.ts')).href)) as typeof Launcher;
  });
  afterAll(() => {
    for (const dir of [copy, cache]) rmSync(dir, { recursive: true, force: true });
  });

  it('builds the bundle on first start, then starts from it without rebuilding', { timeout: 120_000 }, async () => {
    expect(await startAndStop()).toContain('serving Entra and ARM at');
    const built = current();
    expect(built.entry).toBe('emulator.js');
    expect(built.inputs).toContain(join(copy, 'packages/emulator/src/bin.ts'));
    expect(built.inputs).toContain(join(copy, 'packages/emulator/src/server.ts'));
    expect(readdirSync(join(cache, built.dir))).toContain('emulator.js');
    // Not tsx: the process runs node on the bundle.
    expect(await launcher.emulatorProcessArgs({ ...env(), MILAB_DEBUG: '' })).toEqual([join(cache, built.dir, 'emulator.js')]);
    expect(await launcher.emulatorProcessArgs({ ...env(), MILAB_DEBUG: '1' })).toEqual(['--enable-source-maps', join(cache, built.dir, 'emulator.js')]);

    await startAndStop();
    expect(current()).toEqual(built);
    expect(builds()).toEqual([built.dir]);
  });

  it('rebuilds when a source changed, and the process runs the new code', { timeout: 120_000 }, async () => {
    const before = current();
    edit(join(copy, 'packages/emulator/src/bin.ts'), (text) => text.replace('serving Entra and ARM at', 'serving Entra and ARM (edited) at'), before.builtAt + 5_000);
    expect(await startAndStop()).toContain('serving Entra and ARM (edited) at');
    expect(current().dir).not.toBe(before.dir);
  });

  it('a source that does not compile: a LaunchError with the file and line and the next step, nothing started', { timeout: 120_000 }, async () => {
    const server = join(copy, 'packages/emulator/src/server.ts');
    const later = Date.now() + 10_000;
    const text = edit(server, (source) => `${source}\nexport const broken = ;\n`, later);
    const stateDir = join(tmpdir(), `milab-launcher-never-${process.pid}`);
    try {
      const failure = await launcher.startDetached({ stateDir, port: 0, env: env() }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(launcher.LaunchError);
      const error = failure as Launcher.LaunchError;
      expect(error.problems?.[0]).toMatch(/^packages\/emulator\/src\/server\.ts:\d+:\d+: /);
      expect(error.message).toMatch(/^the emulator could not be built from its sources:\n {2}packages\/emulator\/src\/server\.ts:\d+:\d+: /);
      expect(error.message).toContain('next step: fix the file named above');
      expect(existsSync(stateDir)).toBe(false);
    } finally {
      writeFileSync(server, text);
      utimesSync(server, new Date(later), new Date(later));
      rmSync(stateDir, { recursive: true, force: true });
    }
    expect(await startAndStop()).toContain('serving Entra and ARM');
  });
});
