// The role assignments a class gives, per learner and for the grader, in both modes.
//
// Shared mode (one subscription, one resource group per learner), all at the learner's group only:
// - Role Based Access Control Administrator WITH {@link READER_ONLY_CONDITION}: lab 02 (grant
//   Reader to the learner's identity) and nothing else — no Owner, no other role, no user;
// - Managed Identity Contributor: lab 01 (create the identity);
// - Managed Identity Operator: lab 03 (assign it to the VM: …/userAssignedIdentities/assign/action);
// - Virtual Machine Contributor: lab 03 (update the VM's identity block).
// Nothing at subscription scope and nothing on another learner's group, so a learner can read,
// change and delegate only inside their own group.
//
// Own mode (each learner has their own subscription: the course as today, lab 02's Reader at
// subscription scope): the same three roles at the learner's group, and the Role Based Access
// Control Administrator with the same condition at the learner's SUBSCRIPTION, because that is
// where lab 02 assigns Reader. A learner who owns their subscription has all of it already; the
// class grants it so a subscription someone else owns (a lab account) works the same way.
//
// Both modes: Reader at subscription scope for the class's grading principal (the emulator's
// seeded grader; on Azure class.json's grader.principalId), so `milab class grade` can read the
// whole class in a few paged calls and change nothing.
import { createHash } from 'node:crypto';
import { BUILTIN_ROLE_IDS } from '@milab/emulator';
import { READER_ONLY_CONDITION } from '@milab/labs';
import type { ClassFolder, ClassLearnerNames } from './folder.js';

/**
 * The condition on each learner's Role Based Access Control Administrator: role assignments may
 * be written or deleted only for the Reader role and only for service principals (a managed
 * identity is one). One text, kept beside lab 02's readerScope in @milab/labs, so what the class
 * grants and what lab 02 teaches cannot drift apart.
 */
export { READER_ONLY_CONDITION };

/** Conditions with `@Request`/`@Resource` attributes and `ActionMatches` are version 2.0 (Microsoft Learn, "Azure role assignment condition format"). */
export const CONDITION_VERSION = '2.0';

/** The built-in roles a class assigns. */
export type ClassRoleName = 'Role Based Access Control Administrator' | 'Managed Identity Contributor' | 'Managed Identity Operator' | 'Virtual Machine Contributor' | 'Reader';

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
      condition: READER_ONLY_CONDITION,
      conditionVersion: CONDITION_VERSION,
      why: `lab 02: grant Reader to a service principal (their identity) at ${folder.config.mode === 'shared' ? 'their resource group' : 'their subscription'}, and nothing else`,
    }),
    assignment(folder, { ...base, role: 'Managed Identity Contributor', scope: names.resourceGroupId, why: 'lab 01: create their user-assigned identity' }),
    assignment(folder, { ...base, role: 'Managed Identity Operator', scope: names.resourceGroupId, why: 'lab 03: assign identities to their VM' }),
    assignment(folder, { ...base, role: 'Virtual Machine Contributor', scope: names.resourceGroupId, why: "lab 03: change their VM's identities" }),
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
