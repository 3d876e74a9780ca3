// What every instructor command needs once per run: the instructor's configuration for the
// class's target, ARM clients per subscription (own mode has one per learner) drawing from ONE
// set of throttle buckets, the emulator connection (class principals), and a bounded pool.
// The instructor acts as the emulator's seeded `instructor` (Owner) on the emulator, and as the
// signed-in user (`az login`, DefaultAzureCredential) on Azure.
import {
  createArmClients,
  createArmContext,
  loadConfig,
  MilabError,
  requireEmulator,
  ThrottleBuckets,
  type ArmClients,
  type ArmContext,
  type MilabConfig,
} from '@milab/core';
import { callPrincipalsAdmin, PrincipalsAdminError, type ClassPrincipal, type EmulatorConnection } from '@milab/emulator';
import type { ClassFolder, ClassLearner } from './folder.js';
import { classTags } from './folder.js';

/** Variables that would make the emulator credential sign in as someone else than the instructor. */
const SIGN_IN_VARIABLES = ['AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_TENANT_ID', 'AZURE_AUTHORITY_HOST'];

/** One run of an instructor command on a class. */
export interface ClassSession {
  readonly folder: ClassFolder;
  /** The instructor's configuration on the class's target. */
  readonly config: MilabConfig;
  /** Emulator target: the running emulator. */
  readonly connection: EmulatorConnection | undefined;
  /** One set for the whole run: every client and raw call draws from it. */
  readonly throttle: ThrottleBuckets;
  /** The clients for one subscription, made once. */
  clients(subscriptionId: string): Promise<ArmClients>;
  /** The ARM context for one subscription (raw calls). */
  context(subscriptionId: string): ArmContext;
}

/** Opens a session on the class's target (throws EmulatorNotRunningError when the emulator is not running). */
export function openClassSession(folder: ClassFolder, options: { env?: Readonly<Record<string, string | undefined>>; throttle?: ThrottleBuckets } = {}): ClassSession {
  const baseEnv = options.env ?? process.env;
  const env: Record<string, string | undefined> = { ...baseEnv, MILAB_TARGET: folder.config.target };
  // The class decides the mode; a learner's own MILAB_MODE in the instructor's shell must not.
  env.MILAB_MODE = folder.config.mode;
  if (folder.config.target === 'emulator') {
    // `eval "$(milab class env ann)"` in this shell would otherwise make the instructor ann.
    for (const name of SIGN_IN_VARIABLES) delete env[name];
  }
  const config = loadConfig({ env });
  const connection = folder.config.target === 'emulator' ? requireEmulator(config) : undefined;
  const throttle = options.throttle ?? new ThrottleBuckets();
  const contexts = new Map<string, ArmContext>();
  const clients = new Map<string, Promise<ArmClients>>();
  const context = (subscriptionId: string): ArmContext => {
    let found = contexts.get(subscriptionId);
    if (!found) {
      found = createArmContext({ ...config, subscriptionId }, { as: 'instructor', env });
      contexts.set(subscriptionId, found);
    }
    return found;
  };
  return {
    folder,
    config,
    connection,
    throttle,
    context,
    clients(subscriptionId) {
      let found = clients.get(subscriptionId);
      if (!found) {
        found = createArmClients(context(subscriptionId), { throttle });
        clients.set(subscriptionId, found);
      }
      return found;
    },
  };
}

/** The name of a learner's class principal on the emulator. */
export function classPrincipalName(classId: string, learner: string): string {
  return `milab-${classId}-${learner}`;
}

/** Turns the emulator's refusal of a principals request into a MilabError with a next step. */
export function principalsError(error: unknown): never {
  if (error instanceof PrincipalsAdminError) {
    throw new MilabError(error.message, {
      code: 'MILAB_EMULATOR_PRINCIPALS',
      hint: error.code === 'NotSupported' || error.code === 'NoAdminKey' ? 'Restart the emulator: `./milab emulator stop` then `./milab emulator start --detach`.' : 'Check the emulator: `./milab doctor`.',
      exitCode: 2,
      cause: error,
    });
  }
  throw error;
}

/** The class's principals on the emulator, by learner id (those of learners in the roster). */
export async function listClassPrincipals(session: ClassSession): Promise<Map<string, ClassPrincipal>> {
  const found = new Map<string, ClassPrincipal>();
  if (!session.connection) return found;
  const { classId } = session.folder.config;
  let answer: { principals: ClassPrincipal[] };
  try {
    answer = await callPrincipalsAdmin(session.connection, { list: { tags: { class: classId } } });
  } catch (error) {
    principalsError(error);
  }
  const byName = new Map(answer.principals.map((p) => [p.name, p]));
  for (const l of session.folder.roster) {
    const p = byName.get(classPrincipalName(classId, l.learner));
    if (p) found.set(l.learner, p);
  }
  return found;
}

/** Makes the class principals of these learners (idempotent: existing ones come back unchanged). */
export async function ensureClassPrincipals(session: ClassSession, learners: readonly ClassLearner[]): Promise<Map<string, ClassPrincipal>> {
  const found = new Map<string, ClassPrincipal>();
  if (!session.connection || learners.length === 0) return found;
  const { classId } = session.folder.config;
  let answer: { principals: ClassPrincipal[] };
  try {
    answer = await callPrincipalsAdmin(session.connection, {
      ensure: learners.map((l) => ({ name: classPrincipalName(classId, l.learner), displayName: l.displayName, tags: classTags(classId, l.learner) })),
    });
  } catch (error) {
    principalsError(error);
  }
  const byName = new Map(answer.principals.map((p) => [p.name, p]));
  for (const l of learners) {
    const p = byName.get(classPrincipalName(classId, l.learner));
    if (p) found.set(l.learner, p);
  }
  return found;
}

/** Runs `work` on every item, at most `concurrency` at once; resolves when all are done (never rejects for an item). */
export async function runPool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
}

/** Parses `--concurrency N` (1–32). */
export function parseConcurrency(value: string | undefined, fallback = 4): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 32) {
    throw new MilabError(`invalid --concurrency '${value}': expected a whole number from 1 to 32.`, { code: 'MILAB_USAGE', hint: 'For example: `--concurrency 4` (the default).', exitCode: 1 });
  }
  return n;
}
