// `milab class grade`, the work: ONE snapshot of the class's subscription as the grading
// principal (a handful of paged list calls for the whole class, inside ARM's token bucket), a
// refusal when that principal can write at or above the subscription, then every learner graded
// from the snapshot with the same graders `milab grade` runs (GRADERS, through a snapshot
// context built from the learner's own configuration). Labs 04–09 run the learner's program on
// their VM: on the emulator the class grade does it, a few learners at a time; on Azure a Reader
// cannot (Run Command is a write), so the learners' own `milab grade 04 --json` reports are
// merged from a folder (grade-reports.ts).
import { availableParallelism } from 'node:os';
import { relative } from 'node:path';
import {
  ARM_SCOPE,
  createArmContext,
  decodeClaims,
  defaultThrottleBuckets,
  loadConfig,
  MilabError,
  requireEmulator,
  type MilabConfig,
  type ThrottleBuckets,
} from '@milab/core';
import { callPrincipalsAdmin } from '@milab/emulator';
import { buildReport, checkInfo, registerSecret, type CheckInfo, type GradeReport } from '@milab/grading';
import { createGrader04, createGrader05, createGrader06, createGrader07, createGrader08, createGrader09, createGrader10, createSnapshotContext, gradeLabs, GRADERS, takeSnapshot, type ClassSnapshot, type Grader } from '@milab/graders';
import { findLab, sameArmId } from '@milab/labs';
import { classLearnerNames, learnerEnv, learnerSubscription, type ClassFolder, type ClassLearner } from './folder.js';
import { findReports, learnerIdentity, missingReport, readSelfRun, SELF_RUN_LABS, type LearnerIdentity } from './grade-reports.js';
import { buildClassResult, type ClassResult, type LabColumn, type LabEntry, type LearnerInput } from './scoreboard.js';

/** Sign-in variables that would make the emulator snapshot read as someone other than the seeded grader. */
const SIGN_IN_ENV = ['AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_TENANT_ID', 'AZURE_AUTHORITY_HOST', 'AZURE_CLIENT_CERTIFICATE_PATH', 'AZURE_USERNAME', 'AZURE_PASSWORD'] as const;

/** Options of {@link gradeClass}. */
export interface GradeClassOptions {
  readonly folder: ClassFolder;
  /** Lab ids to grade (default: every lab with a grader). */
  readonly labs?: readonly string[];
  /** Azure: the folder of the learners' self-run `milab grade 04 --json` reports. */
  readonly reportsDir?: string;
  /**
   * Emulator: the lab 04 / 05 program to run on every learner's VM (default: the lab's
   * starter/index.ts in this checkout, the file `milab grade 04` runs).
   */
  readonly programs?: Readonly<Partial<Record<ProgramLab, string>>>;
  /** Learners graded at once (their VM programs run at once): default min(4, CPUs). */
  readonly concurrency?: number;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The client-side ARM buckets every read draws from (default: the process's). */
  readonly throttle?: ThrottleBuckets;
  /** Called after each learner is graded. */
  readonly onLearner?: (done: number, total: number, learner: string) => void;
  /** Called once per ARM read the snapshot makes. */
  readonly onRead?: (what: string) => void;
  /** Warnings to show the instructor (a sign-in variable ignored, a principal that may see too little). */
  readonly onWarning?: (text: string) => void;
  readonly signal?: AbortSignal;
}

/** What {@link gradeClass} returns. */
export interface GradeClassOutcome {
  readonly result: ClassResult;
  /** Every learner's reports, one per lab (for JUnit). */
  readonly reports: ReadonlyMap<string, readonly GradeReport[]>;
  /** Object id of the principal that read the snapshot. */
  readonly graderObjectId: string | undefined;
}

/** The class grade cannot start: exit code 2, like `milab grade` when it cannot grade. */
export class ClassGradeError extends MilabError {
  override name = 'ClassGradeError';
  constructor(message: string, hint: string, cause?: unknown) {
    super(message, { code: 'MILAB_CLASS_GRADE', hint, exitCode: 2, cause });
  }
}

/** The graders a program lab's grader builds on: those the class grade made for other programs. */
interface Upstream {
  readonly g04: Grader | undefined;
  readonly programs: Readonly<Partial<Record<ProgramLab, string>>>;
}

/**
 * The labs whose program the class grade runs on every learner's VM (lab 10: in their container
 * group), and their grader for another program than this checkout's starter. Those that build on
 * lab 04's token (05, 06, 08) are made after the same lab 04 grader, so a `--program 04=…` is what
 * their "lab 04 is done" check runs; lab 10 runs lab 05's program unchanged in the group, so it
 * takes `--program 05=…` too.
 */
const PROGRAM_GRADERS = {
  '04': (program: string | undefined) => createGrader04(program),
  '05': (program: string | undefined, up: Upstream) => createGrader05(program, up.g04),
  // Lab 06's and lab 07's VM part: their vm.ts.
  '06': (program: string | undefined, up: Upstream) => createGrader06(program, up.g04),
  '07': (program: string | undefined) => createGrader07(program),
  '08': (program: string | undefined, up: Upstream) => createGrader08(program, up.g04),
  // Lab 09's VM part (its vm.ts: readSecret), after lab 03 as `milab grade 09` runs it; the vault
  // and its role assignments come from the snapshot (graders/lib/snapshot.ts).
  '09': (program: string | undefined) => createGrader09(program),
  // Lab 10's vm.ts (the system-assigned group's token), with lab 05's program in the other group;
  // its prerequisite is lab 02 (grader 10's own: on Azure it grades in a group, never on the VM).
  '10': (program: string | undefined, up: Upstream) => createGrader10(up.programs['05'], program),
} as const;

/** A lab whose program the class grade runs on the VM (`--program NN=FILE`). */
export type ProgramLab = keyof typeof PROGRAM_GRADERS;

/** Whether lab `id` has a program the class grade runs on the VM. */
export function isProgramLab(id: string): id is ProgramLab {
  return Object.hasOwn(PROGRAM_GRADERS, id);
}

/** The lab whose grader each program lab builds on: a program given for that one changes theirs too. */
const BUILDS_ON: Readonly<Partial<Record<ProgramLab, ProgramLab>>> = { '05': '04', '06': '04', '08': '04', '10': '05' };

/** The graders for these lab ids, in lab order; the VM labs with the given programs. */
export function classGraders(labs: readonly string[] | undefined, programs: GradeClassOptions['programs'] = {}): Grader[] {
  const wanted = labs === undefined ? undefined : new Set(labs.map((l) => findLab(l).id));
  // In lab order, so that a lab's upstream grader is made before it.
  const made = new Map<string, Grader>();
  const chosen = GRADERS.map((g) => {
    const id = g.lab.id;
    if (!isProgramLab(id)) return g;
    const upstream = BUILDS_ON[id];
    if (!programs[id] && !(upstream && made.has(upstream))) return g;
    const built = PROGRAM_GRADERS[id](programs[id], { g04: made.get('04'), programs });
    made.set(id, built);
    return built;
  }).filter((g) => !wanted || wanted.has(g.lab.id));
  if (wanted) {
    const missing = [...wanted].filter((id) => !chosen.some((g) => g.lab.id === id));
    if (missing.length > 0) throw new ClassGradeError(`lab ${missing.join(', ')} has no grader yet.`, `Grade the labs that have one: ${GRADERS.map((g) => g.lab.id).join(', ')}.`);
  }
  return chosen;
}

/** The scoreboard's columns for these graders. */
export function labColumns(graders: readonly Grader[]): LabColumn[] {
  return graders.map((g) => ({ id: g.lab.id, title: g.lab.title, checks: g.checks.map((c) => checkInfo(c)) }));
}

/** Whether an assignment scope is the subscription or above it (a management group, the root). */
export function atOrAboveSubscription(scope: string, subscriptionId: string): boolean {
  const s = scope.replace(/\/+$/, '');
  return s === '' || s === '/' || /^\/providers\/Microsoft\.Management\/managementGroups\/[^/]+$/i.test(s) || sameArmId(s, `/subscriptions/${subscriptionId}`);
}

/** The object id of the principal a configuration signs in as (the token's oid), never the token. */
async function signedInObjectId(config: MilabConfig, env: Readonly<Record<string, string | undefined>>): Promise<string | undefined> {
  const context = createArmContext(config, { as: 'grader', env });
  const token = await context.credential.getToken([ARM_SCOPE]);
  const oid = token ? decodeClaims(token.token).oid : undefined;
  return typeof oid === 'string' ? oid.toLowerCase() : undefined;
}

/**
 * Refuses a grading principal that holds a role that can write at or above the subscription
 * (graders only read: DESIGN.md's grader contract), naming the role, the scope and the fix.
 * Roles held through a group membership are not visible in role assignments by principal id (that
 * needs Microsoft Graph): on Azure, checked as far as ARM shows.
 */
export async function refuseWritingGrader(snapshot: ClassSnapshot, graderObjectId: string, config: MilabConfig, env: Readonly<Record<string, string | undefined>>, onWarning?: (text: string) => void): Promise<void> {
  const ctx = createSnapshotContext(snapshot, { config, env });
  const held = snapshot.roleAssignments.filter((a) => a.principalId === graderObjectId && atOrAboveSubscription(a.scope, snapshot.subscriptionId));
  for (const assignment of held) {
    let role: { name: string; readOnly: boolean };
    try {
      role = await ctx.role(assignment.roleGuid);
    } catch (error) {
      role = { name: `role ${assignment.roleGuid} (its definition could not be read: ${(error as Error).message})`, readOnly: false };
    }
    if (role.readOnly) continue;
    const where = assignment.scope.replace(/\/+$/, '') || '/';
    throw new ClassGradeError(
      `The grading principal ${graderObjectId} holds ${role.name} at ${where}, which can write: \`milab class grade\` only reads, and refuses to run as a principal that could change what it grades.`,
      config.target === 'emulator'
        ? `Remove that assignment (\`az role assignment delete --assignee ${graderObjectId} --role "${role.name}" --scope ${where}\`), or \`./milab emulator reset\` to restore the seeded grader (Reader only).`
        : `Grade as a principal with Reader only: remove the assignment (\`az role assignment delete --assignee ${graderObjectId} --role "${role.name}" --scope ${where}\`), or sign in as the class's grading principal (class.json "grader"; \`az login --service-principal …\` or AZURE_CLIENT_ID / AZURE_CLIENT_SECRET / AZURE_TENANT_ID), which \`milab class provision\` gave Reader.`,
    );
  }
  if (held.length === 0) {
    onWarning?.(
      `warning: the grading principal ${graderObjectId} holds no role directly at the subscription ${snapshot.subscriptionId}; if it reads through a group, fine, else it sees only part of the class (learners would look as if they had done nothing). Give it Reader on the subscription (\`milab class provision\` does).`,
    );
  }
}

/** Runs `work` over `items`, at most `limit` at once, in order of start. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index]!, index);
    }
  });
  await Promise.all(lanes);
}

/** A report for a lab that could not be graded at all for this learner (exit code 2 for the class). */
function erroredReport(grader: Grader, target: string, error: unknown): GradeReport {
  const known = error instanceof MilabError ? error : undefined;
  return buildReport({
    lab: grader.lab.id,
    title: grader.lab.title,
    target,
    startedAt: new Date().toISOString(),
    durationMs: 0,
    results: [],
    error: {
      kind: 'other',
      lab: grader.lab.id,
      message: known?.message ?? (error instanceof Error ? error.message : String(error)),
      hint: known?.hint ?? 'Run `./milab class grade` again; if it repeats, grade this learner alone with their environment (`./milab class env <learner>`, then `./milab grade`).',
    },
  });
}

/** The emulator's class principals of this class, by learner id (sign-in principals made by provisioning). */
async function classPrincipals(config: MilabConfig, classId: string): Promise<Map<string, string>> {
  const byLearner = new Map<string, string>();
  try {
    const { principals } = await callPrincipalsAdmin(requireEmulator(config), { list: { tags: { class: classId } } });
    for (const p of principals) {
      // The answer carries client secrets: never shown, and scrubbed from any report that might quote one.
      registerSecret(p.clientSecret);
      const learner = p.tags.learner;
      if (learner) byLearner.set(learner, p.objectId.toLowerCase());
    }
  } catch {
    // An emulator without class principals (or before provisioning): the class is graded without
    // knowing the learners' own sign-in principals; lab 02 then names them by object id.
  }
  return byLearner;
}

/** Grades the whole class from one snapshot per subscription (one in shared mode). */
export async function gradeClass(options: GradeClassOptions): Promise<GradeClassOutcome> {
  const started = Date.now();
  const gradedAt = new Date(started).toISOString();
  const { folder } = options;
  const { target, classId } = folder.config;
  const baseEnv = options.env ?? process.env;
  const graders = classGraders(options.labs, target === 'emulator' ? options.programs : undefined);
  const columns = labColumns(graders);
  const selfRun = target === 'azure' ? graders.filter((g) => SELF_RUN_LABS.includes(g.lab.id)) : [];
  const graded = graders.filter((g) => !selfRun.includes(g));
  const concurrency = options.concurrency ?? Math.max(1, Math.min(4, availableParallelism()));
  // Every client-side ARM read of this job draws from one set of buckets.
  const throttle = options.throttle ?? defaultThrottleBuckets();

  const warned = new Set<string>();
  const warn = (text: string) => {
    if (warned.has(text)) return;
    warned.add(text);
    options.onWarning?.(text);
  };
  const envOf = (learner: ClassLearner) => ({ ...baseEnv, ...learnerEnv(folder, learner) });
  const snapshotEnv = (learner: ClassLearner) => {
    const env: Record<string, string | undefined> = envOf(learner);
    if (target === 'emulator') {
      const ignored = SIGN_IN_ENV.filter((name) => env[name]);
      for (const name of ignored) delete env[name];
      if (ignored.length > 0) warn(`note: ${ignored.join(', ')} ignored: on the emulator the class is read as the seeded grader, not as whoever those name.`);
    }
    return env;
  };

  // One snapshot per subscription: one in shared mode; one per learner's subscription in own mode.
  const bySubscription = new Map<string, ClassLearner[]>();
  for (const learner of folder.roster) {
    const sub = learnerSubscription(folder, learner).toLowerCase();
    bySubscription.set(sub, [...(bySubscription.get(sub) ?? []), learner]);
  }
  // The learners' own principals (emulator: the class principals), asked while the snapshot is read.
  const anyConfig = loadConfig({ env: envOf(folder.roster[0]!) });
  const principalsAsked = target === 'emulator' ? classPrincipals(anyConfig, classId) : Promise.resolve(new Map(folder.roster.filter((l) => l.entraObjectId).map((l) => [l.learner, l.entraObjectId!])));
  const snapshots = new Map<string, ClassSnapshot>();
  let graderObjectId: string | undefined;
  for (const [sub, learners] of bySubscription) {
    const first = learners[0]!;
    const env = snapshotEnv(first);
    const config = loadConfig({ env });
    let snapshot: ClassSnapshot;
    try {
      // Who is reading (the token's oid) is asked of Entra, not ARM: alongside the snapshot's reads.
      let oid: string | undefined;
      [snapshot, oid] = await Promise.all([takeSnapshot({ config, env, as: 'grader', throttle, ...(options.onRead ? { onRead: options.onRead } : {}) }), signedInObjectId(config, env)]);
      graderObjectId = oid ?? graderObjectId;
    } catch (error) {
      if (error instanceof MilabError) throw error;
      throw new ClassGradeError(`Could not read subscription ${sub}: ${(error as Error).message}`, 'Check the connection (`./milab doctor`) and that the grading principal has Reader on the subscription, then run `./milab class grade` again.', error);
    }
    if (graderObjectId) await refuseWritingGrader(snapshot, graderObjectId, config, env, warn);
    const named = folder.config.grader?.principalId;
    if (named && graderObjectId && named.toLowerCase() !== graderObjectId) {
      warn(`note: signed in as ${graderObjectId}, not as the class's grading principal ${named} (class.json "grader"), which \`milab class provision\` gave Reader.`);
    }
    snapshots.set(sub, snapshot);
  }

  // The learners' own principals: what lab 02 calls "you" for each learner, and names for the rest.
  const principals = await principalsAsked;
  const knownPrincipals = new Map<string, string>();
  for (const learner of folder.roster) {
    const oid = principals.get(learner.learner);
    if (oid) knownPrincipals.set(oid, `${learner.learner}'s own sign-in (${learner.displayName})`);
  }

  // What the snapshot says about each learner's identity: to judge self-run reports' claims.
  const identities: LearnerIdentity[] = folder.roster.map((learner) => {
    const names = classLearnerNames(folder, learner);
    return learnerIdentity(names, snapshots.get(names.subscriptionId.toLowerCase()));
  });
  const reportFiles = selfRun.length > 0 && options.reportsDir ? findReports(options.reportsDir, folder.roster.map((l) => l.learner)) : new Map<string, string[]>();
  const checksOf = (lab: string): readonly CheckInfo[] | undefined => columns.find((c) => c.id === lab)?.checks;

  const inputs: LearnerInput[] = new Array(folder.roster.length);
  const reports = new Map<string, GradeReport[]>();
  let done = 0;
  await pool(folder.roster, concurrency, async (learner, index) => {
    const env = envOf(learner);
    const entries = new Map<string, LabEntry>();
    try {
      const config = loadConfig({ env });
      const snapshot = snapshots.get(learnerSubscription(folder, learner).toLowerCase())!;
      const learnerObjectId = principals.get(learner.learner);
      const ctx = createSnapshotContext(snapshot, { config, env, knownPrincipals, ...(learnerObjectId ? { learnerObjectId } : {}) });
      if (graded.length > 0) {
        const { reports: labReports } = await gradeLabs(graded, { ctx, ...(options.signal ? { signal: options.signal } : {}) });
        for (const report of labReports) entries.set(report.lab ?? '', { report, source: 'graded' });
      }
    } catch (error) {
      for (const grader of graded) entries.set(grader.lab.id, { report: erroredReport(grader, target, error), source: 'graded' });
    }
    if (selfRun.length > 0) {
      const who = identities[index]!;
      let found = new Map<string, { report: GradeReport; file: string; flags: readonly string[] }>();
      try {
        found = readSelfRun(reportFiles.get(learner.learner) ?? [], who, {
          labs: selfRun.map((g) => g.lab.id),
          others: identities,
          ...(anyConfig.tenantId ? { tenantId: anyConfig.tenantId } : {}),
          checks: checksOf,
          ...(options.reportsDir ? { relativeTo: (file: string) => relative(options.reportsDir!, file) } : {}),
        });
      } catch (error) {
        for (const grader of selfRun) entries.set(grader.lab.id, { report: erroredReport(grader, target, error), source: 'self-run' });
      }
      for (const grader of selfRun) {
        if (entries.has(grader.lab.id)) continue;
        const mine = found.get(grader.lab.id);
        entries.set(
          grader.lab.id,
          mine
            ? { report: mine.report, source: 'self-run', file: mine.file, flags: mine.flags }
            : { report: missingReport(grader.lab, checksOf(grader.lab.id) ?? [], learner.learner, options.reportsDir), source: 'missing' },
        );
      }
    }
    const labs = graders.map((g) => entries.get(g.lab.id)).filter((e): e is LabEntry => e !== undefined);
    inputs[index] = { learner: learner.learner, displayName: learner.displayName, ...(learner.upn ? { upn: learner.upn } : {}), labs };
    reports.set(learner.learner, labs.map((l) => l.report));
    done += 1;
    options.onLearner?.(done, folder.roster.length, learner.learner);
  });

  const armReads = [...snapshots.values()].reduce((sum, s) => sum + s.armReads, 0);
  const result = buildClassResult({
    classId,
    target,
    mode: folder.config.mode,
    gradedAt,
    durationMs: Date.now() - started,
    labs: columns,
    learners: inputs,
    armReads,
  });
  return { result, reports, graderObjectId };
}
