// Lab 11's starting state: a decoy in the lab resource group. The identity
// id-milab-<learner>-reports looks like the workshop's by its name, but it carries no milab tags
// (workshop, learner, lab): another team's, which reads the group with Reader. A clean-up that
// deletes by name (or deletes the group) takes it too; one by tag leaves it, as it must. The
// grader checks that it and its Reader are still there. Run by `./milab start` when lab 11 is
// next and by `./milab solve 11`, as the learner. Idempotent: a decoy already there is kept as it is.
// It also tags the lab VM milab-lab11=set-up: the mark, which the clean-up leaves, that lab 11 began.
import { randomUUID } from 'node:crypto';
import { isMilabError } from '@milab/core';
import { ROLE_IDS, roleDefinitionId } from '../src/names.js';
import type { LabContext } from '../src/context.js';
import { DECOY_TAGS, decoyName, SETUP_TAG, SETUP_TAG_VALUE } from './names.js';

/** Creates the decoy identity and its Reader on the lab resource group, unless it exists already. Returns what it did. */
export async function setup({ clients, names }: Pick<LabContext, 'clients' | 'names' | 'config'>): Promise<string | undefined> {
  const name = decoyName(names);
  await markLabVm({ clients, names });
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
  return `the identity ${name} in ${names.resourceGroup} is the reporting team's (tagged owner=reporting-team, no milab tags) and reads the group with Reader: clean up what is yours and leave it as it is. The lab VM ${names.vm} is tagged ${SETUP_TAG}=${SETUP_TAG_VALUE}: lab 11 has started (leave the tag: it is how the grader knows).`;
}

/**
 * Tags the lab VM `milab-lab11=set-up` (kept with its other tags): the one mark that lab 11 has
 * started which a clean-up leaves, since the VM stays (grader 11's `11.set-up`). No VM: nothing.
 */
async function markLabVm({ clients, names }: Pick<LabContext, 'clients' | 'names'>): Promise<void> {
  let vm;
  try {
    vm = await clients.compute.virtualMachines.get(names.resourceGroup, names.vm);
  } catch (error) {
    if (isMilabError(error) && error.code === 'ResourceNotFound') return;
    throw error;
  }
  if (vm.tags?.[SETUP_TAG] === SETUP_TAG_VALUE) return;
  await clients.compute.virtualMachines.beginUpdateAndWait(names.resourceGroup, names.vm, { tags: { ...vm.tags, [SETUP_TAG]: SETUP_TAG_VALUE } });
}
