// Role assignment conditions: the parser and evaluator (src/rbac/conditions.ts) on the class's
// condition (CONTRACTS §4, Microsoft Learn "Constrain roles and principal types"), its
// whitespace variants, the other supported operators, and what is refused; and `decide` in
// src/rbac.ts combining conditional and unconditional assignments.
import { describe, expect, it } from 'vitest';
import type { RoleAssignmentRecord, WorldState } from '../src/model.js';
import { decide, permits } from '../src/rbac.js';
import { ConditionSyntaxError, conditionHolds, evaluateCondition, parseCondition, type ConditionInput } from '../src/rbac/conditions.js';
import { BUILTIN_ROLE_IDS } from '../src/roles.js';
import { CLASS_CONDITION } from './class-condition.js';

const READER = BUILTIN_ROLE_IDS.Reader;
const OWNER = BUILTIN_ROLE_IDS.Owner;
const WRITE = 'Microsoft.Authorization/roleAssignments/write';
const DELETE = 'Microsoft.Authorization/roleAssignments/delete';


const variants: Record<string, string> = {
  'as written': CLASS_CONDITION,
  'on one line': CLASS_CONDITION.replace(/\s+/g, ' '),
  'with no optional spaces': CLASS_CONDITION.replace(/\n\s*/g, '').replace(/\s*(AND|OR)\s*/g, ' $1 '),
  'with CRLF and tabs': CLASS_CONDITION.replace(/\n/g, '\r\n').replace(/^ +/gm, '\t'),
  'with && and ||': CLASS_CONDITION.replace(/\bAND\b/g, '&&').replace(/\bOR\b/g, '||'),
  'with NOT for !': CLASS_CONDITION.replace(/!\(/g, 'NOT ('),
  'with the GUID upper-cased': CLASS_CONDITION.replace(/acdd72a7-3385-48ef-bd42-f606fba81ae7/g, 'ACDD72A7-3385-48EF-BD42-F606FBA81AE7'),
};

function write(roleDefinitionId: string, principalType?: string): ConditionInput {
  return { action: WRITE, request: { roleDefinitionId, principalType, principalId: '11111111-1111-1111-1111-111111111111' } };
}
function remove(roleDefinitionId: string, principalType: string): ConditionInput {
  return { action: DELETE, resource: { roleDefinitionId, principalType, principalId: '11111111-1111-1111-1111-111111111111' } };
}

describe('the class condition', () => {
  for (const [name, text] of Object.entries(variants)) {
    it(`parses and decides ${name}`, () => {
      const condition = parseCondition(text);
      expect(evaluateCondition(condition, write(READER, 'ServicePrincipal'))).toBe(true);
      expect(evaluateCondition(condition, write(READER, 'serviceprincipal'))).toBe(true);
      expect(evaluateCondition(condition, write(OWNER, 'ServicePrincipal'))).toBe(false);
      expect(evaluateCondition(condition, write(READER, 'User'))).toBe(false);
      // No principalType in the PUT: the condition on it is false (terraform-provider-azurerm #25175).
      expect(evaluateCondition(condition, write(READER))).toBe(false);
      expect(evaluateCondition(condition, remove(READER, 'ServicePrincipal'))).toBe(true);
      expect(evaluateCondition(condition, remove(OWNER, 'ServicePrincipal'))).toBe(false);
      expect(evaluateCondition(condition, remove(READER, 'User'))).toBe(false);
      // Any other action passes both halves (`!(ActionMatches…)`).
      expect(evaluateCondition(condition, { action: 'Microsoft.Authorization/roleAssignments/read' })).toBe(true);
      expect(evaluateCondition(condition, { action: 'Microsoft.Resources/subscriptions/resourceGroups/read' })).toBe(true);
    });
  }
});

describe('operators', () => {
  const rd = '@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId]';
  const pt = '@Request[Microsoft.Authorization/roleAssignments:PrincipalType]';
  const pid = '@Request[Microsoft.Authorization/roleAssignments:PrincipalId]';
  const cases: Array<[string, ConditionInput, boolean]> = [
    [`${rd} GuidEquals ${READER}`, write(READER, 'User'), true],
    [`${rd} GuidEquals {${READER}}`, write(OWNER, 'User'), false],
    [`${rd} GuidNotEquals ${OWNER}`, write(READER), true],
    [`${rd} GuidNotEquals ${OWNER}`, write(OWNER), false],
    // The Microsoft Learn "exclude Owner and UAA" shape: ForAnyOfAllValues:GuidNotEquals.
    [`${rd} ForAnyOfAllValues:GuidNotEquals {${OWNER}, ${BUILTIN_ROLE_IDS['User Access Administrator']}}`, write(READER), true],
    [`${rd} ForAnyOfAllValues:GuidNotEquals {${OWNER}, ${BUILTIN_ROLE_IDS['User Access Administrator']}}`, write(OWNER), false],
    // ForAnyOfAnyValues:GuidNotEquals with two values is true for any one role (as documented).
    [`${rd} ForAnyOfAnyValues:GuidNotEquals {${OWNER}, ${READER}}`, write(OWNER), true],
    [`${rd} ForAllOfAnyValues:GuidEquals {${OWNER}, ${READER}}`, write(READER), true],
    [`${rd} ForAllOfAllValues:GuidEquals {${OWNER}, ${READER}}`, write(READER), false],
    [`${pt} StringEquals 'ServicePrincipal'`, write(READER, 'ServicePrincipal'), true],
    [`${pt} StringEquals 'ServicePrincipal'`, write(READER, 'serviceprincipal'), false],
    [`${pt} StringEqualsIgnoreCase 'SERVICEPRINCIPAL'`, write(READER, 'ServicePrincipal'), true],
    [`${pt} StringNotEqualsIgnoreCase 'User'`, write(READER, 'ServicePrincipal'), true],
    [`${pt} ForAnyOfAnyValues:StringEqualsIgnoreCase {'User', 'Group'}`, write(READER, 'group'), true],
    [`${pt} StringStartsWithIgnoreCase 'service'`, write(READER, 'ServicePrincipal'), true],
    [`${pid} ForAnyOfAnyValues:GuidEquals {11111111-1111-1111-1111-111111111111, 22222222-2222-2222-2222-222222222222}`, write(READER), true],
    // An absent attribute makes its expression false, whatever the operator.
    [`${pt} StringNotEqualsIgnoreCase 'User'`, write(READER), false],
    [`@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] GuidEquals ${READER}`, write(READER), false],
    // Case of keywords, operators and attribute names does not matter.
    [`actionmatches{'Microsoft.Authorization/roleAssignments/*'} and ${rd.toLowerCase()} guidequals ${READER}`, write(READER), true],
    [`ActionMatches{'Microsoft.Authorization/roleDefinitions/*'}`, write(READER), false],
    [`(((${rd} GuidEquals ${READER})))`, write(READER), true],
    [`!!(${rd} GuidEquals ${READER})`, write(READER), true],
  ];
  for (const [text, input, expected] of cases) {
    it(`${text} → ${expected}`, () => {
      expect(evaluateCondition(parseCondition(text), input)).toBe(expected);
    });
  }
});

describe('refusals', () => {
  const rd = '@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId]';
  const refused: Array<[string, RegExp]> = [
    ['', /empty/],
    ['   \n ', /empty/],
    [`${rd} GuidEquals`, /expected a GUID/],
    [`${rd} GuidEquals not-a-guid`, /'not-a-guid' is not a GUID/],
    [`${rd} GuidEquals {${READER}, ${OWNER}}`, /one value; for a set of values use ForAnyOfAnyValues:GuidEquals/],
    [`${rd} StringEquals 'x'`, /GUID: compare it with GuidEquals/],
    [`@Request[Microsoft.Authorization/roleAssignments:PrincipalType] GuidEquals ${READER}`, /string: compare it with a String operator/],
    [`@Request[Microsoft.Authorization/roleAssignments:PrincipalType] StringEquals ServicePrincipal`, /must be quoted/],
    [`${rd} StringLike '*'`, /operator 'StringLike' is not supported/],
    [`${rd} ForSomeValues:GuidEquals {${READER}}`, /operator 'ForSomeValues:GuidEquals' is not supported/],
    [`@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'x'`, /attribute 'Microsoft.Storage\/.*' is not supported/],
    [`@Principal[x] StringEquals 'x'`, /@Request\[<attribute>\] or @Resource\[<attribute>\]/],
    [`ActionMatches{'a'} AND ActionMatches{'b'} OR ActionMatches{'c'}`, /mixed without parentheses/],
    [`(ActionMatches{'a'}`, /expected '\)'/],
    [`ActionMatches{'a'})`, /expected AND, OR or the end/],
    [`ActionMatches{a}`, /one quoted action/],
    [`ActionMatches{'a`, /not closed/],
    [`ActionMatches{'a'} AND`, /ends where an expression was expected/],
    [`!(ActionMatches{'x'} AND SubOperationMatches{'Blob.List'})`, /SubOperationMatches is not supported/],
    [`ActionMatches{'a'} # comment`, /unexpected character '#'/],
    [`${'('.repeat(40)}ActionMatches{'a'}${')'.repeat(40)}`, /nests deeper/],
    [`${'!'.repeat(5000)}ActionMatches{'a'}`, /nests deeper/],
    [`ActionMatches{'${'a'.repeat(9000)}'}`, /longer than 8192 characters/],
  ];
  for (const [text, message] of refused) {
    it(`refuses ${JSON.stringify(text.slice(0, 60))}`, () => {
      let error: unknown;
      try {
        parseCondition(text);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConditionSyntaxError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toMatch(/\(at character \d+\)$/);
    });
  }

  it('a stored condition that does not parse grants nothing', () => {
    expect(conditionHolds('not a condition', { action: 'Microsoft.Resources/subscriptions/resourceGroups/read' })).toBe(false);
  });
});

describe('decide: conditional and unconditional assignments', () => {
  const sub = '/subscriptions/00000000-0000-0000-0000-000000000001';
  const rgA = `${sub}/resourceGroups/rg-a`;
  const learner = 'aaaaaaaa-0000-0000-0000-000000000001';
  function world(assignments: Array<Partial<RoleAssignmentRecord> & { scope: string; roleDefinitionName: string }>): WorldState {
    const roleAssignments: Record<string, RoleAssignmentRecord> = {};
    assignments.forEach((a, i) => {
      const id = `${a.scope}/providers/Microsoft.Authorization/roleAssignments/${i}`;
      roleAssignments[id.toLowerCase()] = {
        id,
        name: String(i),
        principalId: learner,
        principalType: 'ServicePrincipal',
        createdOn: '2026-01-01T00:00:00Z',
        updatedOn: '2026-01-01T00:00:00Z',
        createdBy: 'x',
        updatedBy: 'x',
        ...a,
      };
    });
    return { version: 1, worldId: 'w', tenantId: 't', subscriptions: {}, resourceGroups: {}, resources: {}, principals: {}, roleAssignments, operations: {} };
  }
  const rbacAdmin = BUILTIN_ROLE_IDS['Role Based Access Control Administrator'];

  it('grants with a true condition, refuses with a false one, and says which', () => {
    const w = world([{ scope: rgA, roleDefinitionName: rbacAdmin, condition: CLASS_CONDITION, conditionVersion: '2.0' }]);
    expect(decide(w, learner, WRITE, rgA, { request: { roleDefinitionId: READER, principalType: 'ServicePrincipal' } })).toBe('granted');
    expect(decide(w, learner, WRITE, rgA, { request: { roleDefinitionId: OWNER, principalType: 'ServicePrincipal' } })).toBe('conditionDenied');
    expect(decide(w, learner, WRITE, `${sub}/resourceGroups/rg-b`, { request: { roleDefinitionId: READER, principalType: 'ServicePrincipal' } })).toBe('denied');
    // Reads pass the condition: RBAC Administrator has */read.
    expect(permits(w, learner, 'Microsoft.Resources/subscriptions/resourceGroups/read', rgA)).toBe(true);
  });

  it('an unconditional assignment that grants the action wins over a false condition', () => {
    const w = world([
      { scope: rgA, roleDefinitionName: rbacAdmin, condition: CLASS_CONDITION, conditionVersion: '2.0' },
      { scope: sub, roleDefinitionName: BUILTIN_ROLE_IDS['User Access Administrator'] },
    ]);
    expect(decide(w, learner, WRITE, rgA, { request: { roleDefinitionId: OWNER, principalType: 'User' } })).toBe('granted');
  });
});
