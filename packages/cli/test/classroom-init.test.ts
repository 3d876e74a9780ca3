// `milab classroom init [DIR]`: copies templates/classroom/ and every lab's starter into DIR, with
// the workflow's milab pin filled in, and never overwrites a file.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { listLabs } from '@milab/labs';
import { parse } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { CLASSROOM_WORKFLOW, githubRepository, initClassroom } from '../src/classroom/init.js';
import { registerClassroom } from '../src/commands/classroom.js';
import { runProgram } from './in-process.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'milab-classroom-init-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function program(): Command {
  const p = new Command('milab');
  registerClassroom(p);
  return p;
}

describe('milab classroom init', () => {
  it('writes the README, the workflow with its pin, and every starter', () => {
    const dir = join(tempDir(), 'template');
    const result = initClassroom(dir, { milabRepo: 'contoso/milab', milabRef: SHA });
    expect(result.files).toEqual(expect.arrayContaining([CLASSROOM_WORKFLOW, 'README.md', ...listLabs().map((l) => join('labs', l.folder, 'starter', 'index.ts')), ...listLabs().filter((l) => l.vmProgram).map((l) => join('labs', l.folder, 'starter', 'vm.ts'))]));
    for (const file of result.files) expect(existsSync(join(dir, file)), file).toBe(true);
    const workflow = parse(readFileSync(join(dir, CLASSROOM_WORKFLOW), 'utf8')) as { env: Record<string, string> };
    expect(workflow.env).toEqual({ MILAB_REPOSITORY: 'contoso/milab', MILAB_REF: SHA });
    // The starters, not anyone's solution: each still has its TODO.
    for (const lab of listLabs()) expect(readFileSync(join(dir, 'labs', lab.folder, 'starter', 'index.ts'), 'utf8')).toMatch(/todo\(/);
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toMatch(/How you are graded/);
  });

  it('refuses to overwrite, naming what exists, and writes nothing', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'labs', '01-create-identity', 'starter'), { recursive: true });
    writeFileSync(join(dir, 'labs', '01-create-identity', 'starter', 'index.ts'), '// mine\n');
    writeFileSync(join(dir, 'README.md'), '# mine\n');
    expect(() => initClassroom(dir, { milabRepo: 'contoso/milab', milabRef: SHA })).toThrow(/already has README\.md, labs\/01-create-identity\/starter\/index\.ts: `classroom init` never overwrites a file/);
    expect(existsSync(join(dir, CLASSROOM_WORKFLOW))).toBe(false);
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toBe('# mine\n');
  });

  it('refuses a pin that is not OWNER/NAME and a full commit SHA, with the next step', async () => {
    const bad = await runProgram(program(), ['classroom', 'init', tempDir(), '--milab-ref', 'v1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--milab-ref 'v1' is not a full commit SHA: expected 40 hex digits\.\n {2}next step: .*git rev-parse HEAD/);
    const repo = await runProgram(program(), ['classroom', 'init', tempDir(), '--milab-repo', 'milab']);
    expect(repo.code).toBe(2);
    expect(repo.stderr).toMatch(/--milab-repo 'milab' is not a GitHub repository: expected OWNER\/NAME/);
  });

  it('prints what it wrote and what to do next; has --help', async () => {
    const dir = tempDir();
    const done = await runProgram(program(), ['classroom', 'init', dir, '--milab-repo', 'contoso/milab', '--milab-ref', SHA]);
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/Wrote the GitHub Classroom template into .*\n {2}\.github\/workflows\/classroom\.yml/);
    expect(done.stdout).toMatch(`Graded by milab contoso/milab at ${SHA}.`);
    expect(done.stdout).toMatch(/template repository/);
    const help = await runProgram(program(), ['classroom', 'init', '--help']);
    expect(help.stdout).toMatch(/--milab-ref <sha>/);
  });

  it('reads the GitHub repository from a remote URL', () => {
    expect(githubRepository('https://github.com/contoso/milab.git')).toBe('contoso/milab');
    expect(githubRepository('git@github.com:contoso/milab.git')).toBe('contoso/milab');
    expect(githubRepository('https://github.com/contoso/milab')).toBe('contoso/milab');
    expect(githubRepository('https://gitlab.com/contoso/milab.git')).toBeUndefined();
    expect(githubRepository(undefined)).toBeUndefined();
  });
});
