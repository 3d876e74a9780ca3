// Lab 07 — authorization is separate. The app on the lab VM runs as its own identity,
// id-milab-<learner>-app: it can get a token from IMDS, but it holds no role, so ARM refuses what
// it asks (403 AuthorizationFailed). Grant it the narrowest role that lets it do its job — read
// the lab VM — that is Reader on the VM itself: not Contributor or Owner, not Reader on the
// group or the subscription. Its VM program is vm.ts. The reference solution (`./milab solve 07`
// runs it, and puts it and vm.ts in your starter).
import { randomUUID } from 'node:crypto';
import { isMilabError } from '@milab/core';
import { ROLE_IDS, roleDefinitionId, runLab, type LabContext } from '@milab/labs';

export async function main({ clients, names, log }: LabContext): Promise<void> {
  const app = await clients.msi.userAssignedIdentities.get(names.resourceGroup, names.appIdentity);
  const principalId = app.principalId ?? '';
  log(`${names.appIdentity}: principal ${principalId}`);
  // The scope is the one resource the app reads: the VM's id. Reader allows only reads
  // (`*/read`); at the VM it covers that VM and nothing else.
  try {
    const assignment = await clients.authorization.roleAssignments.create(names.vmId, randomUUID(), {
      roleDefinitionId: roleDefinitionId(names.subscriptionId, ROLE_IDS.Reader),
      principalId,
      // A managed identity is a service principal; saying so spares ARM a directory lookup that
      // can fail (PrincipalNotFound) right after the identity is created.
      principalType: 'ServicePrincipal',
    });
    log(`Reader at ${names.vmId} for ${names.appIdentity}: role assignment ${assignment.name}`);
  } catch (error) {
    // The same principal, role and scope can be assigned only once: running this again is fine.
    if (isMilabError(error) && error.code === 'RoleAssignmentExists') log(`Reader at ${names.vmId} for ${names.appIdentity} was already there.`);
    else throw error;
  }
  log('On Azure the assignment can take up to 10 minutes to take effect: vm.ts waits it out.');
}

await runLab(import.meta.url, main);
