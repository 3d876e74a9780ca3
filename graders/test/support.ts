// The labs' world for tests: a real emulator in-process on 127.0.0.1, port 0, in a temporary
// milab home (never the developer's running one), the configuration core reads from it, lab
// contexts signed in as the learner, SDK clients as any seeded principal, and grading as the
// grader. `reset()` returns the emulator to its seeded world between tests.
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createArmClients, createArmContext, loadConfig, type ArmClients, type MilabConfig, type PrincipalName } from '@milab/core';
import { createEmulator, parseConfig, type Emulator } from '@milab/emulator';
import { createLabContext, findLab, LABS_DIR, labNames, prepareLab, READER_ONLY_CONDITION, ROLE_IDS, roleDefinitionId, type LabContext, type LabNames } from '@milab/labs';
import { pass, type CheckResult, type GradeReport } from '@milab/grading';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { GRADERS, gradeLabs, type Grader } from '../index.js';
import { defineGrader } from '../lib/grader.js';

export const LEARNER = 'ada';

/**
 * Lab 04 graded as done without running anything: the earlier lab for the tests of lab 06's and
 * lab 08's mistakes, which are that lab's alone (not lab 05's: it reads lab 04's run). Lab 04's
 * real grader runs lab 04's program on the VM under IMDS faults each time; the
 * starter-and-solution tests keep it.
 */
export const LAB_04_DONE: Grader = defineGrader('04', [{ id: '04.identity', title: 'Lab 04 is done (given)', run: async () => pass() }], '04.identity');

export interface LabWorld {
  home: string;
  stateDir: string;
  env: Record<string, string>;
  config: MilabConfig;
  names: LabNames;
  emulator: Emulator;
  /** SDK clients (through core) signed in as a seeded principal. */
  as(principal: PrincipalName): Promise<ArmClients>;
  /** A lab program's context, as the learner. */
  labContext(id: string): Promise<LabContext>;
  /** Runs the labs' solutions in order (and their setups), as `milab solve` does. */
  solve(...ids: string[]): Promise<void>;
  /** Runs a lab's setup only. */
  prepare(id: string): Promise<void>;
  /** Grades the labs (default all) as the grader, as `milab grade` does. */
  grade(...ids: string[]): Promise<GradeReport>;
  reset(): void;
  stop(): Promise<void>;
}

export async function startLabWorld(): Promise<LabWorld> {
  const home = mkdtempSync(join(tmpdir(), 'milab-labs-test-'));
  const stateDir = join(home, 'emulator');
  const env = { MILAB_HOME: home, MILAB_LEARNER: LEARNER };
  const emulator = createEmulator(parseConfig({ stateDir, port: 0, log: () => undefined }));
  await emulator.listen();
  await emulator.ready();
  const config = loadConfig({ env });
  const names = labNames(config, env);
  const clients = new Map<PrincipalName, Promise<ArmClients>>();
  const as = (principal: PrincipalName) => {
    let promise = clients.get(principal);
    if (!promise) {
      promise = createArmClients(createArmContext(config, { as: principal, env }));
      clients.set(principal, promise);
    }
    return promise;
  };
  const labContext = (id: string) => createLabContext(findLab(id), { config, env, log: () => undefined });
  const prepare = async (id: string) => {
    await prepareLab(findLab(id), await labContext(id));
  };
  return {
    home,
    stateDir,
    env,
    config,
    names,
    emulator,
    as,
    labContext,
    prepare,
    async solve(...ids) {
      for (const id of ids) {
        const lab = findLab(id);
        const ctx = await labContext(id);
        await prepareLab(lab, ctx);
        const { main } = (await import(pathToFileURL(lab.solution).href)) as { main: (ctx: LabContext) => Promise<void> };
        await main(ctx);
      }
    },
    async grade(...ids) {
      const graders = ids.length === 0 ? GRADERS : GRADERS.filter((g) => ids.includes(g.lab.id));
      const { report } = await gradeLabs(graders, { config, env });
      // Every grade a test makes holds the graders to it: az cannot sign in to the emulator yet.
      const azOnly = fixesWithoutTypeScript(report);
      if (azOnly.length > 0) throw new Error(`fix lines give an az command without the TypeScript way: ${azOnly.join('; ')}`);
      return report;
    },
    reset: () => emulator.reset(),
    async stop() {
      await emulator.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/**
 * Another principal's orphan: an identity that is not the learner's gets Reader on the subscription
 * (made by the instructor), then is deleted, leaving its assignment behind.
 */
export async function leaveOtherPrincipalsOrphan(instructor: ArmClients, names: LabNames): Promise<void> {
  const other = await instructor.msi.userAssignedIdentities.createOrUpdate(names.resourceGroup, 'id-team-monitor', { location: names.location });
  await instructor.authorization.roleAssignments.create(names.subscriptionScope, randomUUID(), {
    roleDefinitionId: roleDefinitionId(names.subscriptionId, ROLE_IDS.Reader),
    principalId: other.principalId!,
    principalType: 'ServicePrincipal',
  });
  await instructor.msi.userAssignedIdentities.delete(names.resourceGroup, 'id-team-monitor');
}

/**
 * The failed checks whose fix gives an az command but not the same step in TypeScript (as
 * "`az …` (TypeScript: `…`)"), as "id: fix"; empty when every fix gives both.
 */
export function fixesWithoutTypeScript(report: GradeReport): string[] {
  return report.results.flatMap((r) => {
    if (r.status !== 'fail') return [];
    const az = (r.fix.match(/`az /g) ?? []).length;
    const ts = (r.fix.match(/\(TypeScript: `/g) ?? []).length;
    return az > ts ? [`${r.id}: ${r.fix}`] : [];
  });
}

/**
 * Runs the TypeScript steps a fix line gives ("TypeScript: `await clients.…`"), in order, with
 * `clients` — the way a learner would paste them into a lab program. The one TypeScript-only
 * construct the steps use, `as never`, is dropped so that they run as JavaScript.
 */
export async function runTypeScriptSteps(fix: string, clients: ArmClients): Promise<number> {
  const steps = [...fix.matchAll(/TypeScript: `([^`]+)`/g)].map((m) => m[1]!.replace(/ as never\b/g, ''));
  const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => (...values: unknown[]) => Promise<void>;
  for (const step of steps) await new AsyncFunction('clients', 'randomUUID', step)(clients, randomUUID);
  return steps.length;
}

/** The result of one check, by id; fails the test when the report has no such check. */
export function result(report: GradeReport, id: string): CheckResult {
  const found = report.results.find((r) => r.id === id);
  if (!found) throw new Error(`no check ${id} in the report (checks: ${report.results.map((r) => r.id).join(', ')})`);
  return found;
}

/** What a failed check says, in one string (found, expected, fix), for assertions. */
export function said(check: CheckResult): string {
  switch (check.status) {
    case 'fail':
      return `${check.found} | ${check.expected} | ${check.fix}`;
    case 'skip':
      return check.reason;
    case 'error':
      return `${check.message} | ${check.hint}`;
    default:
      return check.details ?? '';
  }
}

/** The failed checks, as "id: what it said" (found | expected | fix), so that a failing assertion shows why; empty when none failed. */
export function failed(report: GradeReport): string[] {
  return report.results.filter((r) => r.status === 'fail').map((r) => `${r.id}: ${said(r)}`);
}

/** The ids of the checks with this status. */
export function withStatus(report: GradeReport, status: CheckResult['status']): string[] {
  return report.results.filter((r) => r.status === status).map((r) => r.id);
}

/**
 * Grants a class principal roles on the learner's group as `class provision` does in shared mode:
 * Role Based Access Control Administrator with the Reader-only condition, the others plain.
 */
export async function grantOnGroup(instructor: ArmClients, names: LabNames, principalId: string, roles: readonly (keyof typeof ROLE_IDS)[]): Promise<void> {
  for (const role of roles) {
    await instructor.authorization.roleAssignments.create(names.resourceGroupScope, randomUUID(), {
      roleDefinitionId: roleDefinitionId(names.subscriptionId, ROLE_IDS[role]),
      principalId,
      principalType: 'ServicePrincipal',
      ...(role === 'Role Based Access Control Administrator' ? { condition: READER_ONLY_CONDITION, conditionVersion: '2.0' } : {}),
    });
  }
}

/**
 * Assigns the built-in `role` at `scope` to `principalId` as `clients` (the learner, usually), the
 * way the labs teach it: a new assignment name, the role's full id, principalType ServicePrincipal
 * (every principal the emulated directory holds is one). Returns the assignment ARM answered.
 */
export async function assignRole(clients: ArmClients, names: LabNames, role: keyof typeof ROLE_IDS, scope: string, principalId: string): Promise<{ id?: string; principalId?: string; scope?: string }> {
  return clients.authorization.roleAssignments.create(scope, randomUUID(), {
    roleDefinitionId: roleDefinitionId(names.subscriptionId, ROLE_IDS[role]),
    principalId,
    principalType: 'ServicePrincipal',
  });
}

/** An emulator that answers `pageSize` items a page, in a temporary home, and the instructor's clients to fill it. */
export interface PagedWorld {
  readonly home: string;
  readonly emulator: Emulator;
  readonly env: Record<string, string>;
  readonly config: MilabConfig;
  readonly instructor: ArmClients;
  stop(): Promise<void>;
}

/** Starts a {@link PagedWorld} (paging tests: lists of a few items need several pages). */
export async function startPagedWorld(prefix: string, pageSize: number): Promise<PagedWorld> {
  const home = mkdtempSync(join(tmpdir(), `milab-${prefix}-`));
  const emulator = createEmulator(parseConfig({ stateDir: join(home, 'emulator'), port: 0, pageSize, log: () => undefined }));
  await emulator.listen();
  await emulator.ready();
  const env = { MILAB_HOME: home, MILAB_LEARNER: LEARNER };
  const config = loadConfig({ env });
  const instructor = await createArmClients(createArmContext(config, { as: 'instructor', env }));
  return {
    home,
    emulator,
    env,
    config,
    instructor,
    async stop() {
      await emulator.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** When a file's world returns to the seeded one: before each of its tests, or once, before the first. */
export type ResetWhen = 'each' | 'once';

export interface UseLabWorldOptions {
  /** Before each test (the default: tests that change the world stay independent), or once for the file. */
  reset?: ResetWhen;
  /** Labs whose solutions (and setups) run after each reset, in order, as `milab solve` does. */
  solve?: readonly string[];
}

/**
 * The hooks of a test file (or describe block) with one lab world: started before its tests,
 * stopped after, reset (and `solve`d) before each test or once. `started` hands the file its
 * world and the learner's clients; it runs once, after the world is started (with `reset: 'once'`,
 * after the reset and the solutions too, so that it may add to the world what every test reads).
 */
export function useLabWorld(started: (world: LabWorld, learner: ArmClients) => void | Promise<void>): void;
export function useLabWorld(options: UseLabWorldOptions, started: (world: LabWorld, learner: ArmClients) => void | Promise<void>): void;
export function useLabWorld(
  first: UseLabWorldOptions | ((world: LabWorld, learner: ArmClients) => void | Promise<void>),
  second?: (world: LabWorld, learner: ArmClients) => void | Promise<void>,
): void {
  const [options, started] = typeof first === 'function' ? [{}, first] : [first, second!];
  const { reset = 'each', solve = [] } = options;
  let world: LabWorld | undefined;
  const toSeed = async () => {
    world!.reset();
    if (solve.length > 0) await world!.solve(...solve);
  };
  beforeAll(async () => {
    world = await startLabWorld();
    if (reset === 'once') await toSeed();
    await started(world, await world.as('learner'));
  });
  afterAll(async () => {
    await world?.stop();
  });
  if (reset === 'each') beforeEach(toSeed);
}

/** A world for the VM labs (04–05): labs 01–03 solved, and a folder for variants of the learner's program. */
export interface VmLabWorld {
  world: LabWorld;
  /** Variants live in labs/.milab/ (gitignored, not linted, not a lab) so that their package imports resolve. */
  dir: string;
  grade(...graders: Parameters<typeof gradeLabs>[0]): Promise<GradeReport>;
  stop(): Promise<void>;
}

/**
 * The hooks of a VM lab's test file: one VM lab world for the file (started before its tests,
 * stopped after), reset with labs 01–03 solved before each test (or, with `reset: 'once'`, only
 * when started: for files whose tests share what earlier ones graded). `started` hands the file
 * its world and the learner's clients.
 */
export function useVmLabWorld(prefix: string, started: (vm: VmLabWorld, learner: ArmClients) => void, options: { reset?: ResetWhen } = {}): void {
  let vm: VmLabWorld | undefined;
  beforeAll(async () => {
    vm = await startVmLabWorld(prefix);
    started(vm, await vm.world.as('learner'));
  });
  afterAll(async () => {
    await vm?.stop();
  });
  if ((options.reset ?? 'each') === 'each') {
    beforeEach(async () => {
      vm!.world.reset();
      await vm!.world.solve('01', '02', '03');
    });
  }
}

export async function startVmLabWorld(prefix: string): Promise<VmLabWorld> {
  const world = await startLabWorld();
  world.reset();
  await world.solve('01', '02', '03');
  mkdirSync(join(LABS_DIR, '.milab'), { recursive: true });
  const dir = mkdtempSync(join(LABS_DIR, '.milab', prefix));
  return {
    world,
    dir,
    grade: async (...graders) => (await gradeLabs(graders, { config: world.config, env: world.env })).report,
    async stop() {
      rmSync(dir, { recursive: true, force: true });
      await world.stop();
    },
  };
}
