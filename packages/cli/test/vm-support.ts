// Shared by the vm tests: a user-assigned identity attached to labvm and granted Reader on the
// subscription, written straight into a running emulator's store (the ARM path to the same
// state is covered by the emulator's own tests).
import { randomUUID } from 'node:crypto';
import { BUILTIN_ROLE_IDS, SEED, type Emulator } from '@milab/emulator';

export interface AttachedIdentity {
  id: string;
  principalId: string;
  clientId: string;
}

export function attachIdentity(emulator: Emulator, name: string, options: { reader?: boolean } = {}): AttachedIdentity {
  const sub = `/subscriptions/${SEED.subscriptionId}`;
  const rg = `${sub}/resourceGroups/DevTest`;
  const id = `${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
  const principalId = randomUUID();
  const clientId = randomUUID();
  const now = new Date().toISOString();
  emulator.store.mutate((draft) => {
    draft.principals[principalId] = { objectId: principalId, appId: clientId, displayName: name, kind: 'userAssignedIdentity', resourceId: id, createdAt: now };
    draft.resources[id.toLowerCase()] = {
      id,
      name,
      type: 'Microsoft.ManagedIdentity/userAssignedIdentities',
      location: 'westus',
      resourceGroup: 'DevTest',
      properties: { principalId, clientId, tenantId: SEED.tenantId },
      createdAt: now,
    };
    const vm = draft.resources[`${rg}/providers/Microsoft.Compute/virtualMachines/labvm`.toLowerCase()];
    if (vm) vm.identity = { type: 'UserAssigned', userAssignedIdentities: { [id]: { principalId, clientId } } };
    if (options.reader) {
      const assignmentName = randomUUID();
      const assignmentId = `${sub}/providers/Microsoft.Authorization/roleAssignments/${assignmentName}`;
      draft.roleAssignments[assignmentId.toLowerCase()] = {
        id: assignmentId,
        name: assignmentName,
        scope: sub,
        roleDefinitionName: BUILTIN_ROLE_IDS.Reader,
        principalId,
        principalType: 'ServicePrincipal',
        createdOn: now,
        updatedOn: now,
        createdBy: SEED.principals.learner.objectId,
        updatedBy: SEED.principals.learner.objectId,
      };
    }
  });
  return { id, principalId, clientId };
}
