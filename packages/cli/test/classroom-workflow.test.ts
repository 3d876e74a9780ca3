// The GitHub Classroom template's workflow (templates/classroom/.github/workflows/classroom.yml):
// it parses, names only actions pinned to a full commit SHA, asks for the permissions the
// reporter needs, and wires the grading step's result into the reporter as the reporter reads it
// (runners: <id>, env <ID>_RESULTS = steps.<id>.outputs.result; the job id is the check run name
// the reporter updates). See src/classroom/result.ts for the reporter's source this follows.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listLabs } from '@milab/labs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CLASSROOM_TEMPLATE_DIR, CLASSROOM_WORKFLOW, PLACEHOLDERS } from '../src/classroom/init.js';
import { repo } from './support.js';

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string | number>;
  'working-directory'?: string;
}
interface Workflow {
  name: string;
  on: string[];
  permissions: Record<string, string>;
  env: Record<string, string>;
  jobs: Record<string, { 'runs-on': string; if?: string; steps: Step[] }>;
}

const text = readFileSync(join(repo, CLASSROOM_TEMPLATE_DIR, CLASSROOM_WORKFLOW), 'utf8');
const workflow = parse(text) as Workflow;
const job = workflow.jobs['run-autograding-tests'];
const steps = job?.steps ?? [];
// The README's first command: `npx -y pnpm@12.4.2 install && ./milab start`.
const firstCommand = /```sh\n(?:#.*\n)*(.+)\n/.exec(readFileSync(join(repo, 'README.md'), 'utf8'))?.[1] ?? '';

describe('the GitHub Classroom workflow template', () => {
  it('parses, runs on push and by hand, on ubuntu-latest, in the job the reporter looks for', () => {
    expect(workflow.name).toBe('Autograding Tests');
    expect(workflow.on).toEqual(['push', 'workflow_dispatch']);
    // notify-classroom.js updates the check run named "run-autograding-tests": the job id.
    expect(Object.keys(workflow.jobs)).toEqual(['run-autograding-tests']);
    expect(job?.['runs-on']).toBe('ubuntu-latest');
    expect(job?.if).toBe("github.actor != 'github-classroom[bot]'");
  });

  it('asks only for what the reporter needs', () => {
    expect(workflow.permissions).toEqual({ checks: 'write', actions: 'read', contents: 'read' });
  });

  it('names every action pinned to a full commit SHA', () => {
    const uses = steps.filter((s) => s.uses).map((s) => s.uses!);
    expect(uses.map((u) => u.split('@')[0])).toEqual(['actions/checkout', 'actions/checkout', 'actions/setup-node', 'classroom-resources/autograding-grading-reporter']);
    for (const use of uses) expect(use).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
    // Each pin says which release it is, on its line.
    for (const use of uses) expect(text).toMatch(new RegExp(`${use.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} # v\\d`));
  });

  it('hands the grading step\'s result to the reporter as the reporter reads it', () => {
    const reporter = steps.find((s) => s.uses?.startsWith('classroom-resources/autograding-grading-reporter@'));
    const runners = String(reporter?.with?.runners ?? '').split(',').map((r) => r.trim());
    expect(runners.length).toBeGreaterThan(0);
    for (const runner of runners) {
      // src/main.js: process.env[`${runner.trim().toUpperCase()}_RESULTS`], base64 JSON.
      expect(reporter?.env?.[`${runner.toUpperCase()}_RESULTS`]).toBe(`\${{ steps.${runner}.outputs.result }}`);
      const grading = steps.find((s) => s.id === runner);
      expect(grading?.run).toMatch(/\.\/milab grade all --classroom\)/);
      expect(grading?.run).toMatch(/echo "result=\$\{result\}" >> "\$GITHUB_OUTPUT"/);
      expect(steps.indexOf(grading!)).toBeLessThan(steps.indexOf(reporter!));
    }
    // The reporter's error path accepts only letters and digits in runner ids.
    for (const runner of runners) expect(runner).toMatch(/^[a-zA-Z0-9]+$/);
  });

  it('installs milab with the README\'s first command, at the one pinned milab, on Node 20', () => {
    expect(firstCommand).toBe('npx -y pnpm@12.4.2 install && ./milab start');
    const [install, start] = firstCommand.split(' && ');
    expect(steps.find((s) => s.name === 'Install milab')?.run).toBe(install);
    expect(steps.find((s) => s.name?.startsWith('Start the emulator'))?.run).toMatch(new RegExp(`^\\s*${start!.replace(/[./]/g, '\\$&')}$`, 'm'));
    expect(steps.find((s) => s.uses?.startsWith('actions/setup-node@'))?.with?.['node-version']).toBe(20);
    expect(workflow.env).toEqual({ MILAB_REPOSITORY: PLACEHOLDERS.repository, MILAB_REF: PLACEHOLDERS.ref });
    const milab = steps.find((s) => s.with?.path === 'milab');
    expect(milab?.with).toMatchObject({ repository: '${{ env.MILAB_REPOSITORY }}', ref: '${{ env.MILAB_REF }}', 'persist-credentials': false });
    // The learner's code runs in this job: no checkout leaves the token in .git/config.
    for (const step of steps.filter((s) => s.uses?.startsWith('actions/checkout@'))) expect(step.with?.['persist-credentials']).toBe(false);
  });

  it("runs the learner's programs for the labs they run themselves, in lab order; grading runs the VM labs", () => {
    const runStep = steps.find((s) => s.name?.startsWith('Start the emulator'))?.run ?? '';
    const listed = /for lab in ([^;]+);/.exec(runStep)?.[1]?.trim().split(/\s+/);
    expect(listed).toEqual(listLabs().filter((lab) => lab.runsOn !== 'vm').map((lab) => lab.folder));
    expect(runStep).toMatch(/node --conditions=source --import tsx "labs\/\$\{lab\}\/starter\/index\.ts"/);
    // Only the starters come from the learner's repository.
    expect(steps.find((s) => s.name === 'Put your lab programs into milab')?.run).toMatch(/for file in work\/labs\/\*\/starter\/index\.ts work\/labs\/\*\/starter\/vm\.ts;/);
  });
});
