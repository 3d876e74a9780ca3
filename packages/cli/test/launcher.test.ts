// The launcher (bin/milab.mjs, and ./milab at the root): it runs the CLI's JavaScript bundle, builds
// it when there is none, rebuilds it when a file it was built from changed, and otherwise runs it
// as it is. Works on a copy of the repository's sources (its node_modules linked to the real one)
// with its own cache, so other edits in the working tree cannot trigger a rebuild mid-test.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, repo, type CliResult } from './support.js';

function exec(file: string, args: string[], env: Record<string, string>, cwd: string): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env: cleanEnv(env), timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('the launcher', () => {
  let copy: string;
  let cache: string;
  let home: string;
  const env = () => ({ MILAB_CLI_CACHE: cache, MILAB_HOME: home, MILAB_LEARNER: 'ada' });
  const milab = (...args: string[]) => exec(join(copy, 'milab'), args, env(), copy);
  const current = () => JSON.parse(readFileSync(join(cache, 'current.json'), 'utf8')) as { dir: string; builtAt: number; inputs: string[] };
  const builds = () => readdirSync(cache).filter((name) => name.startsWith('build-'));

  beforeAll(() => {
    copy = mkdtempSync(join(tmpdir(), 'milab-launcher-repo-'));
    cache = mkdtempSync(join(tmpdir(), 'milab-launcher-cache-'));
    home = mkdtempSync(join(tmpdir(), 'milab-launcher-home-'));
    // The sources, with the packages' own node_modules (symlinks, relative: they resolve in the copy),
    // and their times: a file changed just before a build (here: copied) rebuilds once more.
    for (const name of ['packages', 'graders', 'labs', 'milab', 'package.json', 'pnpm-workspace.yaml']) {
      cpSync(join(repo, name), join(copy, name), { recursive: true, verbatimSymlinks: true, preserveTimestamps: true, filter: (path) => !path.includes('.vitest') && !path.includes(`${join('node_modules', '.vite')}`) });
    }
    symlinkSync(join(repo, 'node_modules'), join(copy, 'node_modules'));
  });
  afterAll(() => {
    for (const dir of [copy, cache, home]) rmSync(dir, { recursive: true, force: true });
  });

  it('builds the bundle on first use, then runs it without rebuilding', async () => {
    const first = await milab('config', 'show');
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('learnerId       ada');
    const built = current();
    expect(built.inputs).toContain(join(copy, 'packages/cli/src/main.ts'));
    expect(built.inputs).toContain(join(copy, 'packages/core/src/config.ts'));
    expect(readdirSync(join(cache, built.dir))).toContain('main.js');

    const again = await milab('config', 'show');
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(first.stdout);
    expect(current()).toEqual(built);
    expect(builds()).toEqual([built.dir]);
  }, 120_000);

  it('rebuilds when a source file changed, and runs the new code', async () => {
    const before = current();
    const hint = join(copy, 'packages/cli/src/commands/hint.ts');
    const text = readFileSync(hint, 'utf8');
    expect(text).toContain("Show the lab's next hint");
    writeFileSync(hint, text.replace("Show the lab's next hint", 'Show the next hint of the lab (edited)'));
    // Clearly newer than the build, whatever the filesystem's mtime resolution.
    const later = new Date(before.builtAt + 5_000);
    utimesSync(hint, later, later);
    const help = await milab('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Show the next hint of the lab (edited)');
    expect(current().dir).not.toBe(before.dir);
  }, 120_000);

  it('paths the bundle computes from its sources point into the repository (the labs, the grader harness)', async () => {
    // `milab hint 01` reads labs/01-*/lab.json through the labs package's own location.
    const hint = await milab('hint', '01');
    expect(hint.code).toBe(0);
    expect(hint.stdout).toMatch(/^Lab 01 — .*: hint 1 of \d+/);
  }, 120_000);

  it('a source that does not compile: the file and line, the next step, exit 2 (no stack trace)', async () => {
    const status = join(copy, 'packages/cli/src/commands/status.ts');
    const text = readFileSync(status, 'utf8');
    writeFileSync(status, `${text}\nexport const broken = ;\n`);
    const later = new Date(Date.now() + 10_000);
    utimesSync(status, later, later);
    try {
      const result = await milab('--help');
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^milab: could not build the milab command from its sources:\n {2}packages\/cli\/src\/commands\/status\.ts:\d+:\d+: /);
      expect(result.stderr).toContain('next step: fix the file named above');
      expect(result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      writeFileSync(status, text);
      utimesSync(status, later, later);
    }
    expect((await milab('--help')).code).toBe(0);
  }, 120_000);
});

it('./milab before the install says to install first (exit 2)', async () => {
  const bare = mkdtempSync(join(tmpdir(), 'milab-launcher-bare-'));
  try {
    cpSync(join(repo, 'milab'), join(bare, 'milab'));
    const result = await exec(join(bare, 'milab'), ['--help'], {}, tmpdir());
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('the dependencies are not installed');
    expect(result.stderr).toContain('npx -y pnpm@12.4.2 install');
  } finally {
    rmSync(bare, { recursive: true, force: true });
  }
});
