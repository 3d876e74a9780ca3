// The names a challenge gives what it makes, from the learner id (so a class can share one
// subscription and the clean-up never mistakes one learner's resources for another's).
import type { LabNames } from '@milab/labs';
import type { ChallengeNames } from './model.js';

/** The challenge names for a learner. */
export function challengeNames(names: LabNames): ChallengeNames {
  const identity = (role: string): string => `id-ch-${names.learnerId}-${role}`;
  const vm = `vm-ch-${names.learnerId}`;
  return Object.freeze({
    identity,
    identityId: (role: string) => `${names.resourceGroupScope}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${identity(role)}`,
    vm,
    vmId: `${names.resourceGroupScope}/providers/Microsoft.Compute/virtualMachines/${vm}`,
  });
}
