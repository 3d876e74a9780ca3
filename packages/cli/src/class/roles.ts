// The role assignments a class gives, per learner and for the grader, in both modes.
//
// Shared mode (one subscription, one resource group per learner), all at the learner's group only:
// - Role Based Access Control Administrator WITH {@link classLearnerCondition}: lab 02 (grant
//   Reader to the learner's identity) and lab 09 (Key Vault Secrets User to the identity, Key Vault
//   Secrets Officer to the learner themself, on their vault) and nothing else — no Owner, no other
//   role, no other user;
// - Managed Identity Contributor: lab 01 (create the identity);
// - Managed Identity Operator: lab 03 (assign it to the VM: …/userAssignedIdentities/assign/action);
// - Virtual Machine Contributor: lab 03 (update the VM's identity block);
// - Key Vault Contributor: lab 09 (create the vault: Microsoft.KeyVault/vaults/write) and lab 11
//   (delete it). It reads no secret (no data actions) and grants nothing (no roleAssignments/write),
//   and its notActions hold back the purge of a deleted vault;
// - Azure Container Instances Contributor Role: lab 10 (create their two container groups:
//   Microsoft.ContainerInstance/containerGroups/*; attaching the lab identity to one is Managed
//   Identity Operator's …/assign/action, as for the VM; the system-assigned one needs nothing
//   more) and lab 11 (delete them).
// Nothing at subscription scope and nothing on another learner's group, so a learner can read,
// change and delegate only inside their own group.
//
// Lab 11's purge, decided: a learner gets no purge in shared mode. The purge is
// `Microsoft.KeyVault/locations/deletedVaults/purge/action` on
// /subscriptions/{sub}/providers/Microsoft.KeyVault/locations/{location}/deletedVaults/{name}, a
// scope under the subscription and outside every resource group (a deleted vault has left its
// group), so the narrowest role that allows it sits at the subscription — and lets its holder purge
// EVERY learner's deleted vault there, destroying what another learner could still recover. So in
// shared mode the learner deletes their vault (Key Vault Contributor) and the instructor purges:
// `milab class teardown` purges the class's deleted vaults (their names are global and held for the
// retention period otherwise). Listing deleted vaults (…/deletedVaults/read) is subscription-level
// too, and not given either. Own mode: the subscription is the learner's, and they purge there
// themselves (Owner, or Contributor: Key Vault Contributor alone holds the purge back).
//
// Own mode (each learner has their own subscription: the course as today, lab 02's Reader at
// subscription scope): the same roles at the learner's group, and the Role Based Access Control
// Administrator with the same condition at the learner's SUBSCRIPTION, because that is where lab 02
// assigns Reader. A learner who owns their subscription has all of it already; the class grants it
// so a subscription someone else owns (a lab account) works the same way.
//
// Both modes: Reader at subscription scope for the class's grading principal (the emulator's
// seeded grader; on Azure class.json's grader.principalId), so `milab class grade` can read the
// whole class in a few paged calls and change nothing.
import { createHash } from 'node:crypto';
import { BUILTIN_ROLE_IDS } from '@milab/emulator';
import { classLearnerCondition, READER_ONLY_CONDITION } from '@milab/labs';
import type { ClassFolder, ClassLearnerNames } from './folder.js';

/**
 * The conditions of a learner's Role Based Access Control Administrator: lab 02's alone
 * (READER_ONLY_CONDITION: Reader, for service principals), and the one a class gives from lab 09 on
 * (classLearnerCondition: also Key Vault Secrets User for service principals and Key Vault Secrets
 * Officer for the learner themself). Kept beside lab 02's readerScope in @milab/labs, so what the
 * class grants and what the labs teach cannot drift apart.
 */
export { classLearnerCondition, READER_ONLY_CONDITION };

/** Conditions with `@Request`/`@Resource` attributes and `ActionMatches` are version 2.0 (Microsoft Learn, "Azure role assignment condition format"). */
export const CONDITION_VERSION = '2.0';

/** The built-in roles a class assigns. */
export type ClassRoleName =
  | 'Role Based Access Control Administrator'
  | 'Managed Identity Contributor'
  | 'Managed Identity Operator'
  | 'Virtual Machine Contributor'
  | 'Key Vault Contributor'
  | 'Azure Container Instances Contributor Role'
  | 'Reader';

/** Who a class role assignment is for. */
export type ClassPrincipalKind = 'learner' | 'grader';

/** One role assignment the class makes. */
export interface ClassRoleAssignment {
  /** The learner it is for, or for the grader: `undefined`. */
  readonly learner: string | undefined;
  readonly for: ClassPrincipalKind;
  readonly role: ClassRoleName;
  /** The role definition GUID (the same in every tenant). */
  readonly roleId: string;
  /** The ARM scope: a resource group or a subscription. */
  readonly scope: string;
  readonly principalId: string;
  /** `User` for a learner on Azure; `ServicePrincipal` for class principals and the grader. */
  readonly principalType: 'User' | 'ServicePrincipal';
  readonly condition?: string;
  readonly conditionVersion?: string;
  /** What ARM keeps as the assignment's description: marks it as this class's. */
  readonly description: string;
  /** A name derived from the class, the principal, the role and the scope: the same at every run. */
  readonly name: string;
  /** Why the learner needs it (for the plan). */
  readonly why: string;
}

/** The role definition id ARM expects in an assignment. */
export function roleDefinitionId(subscriptionId: string, roleId: string): string {
  return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleId}`;
}

/** The description that marks a role assignment as made by class `classId`. */
export function classAssignmentDescription(classId: string, learner: string | undefined): string {
  return learner === undefined ? `milab class ${classId}: grading principal` : `milab class ${classId}: learner ${learner}`;
}

/** Whether a role assignment's description says it was made by class `classId`. */
export function isClassAssignmentDescription(description: string | null | undefined, classId: string): boolean {
  return typeof description === 'string' && description.startsWith(`milab class ${classId}: `);
}

/**
 * A GUID from the class, principal, role and scope (SHA-256, shaped like a version 4 GUID): a
 * second run PUTs the same name, and an assignment made by an interrupted run is recognised.
 */
export function classAssignmentName(classId: string, principalId: string, roleId: string, scope: string): string {
  const hex = createHash('sha256').update(`milab-class\n${classId}\n${principalId.toLowerCase()}\n${roleId}\n${scope.toLowerCase()}`).digest('hex');
  const variant = ((parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function assignment(
  folder: ClassFolder,
  spec: Omit<ClassRoleAssignment, 'roleId' | 'description' | 'name'>,
): ClassRoleAssignment {
  const roleId = BUILTIN_ROLE_IDS[spec.role];
  return Object.freeze({
    ...spec,
    roleId,
    description: classAssignmentDescription(folder.config.classId, spec.learner),
    name: classAssignmentName(folder.config.classId, spec.principalId, roleId, spec.scope),
  });
}

/** The role assignments one learner gets (see the top of this file), given their principal's object id. */
export function learnerRolePlan(folder: ClassFolder, names: ClassLearnerNames, principalId: string, principalType: 'User' | 'ServicePrincipal'): ClassRoleAssignment[] {
  const base = { learner: names.learner, for: 'learner' as const, principalId, principalType };
  const rbacScope = folder.config.mode === 'shared' ? names.resourceGroupId : `/subscriptions/${names.subscriptionId}`;
  return [
    assignment(folder, {
      ...base,
      role: 'Role Based Access Control Administrator',
      scope: rbacScope,
      // A principal not made yet (the emulator's class principal, on a first run) is planned with
      // an empty id and planned again once it exists (provision.ts, learnerReplan).
      condition: classLearnerCondition(principalId || '00000000-0000-0000-0000-000000000000'),
      conditionVersion: CONDITION_VERSION,
      why: `lab 02: grant Reader to a service principal (their identity) at ${folder.config.mode === 'shared' ? 'their resource group' : 'their subscription'}; lab 09: Key Vault Secrets User to a service principal, Key Vault Secrets Officer to themself; nothing else`,
    }),
    assignment(folder, { ...base, role: 'Managed Identity Contributor', scope: names.resourceGroupId, why: 'lab 01: create their user-assigned identity' }),
    assignment(folder, { ...base, role: 'Managed Identity Operator', scope: names.resourceGroupId, why: 'lab 03: assign identities to their VM' }),
    assignment(folder, { ...base, role: 'Virtual Machine Contributor', scope: names.resourceGroupId, why: "lab 03: change their VM's identities" }),
    assignment(folder, { ...base, role: 'Key Vault Contributor', scope: names.resourceGroupId, why: 'lab 09: create their vault; lab 11: delete it (the purge is the instructor\'s: class teardown)' }),
    assignment(folder, { ...base, role: 'Azure Container Instances Contributor Role', scope: names.resourceGroupId, why: 'lab 10: create their container groups (with their identity: Managed Identity Operator); lab 11: delete them' }),
  ];
}

/** Reader at the subscription for the grading principal. */
export function graderRolePlan(folder: ClassFolder, subscriptionId: string, principalId: string): ClassRoleAssignment {
  return assignment(folder, {
    learner: undefined,
    for: 'grader',
    role: 'Reader',
    scope: `/subscriptions/${subscriptionId}`,
    principalId,
    principalType: 'ServicePrincipal',
    why: '`milab class grade`: read the whole class, change nothing',
  });
}
