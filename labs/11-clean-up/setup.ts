// Lab 11's starting state: a decoy in the lab resource group. The identity
// id-milab-<learner>-reports looks like the workshop's by its name, but it carries no milab tags
// (workshop, learner, lab): another team's, which reads the group with Reader. A clean-up that
// deletes by name (or deletes the group) takes it too; one by tag leaves it, as it must. The
// grader checks that it and its Reader are still there. Run by `./milab start` when lab 11 is
// next and by `./milab solve 11`, as the learner. Idempotent: a decoy already there is kept as it is.
import { randomUUID } from 'node:crypto';
import { isMilabError } from '@milab/core';
import { ROLE_IDS, roleDefinitionId } from '../src/names.js';
import type { LabContext } from '../src/context.js';
import { DECOY_TAGS, decoyName } from './names.js';

/** Creates the decoy identity and its Reader on the lab resource group, unless it exists already. Returns what it did. */
export async function setup({ clients, names }: Pick<LabContext, 'clients' | 'names' | 'config'>): Promise<string | undefined> {
  const name = decoyName(names);
  try {
    await clients.msi.userAssignedIdentities.get(names.resourceGroup, name);
    return undefined;
  } catch (error) {
    if (!(isMilabError(error) && error.code === 'ResourceNotFound')) throw error;
  }
  const decoy = await clients.msi.userAssignedIdentities.createOrUpdate(names.resourceGroup, name, { location: names.location, tags: { ...DECOY_TAGS } });
  try {
    await clients.authorization.roleAssignments.create(names.resourceGroupScope, randomUUID(), {
      roleDefinitionId: roleDefinitionId(names.subscriptionId, ROLE_IDS.Reader),
      principalId: decoy.principalId ?? '',
      principalType: 'ServicePrincipal',
    });
  } catch (error) {
    if (!(isMilabError(error) && error.code === 'RoleAssignmentExists')) throw error;
  }
  return `the identity ${name} in ${names.resourceGroup} is the reporting team's (tagged owner=reporting-team, no milab tags) and reads the group with Reader: clean up what is yours and leave it as it is.`;
}
