// The actions of `milab class init | provision | env | teardown` (registered, with their options,
// in class.ts), loaded only when one of them runs. Progress: a bar on stderr when it is a
// terminal, one plain line per step otherwise, and with --json nothing but the summary.
import { readFileSync } from 'node:fs';
import { basename, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { isValidLearnerId, MilabError, sanitizeLearnerId, type Target } from '@milab/core';
import { SEED } from '@milab/emulator';
import { classLearnerEnv } from '../class/env.js';
import { loadClass, parseRoster, ROSTER_FILE, writeClassFolder, type ClassFolder, type ClassMode, type NewClass } from '../class/folder.js';
import { applyProvision, planProvision, type PlanStep, type ProvisionPlan } from '../class/provision.js';
import { openClassSession, parseConcurrency } from '../class/session.js';
import { applyTeardown, planTeardown, type TeardownStep } from '../class/teardown.js';
import { shellQuote } from './emulator-actions.js';

/** The class folder of a command: `--class`, else $MILAB_CLASS_DIR, else the current directory. */
function classDir(option: string | undefined): string {
  return option ?? process.env.MILAB_CLASS_DIR ?? '.';
}

function usage(message: string, hint: string): MilabError {
  return new MilabError(message, { code: 'MILAB_USAGE', hint, exitCode: 1 });
}

/** A path for messages: relative when under the current directory. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

// ---------------------------------------------------------------------------------------------
// init

interface InitOptions {
  classId?: string;
  mode: ClassMode;
  target: Target;
  learners?: string;
  roster?: string;
  subscription?: string;
  location?: string;
  graderPrincipalId?: string;
}

export function init(dir: string, options: InitOptions): void {
  const abs = resolve(dir);
  const classId = options.classId ?? sanitizeLearnerId(basename(abs));
  if (!isValidLearnerId(classId)) {
    throw usage(
      `invalid class id '${options.classId ?? basename(abs)}'${options.classId ? '' : ' (from the folder name)'}: expected lower-case letters, digits and dashes, at most 24 characters.`,
      'Pass one: `--class-id spring-26`.',
    );
  }
  if (options.learners !== undefined && options.roster !== undefined) {
    throw usage('--learners and --roster do not go together.', 'Pass --learners N for placeholders, or --roster FILE to start from your list.');
  }
  let learners: NewClass['learners'];
  if (options.roster !== undefined) {
    let text: string;
    try {
      text = readFileSync(options.roster, 'utf8');
    } catch (error) {
      throw usage(`cannot read the roster ${options.roster}: ${(error as Error).message}.`, 'Pass a readable CSV file: `--roster students.csv`.');
    }
    // Azure rosters may still lack the Entra ids: checked at provision, not here.
    learners = parseRoster(text, { target: 'emulator', mode: options.mode }, options.roster).map((l) => ({
      learner: l.learner,
      displayName: l.displayName,
      ...(l.entraObjectId ? { entraObjectId: l.entraObjectId } : {}),
      ...(l.upn ? { upn: l.upn } : {}),
      ...(l.subscriptionId ? { subscriptionId: l.subscriptionId } : {}),
      ...(l.lmsId ? { lmsId: l.lmsId } : {}),
    }));
  } else {
    const n = options.learners === undefined ? 5 : Number(options.learners);
    if (!Number.isInteger(n) || n < 1 || n > 999) throw usage(`invalid --learners '${options.learners}': expected a whole number from 1 to 999.`, 'For example: `--learners 30`.');
    const width = String(n).length < 2 ? 2 : String(n).length;
    learners = Array.from({ length: n }, (_, i) => {
      const id = `learner-${String(i + 1).padStart(width, '0')}`;
      return { learner: id, displayName: `Learner ${i + 1}` };
    });
  }
  const spec: NewClass = {
    classId,
    target: options.target,
    mode: options.mode,
    learners,
    ...(options.subscription ? { subscriptionId: options.subscription } : options.target === 'emulator' ? { subscriptionId: SEED.subscriptionId } : {}),
    ...(options.location ? { location: options.location } : {}),
    ...(options.graderPrincipalId ? { grader: { principalId: options.graderPrincipalId } } : {}),
  };
  const { classFile, rosterFile } = writeClassFolder(abs, spec);
  console.log(`Created the class '${classId}' (${options.mode} mode, on ${options.target === 'emulator' ? 'the emulator' : 'Azure'}) with ${learners.length} learners:`);
  console.log(`  ${shown(classFile)}`);
  console.log(`  ${shown(rosterFile)}`);
  console.log('');
  if (options.roster === undefined) console.log(`Edit ${ROSTER_FILE}: one row per learner (ids: lower-case letters, digits, dashes).`);
  if (options.target === 'azure') {
    console.log("On Azure, give each learner's entraObjectId (`az ad user show --id <upn> --query id -o tsv`),");
    if (!options.graderPrincipalId) console.log('and the grading principal in class.json: "grader": { "principalId": "<object id>" }.');
  }
  const flag = dir === '.' ? '' : ` --class ${shellQuote(dir)}`;
  console.log(`Next: ./milab class provision${flag} --what-if   (then without --what-if)`);
}

// ---------------------------------------------------------------------------------------------
// progress

/** Shows progress: a bar on a terminal, plain lines otherwise, nothing with --json. */
async function progressReporter(total: number, json: boolean | undefined, verb: string): Promise<{ tick: (line: string) => void; stop: () => void }> {
  if (json || total === 0) return { tick: () => undefined, stop: () => undefined };
  if (process.stderr.isTTY) {
    const { default: cliProgress } = await import('cli-progress');
    const bar = new cliProgress.SingleBar(
      { format: `${verb} [{bar}] {value}/{total}  {step}`, stream: process.stderr, hideCursor: true, clearOnComplete: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { step: '' });
    return {
      tick: (line) => bar.increment(1, { step: line.slice(0, 60) }),
      stop: () => bar.stop(),
    };
  }
  let done = 0;
  return {
    tick: (line) => console.log(`[${++done}/${total}] ${line}`),
    stop: () => undefined,
  };
}

function learnerLabel(step: { learner: string | undefined }): string {
  return step.learner ?? 'class';
}

// ---------------------------------------------------------------------------------------------
// provision

interface ProvisionOptions {
  class?: string;
  whatIf?: boolean;
  concurrency?: string;
  sshPublicKey?: string;
  json?: boolean;
}

function printPlan(folder: ClassFolder, plan: ProvisionPlan): void {
  const mark = { create: '+ create', exists: '= exists', skip: '! skip  ' } as const;
  let last: string | undefined = '';
  // The class's steps first, then each learner's together (the plan lists principals first).
  const order = new Map(folder.roster.map((l, i) => [l.learner, i + 1]));
  const steps = [...plan.steps].sort((a, b) => (order.get(a.learner ?? '') ?? 0) - (order.get(b.learner ?? '') ?? 0));
  for (const step of steps) {
    const who = learnerLabel(step);
    if (who !== last) console.log(`\n${who === 'class' ? `class ${folder.config.classId}` : `learner ${who}`}:`);
    last = who;
    console.log(`  ${mark[step.action]}  ${step.what}${step.note ? `\n              ${step.note}` : ''}`);
  }
}

function planCounts(steps: readonly { action: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of steps) counts[s.action] = (counts[s.action] ?? 0) + 1;
  return counts;
}

function costLines(plan: ProvisionPlan): string[] {
  if (!plan.cost) return [];
  const c = plan.cost;
  return [
    `Cost of leaving the VMs running: ${c.vms} × ${c.vmSize} at about USD ${c.perVmHourUsd}/hour = about USD ${c.perHourUsd}/hour, USD ${c.perDayUsd}/day`,
    `  (${c.source}; the auto-shutdown stops them every evening, and disks are billed even when stopped).`,
  ];
}

export async function provision(options: ProvisionOptions): Promise<void> {
  const concurrency = parseConcurrency(options.concurrency);
  const folder = loadClass(classDir(options.class));
  const session = openClassSession(folder);
  const plan = await planProvision(session, { ...(options.sshPublicKey ? { sshPublicKeyFile: options.sshPublicKey } : {}), whatIf: options.whatIf === true });
  const counts = planCounts(plan.steps);
  const where = folder.config.target === 'emulator' ? 'the emulator' : `Azure (${[...new Set(folder.roster.map((l) => l.subscriptionId ?? folder.config.subscriptionId))].join(', ')})`;

  if (options.whatIf) {
    if (options.json) {
      console.log(JSON.stringify({ classId: folder.config.classId, whatIf: true, target: folder.config.target, mode: folder.config.mode, learners: folder.roster.length, toCreate: counts.create ?? 0, existing: counts.exists ?? 0, skipped: counts.skip ?? 0, steps: plan.steps.map(publicStep), notes: plan.notes, ...(plan.cost ? { cost: plan.cost } : {}) }, null, 2));
      return;
    }
    console.log(`What-if: provisioning class '${folder.config.classId}' (${folder.config.mode} mode, ${folder.roster.length} learners) on ${where}.`);
    printPlan(folder, plan);
    console.log('');
    for (const note of plan.notes) console.log(`Note: ${note}`);
    for (const line of costLines(plan)) console.log(line);
    console.log(`\nWhat-if: ${counts.create ?? 0} to create, ${counts.exists ?? 0} already there${counts.skip ? `, ${counts.skip} skipped` : ''}. Nothing was changed.`);
    return;
  }

  const total = counts.create ?? 0;
  if (!options.json) console.log(`Provisioning class '${folder.config.classId}' (${folder.config.mode} mode, ${folder.roster.length} learners) on ${where}: ${total} to create, ${counts.exists ?? 0} already there.`);
  const progress = await progressReporter(total, options.json, 'provisioning');
  const result = await applyProvision(plan, {
    concurrency,
    onStep: (step, outcome, error) => progress.tick(`${learnerLabel(step)}: ${outcome === 'created' ? 'created' : `FAILED (${error ?? ''})`} ${step.what}`),
  });
  progress.stop();
  const summary = { classId: folder.config.classId, whatIf: false, target: folder.config.target, mode: folder.config.mode, learners: folder.roster.length, created: result.created, existing: result.existing, skipped: result.skipped, failed: result.failed, notes: plan.notes, throttle: session.throttle.stats };
  if (options.json) console.log(JSON.stringify(summary, null, 2));
  else {
    for (const step of plan.steps.filter((s) => s.action === 'skip')) console.log(`skipped: ${learnerLabel(step)}: ${step.what}: ${step.note ?? ''}`);
    for (const note of plan.notes) console.log(`Note: ${note}`);
    console.log(`Provisioned: ${result.created} created, ${result.existing} already there${result.skipped ? `, ${result.skipped} skipped` : ''}${result.failed.length ? `, ${result.failed.length} failed` : ''}.`);
    if (result.failed.length === 0) console.log(`Next: a learner signs in with  eval "$(./milab class env ${folder.roster[0]?.learner ?? 'LEARNER'}${options.class ? ` --class ${shellQuote(options.class)}` : ''})"`);
  }
  if (result.failed.length > 0) {
    if (!options.json) for (const f of result.failed) console.error(`  ${f.learner ?? 'class'}: ${f.what}: ${f.error}`);
    throw new MilabError(`${result.failed.length} step(s) failed; the others were done.`, {
      code: 'MILAB_PROVISION_INCOMPLETE',
      hint: 'Fix the cause shown above and run the same command again: it creates only what is still missing.',
      exitCode: 1,
    });
  }
}

/** A plan step without its closures, for JSON. */
function publicStep(step: PlanStep | TeardownStep): Record<string, unknown> {
  return { learner: step.learner ?? null, kind: step.kind, what: step.what, id: step.id, action: step.action, ...(step.note ? { note: step.note } : {}) };
}

// ---------------------------------------------------------------------------------------------
// env

export async function env(learner: string, options: { class?: string; json?: boolean }): Promise<void> {
  const folder = loadClass(classDir(options.class));
  const session = openClassSession(folder);
  const vars = await classLearnerEnv(session, learner);
  if (options.json) {
    console.log(JSON.stringify(vars, null, 2));
    return;
  }
  const signIn = folder.config.target === 'emulator' ? `, signed in as milab-${folder.config.classId}-${learner}` : ' (sign in yourself: `az login`)';
  console.log(`# milab class ${folder.config.classId}: learner ${learner}${signIn}`);
  for (const [key, value] of Object.entries(vars)) console.log(`export ${key}=${shellQuote(value)}`);
}

// ---------------------------------------------------------------------------------------------
// teardown

interface TeardownOptions {
  class?: string;
  whatIf?: boolean;
  yes?: boolean;
  concurrency?: string;
  json?: boolean;
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export async function teardown(options: TeardownOptions): Promise<void> {
  const concurrency = parseConcurrency(options.concurrency);
  const folder = loadClass(classDir(options.class));
  const session = openClassSession(folder);
  const plan = await planTeardown(session);
  const toDelete = plan.steps.filter((s) => s.action === 'delete');
  const kept = plan.steps.filter((s) => s.action === 'keep');

  if (options.whatIf || (!options.json && !options.yes)) {
    if (options.whatIf && options.json) {
      console.log(JSON.stringify({ classId: folder.config.classId, whatIf: true, toDelete: toDelete.length, kept: kept.length, steps: plan.steps.map(publicStep) }, null, 2));
      return;
    }
    console.log(`${options.whatIf ? 'What-if: t' : 'T'}earing down class '${folder.config.classId}' would delete ${toDelete.length} and keep ${kept.length}:`);
    for (const s of toDelete) console.log(`  - delete  ${s.what}`);
    for (const s of kept) console.log(`  = keep    ${s.what}: ${s.note ?? ''}`);
    if (options.whatIf) {
      console.log('\nWhat-if: nothing was changed.');
      return;
    }
  }
  if (toDelete.length === 0) {
    if (options.json) console.log(JSON.stringify({ classId: folder.config.classId, whatIf: false, deleted: 0, kept: kept.length, failed: [] }, null, 2));
    else console.log(`Nothing of class '${folder.config.classId}' is left to delete.`);
    return;
  }
  if (!options.yes) {
    if (!process.stdin.isTTY || !process.stderr.isTTY) {
      throw new MilabError(`teardown deletes ${toDelete.length} things of class '${folder.config.classId}' and needs a confirmation, but there is no terminal to ask on.`, {
        code: 'MILAB_CONFIRMATION_NEEDED',
        hint: 'Look at the list with --what-if, then pass --yes.',
        exitCode: 1,
      });
    }
    if (!(await confirm(`Delete these ${toDelete.length}? [y/N] `))) {
      console.log('Nothing was deleted.');
      return;
    }
  }
  const progress = await progressReporter(toDelete.length, options.json, 'tearing down');
  const result = await applyTeardown(plan, {
    concurrency,
    onStep: (step, outcome, error) => progress.tick(`${outcome === 'failed' ? `FAILED (${error ?? ''})` : outcome} ${step.what}`),
  });
  progress.stop();
  if (options.json) console.log(JSON.stringify({ classId: folder.config.classId, whatIf: false, deleted: result.deleted, kept: result.kept, failed: result.failed, throttle: session.throttle.stats }, null, 2));
  else console.log(`Torn down: ${result.deleted} deleted, ${result.kept} kept (not the class's)${result.failed.length ? `, ${result.failed.length} failed` : ''}.`);
  if (result.failed.length > 0) {
    if (!options.json) for (const f of result.failed) console.error(`  ${f.what}: ${f.error}`);
    throw new MilabError(`${result.failed.length} deletion(s) failed; the others were done.`, {
      code: 'MILAB_TEARDOWN_INCOMPLETE',
      hint: 'Fix the cause shown above and run teardown again: it finds what is left.',
      exitCode: 1,
    });
  }
}
