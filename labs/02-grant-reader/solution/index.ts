// Lab 02 — grant your identity Reader at the lab's scope (the subscription; in a class, your
// resource group), as a ServicePrincipal. The reference solution (`./milab solve 02` runs it).
import { randomUUID } from 'node:crypto';
import { isMilabError } from '@milab/core';
import { ROLE_IDS, roleDefinitionId, runLab, type LabContext } from '@milab/labs';

export async function main({ clients, names, log }: LabContext): Promise<void> {
  const identity = await clients.msi.userAssignedIdentities.get(names.resourceGroup, names.identity);
  log(`${identity.name}: principalId ${identity.principalId}`);
  const reader = roleDefinitionId(names.subscriptionId, ROLE_IDS.Reader);
  // The lab's scope: the subscription, or in a class that shares one subscription your resource
  // group (names.readerScope says which: `./milab config show` shows the mode).
  log(`Granting Reader (${reader}) at ${names.readerScope}`);
  try {
    // principalType tells ARM what kind of principal this is, so it does not look the principal
    // up in the directory first: a brand-new identity may not have replicated there yet, and the
    // lookup would fail with PrincipalNotFound. In a class it is also what the learner's role's
    // condition requires (Reader, to service principals only).
    const assignment = await clients.authorization.roleAssignments.create(names.readerScope, randomUUID(), {
      roleDefinitionId: reader,
      principalId: identity.principalId ?? '',
      principalType: 'ServicePrincipal',
    });
    log(`Role assignment ${assignment.name} created.`);
  } catch (error) {
    // The same principal, role and scope can be assigned only once: running this again is fine.
    if (isMilabError(error) && error.code === 'RoleAssignmentExists') log('Reader was already assigned: nothing to do.');
    else throw error;
  }
}

await runLab(import.meta.url, main);
