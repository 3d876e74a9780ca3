// The condition a class gives each learner's Role Based Access Control Administrator (Microsoft
// Learn, "Examples to delegate Azure role assignment management with conditions": "Constrain roles
// and principal types"): Reader only, for service principals only. The emulator cannot import
// @milab/labs (where the class's copy lives), so its tests hold this one.
export const CLASS_CONDITION = `(
 (
  !(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})
 )
 OR
 (
  @Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {acdd72a7-3385-48ef-bd42-f606fba81ae7}
  AND
  @Request[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'ServicePrincipal'}
 )
)
AND
(
 (
  !(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})
 )
 OR
 (
  @Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {acdd72a7-3385-48ef-bd42-f606fba81ae7}
  AND
  @Resource[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'ServicePrincipal'}
 )
)`;

/**
 * The condition a class gives from lab 09 on (labs/src/names.ts, classLearnerCondition): Reader and
 * Key Vault Secrets User (4633458b-…) for service principals, Key Vault Secrets Officer
 * (b86a8fe4-…) for the learner's own principal only. graders/test/shared-mode-labs09-11.test.ts checks
 * that this copy is the class's.
 */
export function classLearnerConditionCopy(learnerObjectId: string): string {
  const branches = (source: '@Request' | '@Resource') => ` (
  ${source}[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {acdd72a7-3385-48ef-bd42-f606fba81ae7, 4633458b-17de-408a-b874-0445c86b69e6}
  AND
  ${source}[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'ServicePrincipal'}
 )
 OR
 (
  ${source}[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {b86a8fe4-44ce-4948-aee5-eccb2c155cd7}
  AND
  ${source}[Microsoft.Authorization/roleAssignments:PrincipalId] ForAnyOfAnyValues:GuidEquals {${learnerObjectId.toLowerCase()}}
 )`;
  return `(
 (
  !(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})
 )
 OR
${branches('@Request')}
)
AND
(
 (
  !(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})
 )
 OR
${branches('@Resource')}
)`;
}
