// @milab/graders: one grader per lab (graders/NN-slug.ts), in lab order, and the helpers to run
// and show them. `milab grade` imports this; each grader file also runs alone.
import { findLab } from '@milab/labs';
import grader01 from './01-create-identity.js';
import grader02 from './02-grant-reader.js';
import grader03 from './03-attach-to-vm.js';
import grader04 from './04-imds-token.js';
import grader05 from './05-call-arm.js';
import grader06 from './06-system-assigned.js';
import grader07 from './07-authorization-is-separate.js';
import grader08 from './08-identity-sdk.js';
import grader09 from './09-key-vault-secret.js';
import grader10 from './10-container-instances.js';
import grader11 from './11-clean-up.js';
import type { Grader } from './lib/grader.js';

export { createGraderContext, type GraderContext, type GraderContextOptions } from './lib/context.js';
export { createSnapshotContext, SNAPSHOT_VERSION, takeSnapshot, type ClassSnapshot, type SnapshotContextOptions, type SnapshotReads, type TakeSnapshotOptions } from './lib/snapshot.js';
// Lab 09's vault name (global in Azure): the class checks that no two learners share one.
export { vaultName } from './09-key-vault-secret-vault.js';
export { classifyGraderError, defineGrader, gradeLabs, labDone, type Grader, type GradeLabsOptions, type GradeLabsResult } from './lib/grader.js';
export { showReport, terminalFor, type ShowOptions } from './lib/main.js';
// The lab 04 / 05 graders for another program (the class grade runs one on every learner's VM).
export { createGrader04 } from './04-imds-token.js';
export { createGrader05 } from './05-call-arm.js';
export { createGrader06 } from './06-system-assigned.js';
export { createGrader07 } from './07-authorization-is-separate.js';
export { createGrader08 } from './08-identity-sdk.js';
export { createGrader09 } from './09-key-vault-secret.js';
export { createGrader10 } from './10-container-instances.js';

/** Every grader, in lab order. */
export const GRADERS: readonly Grader[] = Object.freeze([grader01, grader02, grader03, grader04, grader05, grader06, grader07, grader08, grader09, grader10, grader11]);

/** The grader of the lab named by `input` (`1`, `01`, `01-create-identity`); throws UnknownLabError for an unknown lab, and a plain error for a lab without a grader yet. */
export function findGrader(input: string): Grader {
  const lab = findLab(input);
  const grader = GRADERS.find((g) => g.lab.id === lab.id);
  if (!grader) throw new Error(`lab ${lab.id} has no grader yet.`);
  return grader;
}
