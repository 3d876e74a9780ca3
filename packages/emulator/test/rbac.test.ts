// RBAC evaluation: action derivation, wildcard matching of actions and notActions, inheritance.
import { describe, expect, it } from 'vitest';
import { actionFor, actionMatches, isAtOrBelow, permits } from '../src/rbac.js';
import { BUILTIN_ROLE_IDS } from '../src/roles.js';
import { SEED, seedWorld } from '../src/world.js';
import { keyOf } from '../src/model.js';

const sub = `/subscriptions/${SEED.subscriptionId}`;
const rg = `${sub}/resourceGroups/DevTest`;
const identity = `${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1`;

describe('rbac', () => {
  it('derives actions from method and resource type', () => {
    expect(actionFor('PUT', 'Microsoft.ManagedIdentity/userAssignedIdentities')).toBe('Microsoft.ManagedIdentity/userAssignedIdentities/write');
    expect(actionFor('PATCH', 'Microsoft.Compute/virtualMachines')).toBe('Microsoft.Compute/virtualMachines/write');
    expect(actionFor('HEAD', 'Microsoft.Resources/subscriptions/resourceGroups')).toBe('Microsoft.Resources/subscriptions/resourceGroups/read');
    expect(actionFor('DELETE', 'Microsoft.Authorization/roleAssignments')).toBe('Microsoft.Authorization/roleAssignments/delete');
  });

  it('matches wildcards case-insensitively', () => {
    expect(actionMatches('*', 'Microsoft.Compute/virtualMachines/write')).toBe(true);
    expect(actionMatches('*/read', 'Microsoft.Compute/virtualMachines/read')).toBe(true);
    expect(actionMatches('*/read', 'Microsoft.Compute/virtualMachines/write')).toBe(false);
    expect(actionMatches('Microsoft.Authorization/*/Write', 'microsoft.authorization/roleAssignments/write')).toBe(true);
    expect(actionMatches('Microsoft.Authorization/*/Delete', 'Microsoft.Authorization/roleAssignments/delete')).toBe(true);
    expect(actionMatches('Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action', 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action')).toBe(true);
    expect(actionMatches('Microsoft.ManagedIdentity/userAssignedIdentities/*/read', 'Microsoft.ManagedIdentity/userAssignedIdentities/read')).toBe(true);
    expect(actionMatches('Microsoft.Compute/virtualMachines/*', 'Microsoft.Network/virtualNetworks/read')).toBe(false);
  });

  it('scopes compare by whole segments', () => {
    expect(isAtOrBelow(identity, rg)).toBe(true);
    expect(isAtOrBelow(`${sub}/resourceGroups/DevTest2`, rg)).toBe(false);
    expect(isAtOrBelow(rg.toUpperCase(), rg)).toBe(true);
    expect(isAtOrBelow(rg, '')).toBe(true);
  });

  it('evaluates built-in roles: Owner, Reader, Contributor minus notActions, inherited from the subscription', () => {
    const world = seedWorld();
    const learner = SEED.principals.learner.objectId;
    const grader = SEED.principals.grader.objectId;
    expect(permits(world, learner, 'Microsoft.Authorization/roleAssignments/write', identity)).toBe(true);
    expect(permits(world, grader, 'Microsoft.ManagedIdentity/userAssignedIdentities/read', identity)).toBe(true);
    expect(permits(world, grader, 'Microsoft.ManagedIdentity/userAssignedIdentities/write', identity)).toBe(false);
    const id = `${rg}/providers/Microsoft.Authorization/roleAssignments/c0000000-0000-0000-0000-000000000001`;
    world.roleAssignments[keyOf(id)] = {
      id,
      name: 'c0000000-0000-0000-0000-000000000001',
      scope: rg,
      roleDefinitionName: BUILTIN_ROLE_IDS.Contributor,
      principalId: grader,
      principalType: 'ServicePrincipal',
      createdOn: new Date().toISOString(),
      updatedOn: new Date().toISOString(),
      createdBy: learner,
      updatedBy: learner,
    };
    expect(permits(world, grader, 'Microsoft.ManagedIdentity/userAssignedIdentities/write', identity)).toBe(true);
    expect(permits(world, grader, 'Microsoft.Authorization/roleAssignments/write', identity)).toBe(false);
    expect(permits(world, grader, 'Microsoft.ManagedIdentity/userAssignedIdentities/write', `${sub}/resourceGroups/Other/x`)).toBe(false);
    // With a propagation delay the new assignment is not in effect yet.
    expect(permits(world, grader, 'Microsoft.ManagedIdentity/userAssignedIdentities/write', identity, { delaySeconds: 60 })).toBe(false);
  });
});
