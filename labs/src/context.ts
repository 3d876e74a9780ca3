// What a lab program (a starter or a solution) is handed: the configured target, the learner's
// names and tags, and the real Azure SDK clients signed in as the learner, all from @milab/core.
import { createArmClients, createArmContext, labTags, loadConfig, type ArmClients, type LabTags, type MilabConfig, type PrincipalName } from '@milab/core';
import type { Lab } from './manifest.js';
import { labNames, type LabNames } from './names.js';

/** The argument of every lab program's `main`. */
export interface LabContext {
  readonly lab: Lab;
  readonly config: MilabConfig;
  readonly names: LabNames;
  /** The tags this lab puts on what it creates: `workshop`, `learner`, `lab`. */
  readonly tags: LabTags;
  /** `@azure/arm-msi`, `@azure/arm-authorization`, `@azure/arm-compute`, `@azure/arm-resources` clients for the target. */
  readonly clients: ArmClients;
  /** Prints one line of progress. */
  log(message: string): void;
}

/** Options of {@link createLabContext}. */
export interface LabContextOptions {
  /** The configuration (default: `loadConfig({ env })`). */
  config?: MilabConfig;
  env?: Readonly<Record<string, string | undefined>>;
  /** Emulator target: the seeded principal to act as (default `learner`). */
  as?: PrincipalName;
  log?: (message: string) => void;
}

/** Builds a lab program's context for `lab` on the configured target. */
export async function createLabContext(lab: Lab, options: LabContextOptions = {}): Promise<LabContext> {
  const env = options.env ?? process.env;
  const config = options.config ?? loadConfig({ env });
  const names = labNames(config, env);
  const clients = await createArmClients(createArmContext(config, { as: options.as ?? 'learner', env }));
  return Object.freeze({
    lab,
    config,
    names,
    tags: labTags(config.learnerId, lab.id),
    clients,
    log: options.log ?? ((message: string) => console.log(message)),
  });
}

/** A lab program: what `starter/index.ts` and `solution/index.ts` export. */
export type LabMain = (ctx: LabContext) => Promise<void>;

/** Thrown by a starter where the learner has work to do. */
export class TodoError extends Error {
  override name = 'TodoError';
  constructor(what: string) {
    super(`TODO: ${what}`);
  }
}

/** Marks the place a learner completes: throws a {@link TodoError} with what to do. */
export function todo(what: string): never {
  throw new TodoError(what);
}
