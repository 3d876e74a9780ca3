// The exam objective ids (labs/exam/objectives.json) the challenges' checks name; a self-check
// proves each is known (packages/cli/test/challenge-data.test.ts).
export const OBJECTIVES = {
  overPrivileged: 'SC-500/identity-access-governance/governance/over-privileged-access',
  interpret: 'AZ-104/identities-governance/manage-access/interpret-access-assignments',
  builtIn: 'AZ-104/identities-governance/manage-access/built-in-roles',
  atScopes: 'AZ-104/identities-governance/manage-access/assign-roles-at-scopes',
  tags: 'AZ-104/identities-governance/subscriptions-governance/tags',
  az204Identities: 'AZ-204/security/secure-solutions/managed-identities',
  az500Identities: 'AZ-500/identity-access/app-access/managed-identities',
  sc500Identities: 'SC-500/identity-access-governance/entra-access/managed-identities',
  az500Assignments: 'AZ-500/identity-access/security-controls/built-in-role-assignments',
  sc500Assignments: 'SC-500/identity-access-governance/governance/built-in-role-assignments',
} as const;
