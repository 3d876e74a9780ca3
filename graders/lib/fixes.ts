// The steps the graders' fix lines give, each two ways: the az command first, then the same call
// in TypeScript with the SDK clients a lab program gets (`clients` from its LabContext, as the
// labs' solutions use them). az leads on both targets: on the emulator it signs in with
// `eval "$(./milab emulator az)"` (packages/cli/src/commands/emulator-az.ts), and the commands
// below run there as written (packages/cli/test/az-cli.test.ts), except with Debian's azure-cli
// 2.45, whose `az role assignment create` / `delete` are broken by its packaging (the lab 02
// README gives the `az rest` call; the TypeScript way works everywhere). A fix reads the same on
// either target.
import { WORKSHOP_TAG_VALUE } from '@milab/core';
import { ROLE_IDS, roleDefinitionId, type LabNames } from '@milab/labs';
import type { VmView } from './context.js';

/** One step, two ways. */
export interface Step {
  /** The az command. */
  readonly az: string;
  /** The same call in TypeScript, with a lab program's `clients`. */
  readonly ts: string;
}

/** A step for a fix line: "`az …` (TypeScript: `await clients.…`)". */
export function both(step: Step): string {
  return `\`${step.az}\` (TypeScript: \`${step.ts}\`)`;
}

const quote = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** Creates the learner's identity with its tags, or (run again) replaces its tags and keeps its principal id. */
export function createIdentity(names: LabNames): Step {
  const tags = { workshop: WORKSHOP_TAG_VALUE, learner: names.learnerId, lab: '01' };
  const tsTags = Object.entries(tags)
    .map(([key, value]) => `${key}: ${quote(value)}`)
    .join(', ');
  return {
    az: `az identity create -g ${names.resourceGroup} -n ${names.identity} -l ${names.location} --tags ${Object.entries(tags)
      .map(([key, value]) => `${key}=${value}`)
      .join(' ')}`,
    ts: `await clients.msi.userAssignedIdentities.createOrUpdate(${quote(names.resourceGroup)}, ${quote(names.identity)}, { location: ${quote(names.location)}, tags: { ${tsTags} } })`,
  };
}

/** Deletes a user-assigned identity. */
export function deleteIdentity(resourceGroup: string, name: string): Step {
  return {
    az: `az identity delete -g ${resourceGroup} -n ${name}`,
    ts: `await clients.msi.userAssignedIdentities.delete(${quote(resourceGroup)}, ${quote(name)})`,
  };
}

/**
 * Grants the lab's Reader assignment at its scope (`names.readerScope`: the subscription, or in a
 * class the learner's resource group) to a principal, as a ServicePrincipal. In a class the type
 * is required, not just wise: the learner's role may assign Reader only to service principals,
 * and a request without the type is refused by the role's condition.
 */
export function grantReader(names: LabNames, principalId: string): Step {
  return grantReaderAt(names, names.readerScope, principalId);
}

/** Grants Reader at `scope` to a principal, as a ServicePrincipal (a managed identity is one). */
export function grantReaderAt(names: LabNames, scope: string, principalId: string): Step {
  return {
    az: `az role assignment create --assignee-object-id ${principalId} --assignee-principal-type ServicePrincipal --role Reader --scope ${scope}`,
    ts: `await clients.authorization.roleAssignments.create(${quote(scope)}, randomUUID(), { roleDefinitionId: ${quote(roleDefinitionId(names.subscriptionId, ROLE_IDS.Reader))}, principalId: ${quote(principalId)}, principalType: 'ServicePrincipal' })`,
  };
}

/** Turns the lab VM's system-assigned identity on, keeping its user-assigned ones (a PATCH). */
export function turnOnSystemAssigned(names: LabNames, vm: VmView | undefined): Step {
  const keepsUser = (vm?.userAssigned.length ?? 0) > 0;
  return {
    az: `az vm identity assign -g ${names.resourceGroup} -n ${names.vm} --identities [system]`,
    ts: `await clients.compute.virtualMachines.update(${quote(names.resourceGroup)}, ${quote(names.vm)}, { identity: { type: ${quote(keepsUser ? 'SystemAssigned, UserAssigned' : 'SystemAssigned')} } })`,
  };
}

/** Deletes a VM (its system-assigned identity goes with it; its role assignments do not). */
export function deleteVm(resourceGroup: string, name: string): Step {
  return {
    az: `az vm delete -g ${resourceGroup} -n ${name} --yes`,
    ts: `await clients.compute.virtualMachines.delete(${quote(resourceGroup)}, ${quote(name)})`,
  };
}

/** Deletes a role assignment by its id. */
export function deleteAssignment(assignmentId: string): Step {
  return {
    az: `az role assignment delete --ids ${assignmentId}`,
    ts: `await clients.authorization.roleAssignments.deleteById(${quote(assignmentId)})`,
  };
}

// A PATCH's identity type must name a system-assigned identity the VM keeps: leaving it out
// would delete it.
function userAssignedType(vm: VmView | undefined): string {
  return vm !== undefined && /SystemAssigned/i.test(vm.identityType) ? 'SystemAssigned, UserAssigned' : 'UserAssigned';
}

/** Adds a user-assigned identity to the lab VM (a PATCH: the identities already there stay). */
export function attachIdentity(names: LabNames, vm: VmView | undefined, identityId: string): Step {
  return {
    az: `az vm identity assign -g ${names.resourceGroup} -n ${names.vm} --identities ${identityId}`,
    ts: `await clients.compute.virtualMachines.update(${quote(names.resourceGroup)}, ${quote(names.vm)}, { identity: { type: ${quote(userAssignedType(vm))}, userAssignedIdentities: { ${quote(identityId)}: {} } } })`,
  };
}

/**
 * Removes one user-assigned identity from the lab VM. In a PATCH, `null` for an identity removes
 * it (JSON merge patch; the emulator does so — on Azure unconfirmed); the SDK's type has no
 * `null`, hence `as never`.
 */
export function detachIdentity(names: LabNames, vm: VmView | undefined, identityId: string): Step {
  const others = (vm?.userAssigned ?? []).filter((id) => id.toLowerCase() !== identityId.toLowerCase());
  const type = others.length > 0 ? userAssignedType(vm) : /SystemAssigned/i.test(vm?.identityType ?? '') ? 'SystemAssigned' : 'None';
  return {
    az: `az vm identity remove -g ${names.resourceGroup} -n ${names.vm} --identities ${identityId}`,
    ts:
      type === 'SystemAssigned' || type === 'None'
        ? `await clients.compute.virtualMachines.update(${quote(names.resourceGroup)}, ${quote(names.vm)}, { identity: { type: ${quote(type)} } })`
        : `await clients.compute.virtualMachines.update(${quote(names.resourceGroup)}, ${quote(names.vm)}, { identity: { type: ${quote(type)}, userAssignedIdentities: { ${quote(identityId)}: null as never } } })`,
  };
}

/** Turns the lab VM's system-assigned identity off, keeping its user-assigned ones. */
export function turnOffSystemAssigned(names: LabNames, vm: VmView | undefined): Step {
  const keepsUser = (vm?.userAssigned.length ?? 0) > 0;
  return {
    az: `az vm identity remove -g ${names.resourceGroup} -n ${names.vm} --identities [system]`,
    ts: `await clients.compute.virtualMachines.update(${quote(names.resourceGroup)}, ${quote(names.vm)}, { identity: { type: ${quote(keepsUser ? 'UserAssigned' : 'None')} } })`,
  };
}
