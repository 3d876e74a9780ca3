// The benchmark suite (scripts/bench) keeps running: its in-process parts with --quick counts
// print the one table with a row for each, and --help and a bad --only answer as documented.
// Nothing here looks at the numbers (speed is for the suite, not for tests). The process-heavy
// parts (cold-start, cli: a dozen CLI start-ups) are left to `pnpm bench` itself, to keep this short.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');
const bench = (...args: string[]) =>
  spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', join(root, 'scripts', 'bench', 'index.ts'), ...args], { cwd: root, encoding: 'utf8', timeout: 170_000 });

describe('scripts/bench', () => {
  it('lists every part in --help, and names the parts it knows when --only names another', () => {
    const help = bench('--help');
    expect(help.status).toBe(0);
    for (const part of ['grading', 'arm-get', 'cold-start', 'store', 'cli']) expect(help.stdout).toMatch(new RegExp(`^  ${part} `, 'm'));
    const wrong = bench('--only', 'nope');
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toContain('--only nope: no such part; expected one of grading, arm-get, cold-start, store, cli, class-grade');
  });

  it('runs grading, arm-get and store with --quick counts and prints one table with their rows and targets', () => {
    const run = bench('--quick', '--only', 'grading,arm-get,store');
    expect(run.stderr).not.toContain('could not run');
    expect(run.status).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines.filter((l) => l.startsWith('| part ')).length).toBe(1);
    for (const part of ['grading', 'arm-get', 'store']) expect(lines.some((l) => l.startsWith(`| ${part} `))).toBe(true);
    expect(run.stdout).not.toContain('could not run');
    expect(run.stdout).toMatch(/[✔✖] ≥ 0\.6 × bare/);
    expect(run.stdout).toMatch(/critical path of labs 01–03: 01\.identity-exists/);
  }, 180_000);
});
