// Role assignment conditions (Azure ABAC, conditionVersion "2.0") for the actions Azure
// supports them on in the control plane: Microsoft.Authorization/roleAssignments/write and
// /delete, i.e. delegated role assignment management. A parser and an evaluator for the subset
// the course uses (Microsoft Learn, "Azure role assignment condition format and syntax",
// articles/role-based-access-control/conditions-format.md, and "Authorization actions and
// attributes", conditions-authorization-actions-attributes.md):
//   - `AND` / `&&`, `OR` / `||`, `NOT` / `!`, parentheses; AND and OR may not be mixed at one
//     level without parentheses ("you must add parentheses", conditions-format.md);
//   - `ActionMatches{'<action pattern>'}`, matched like a role's actions (`*` wildcards);
//   - `@Request[…]` / `@Resource[…]` of Microsoft.Authorization/roleAssignments:RoleDefinitionId,
//     :PrincipalId (GUIDs) and :PrincipalType (a string);
//   - GuidEquals, GuidNotEquals, String(Not)Equals(IgnoreCase), String(Not)StartsWith(IgnoreCase),
//     alone or under ForAnyOfAnyValues: / ForAllOfAnyValues: / ForAnyOfAllValues: / ForAllOfAllValues:.
// Anything else is refused when the assignment is written (400), never silently allowed.
// An attribute the request does not carry (a PUT without `principalType`) makes its expression
// false, whatever the operator: with ForAnyOfAnyValues that is Azure's behaviour (the request must
// set principalType, hashicorp/terraform-provider-azurerm #25175 and #23364); for the other
// quantifiers and the Not operators Azure's rule is unconfirmed, and false is the safe side.
import { actionMatches } from '../rbac.js';

/** The attributes of a role assignment a condition can test. */
export interface RoleAssignmentAttributes {
  /** The role definition's GUID (not its full id). */
  roleDefinitionId?: string;
  principalId?: string;
  /** `User`, `Group` or `ServicePrincipal`, as the request (or the stored assignment) has it. */
  principalType?: string;
}

/** What a condition is evaluated against: the action, and the request's or the existing assignment's attributes. */
export interface ConditionInput {
  action: string;
  /** `@Request[…]`: the body of a role assignment PUT. */
  request?: RoleAssignmentAttributes;
  /** `@Resource[…]`: the role assignment a DELETE removes. */
  resource?: RoleAssignmentAttributes;
}

type Quantifier = 'ForAnyOfAnyValues' | 'ForAllOfAnyValues' | 'ForAnyOfAllValues' | 'ForAllOfAllValues';
type AttributeName = keyof RoleAssignmentAttributes;

export type ConditionNode =
  | { kind: 'and' | 'or'; items: ConditionNode[] }
  | { kind: 'not'; item: ConditionNode }
  | { kind: 'action'; pattern: string }
  | { kind: 'compare'; source: 'request' | 'resource'; attribute: AttributeName; quantifier?: Quantifier; fn: Comparison; values: string[] };

/** A condition the emulator cannot read (or does not support): the PUT gets a 400. */
export class ConditionSyntaxError extends Error {
  override readonly name = 'ConditionSyntaxError';
  constructor(
    /** What is wrong, for the learner. */
    readonly detail: string,
    /** Character offset in the condition. */
    readonly at: number,
  ) {
    super(`${detail} (at character ${at + 1})`);
  }
}

const ATTRIBUTES: Record<string, { name: AttributeName; type: 'guid' | 'string' }> = {
  'microsoft.authorization/roleassignments:roledefinitionid': { name: 'roleDefinitionId', type: 'guid' },
  'microsoft.authorization/roleassignments:principalid': { name: 'principalId', type: 'guid' },
  'microsoft.authorization/roleassignments:principaltype': { name: 'principalType', type: 'string' },
};

interface Comparison {
  name: string;
  type: 'guid' | 'string';
  test: (left: string, right: string) => boolean;
}

const lower = (s: string) => s.toLowerCase();
const COMPARISONS: Comparison[] = [
  { name: 'GuidEquals', type: 'guid', test: (l, r) => lower(l) === lower(r) },
  { name: 'GuidNotEquals', type: 'guid', test: (l, r) => lower(l) !== lower(r) },
  { name: 'StringEquals', type: 'string', test: (l, r) => l === r },
  { name: 'StringEqualsIgnoreCase', type: 'string', test: (l, r) => lower(l) === lower(r) },
  { name: 'StringNotEquals', type: 'string', test: (l, r) => l !== r },
  { name: 'StringNotEqualsIgnoreCase', type: 'string', test: (l, r) => lower(l) !== lower(r) },
  { name: 'StringStartsWith', type: 'string', test: (l, r) => l.startsWith(r) },
  { name: 'StringStartsWithIgnoreCase', type: 'string', test: (l, r) => lower(l).startsWith(lower(r)) },
  { name: 'StringNotStartsWith', type: 'string', test: (l, r) => !l.startsWith(r) },
  { name: 'StringNotStartsWithIgnoreCase', type: 'string', test: (l, r) => !lower(l).startsWith(lower(r)) },
];
const COMPARISON_BY_NAME = new Map(COMPARISONS.map((c) => [c.name.toLowerCase(), c]));
const QUANTIFIERS: Quantifier[] = ['ForAnyOfAnyValues', 'ForAllOfAnyValues', 'ForAnyOfAllValues', 'ForAllOfAllValues'];
const QUANTIFIER_BY_NAME = new Map(QUANTIFIERS.map((q) => [q.toLowerCase(), q]));

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Far above any real condition; keeps a hostile one from costing much (Azure's own limit is unconfirmed). */
const MAX_LENGTH = 8192;
const MAX_DEPTH = 32;

type Token =
  | { type: 'punct'; value: '(' | ')' | '{' | '}' | ',' | '!' | '&&' | '||'; at: number }
  | { type: 'string'; value: string; at: number }
  | { type: 'word'; value: string; at: number }
  | { type: 'attribute'; source: 'request' | 'resource'; value: string; at: number };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === '&&' || two === '||') {
      tokens.push({ type: 'punct', value: two, at: i });
      i += 2;
      continue;
    }
    if ('(){},!'.includes(c)) {
      tokens.push({ type: 'punct', value: c as '(' | ')' | '{' | '}' | ',' | '!', at: i });
      i++;
      continue;
    }
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new ConditionSyntaxError('a quoted value is not closed', i);
      tokens.push({ type: 'string', value: text.slice(i + 1, end), at: i });
      i = end + 1;
      continue;
    }
    if (c === '@') {
      const match = /^@(Request|Resource)\[([^\]]*)\]/i.exec(text.slice(i));
      if (!match) throw new ConditionSyntaxError("an attribute is written @Request[<attribute>] or @Resource[<attribute>]", i);
      tokens.push({ type: 'attribute', source: match[1]!.toLowerCase() === 'request' ? 'request' : 'resource', value: match[2]!.trim(), at: i });
      i += match[0].length;
      continue;
    }
    const word = /^[A-Za-z0-9_.:/*-]+/.exec(text.slice(i));
    if (!word) throw new ConditionSyntaxError(`unexpected character '${c}'`, i);
    tokens.push({ type: 'word', value: word[0], at: i });
    i += word[0].length;
  }
  return tokens;
}

class Parser {
  #pos = 0;
  constructor(
    readonly tokens: Token[],
    readonly length: number,
  ) {}

  get #at(): number {
    return this.tokens[this.#pos]?.at ?? this.length;
  }

  #peek(): Token | undefined {
    return this.tokens[this.#pos];
  }

  #isPunct(value: string): boolean {
    const t = this.#peek();
    return t?.type === 'punct' && t.value === value;
  }

  #isWord(value: string): boolean {
    const t = this.#peek();
    return t?.type === 'word' && t.value.toUpperCase() === value;
  }

  #expect(value: string, what: string): void {
    if (!this.#isPunct(value)) throw new ConditionSyntaxError(`expected ${what}`, this.#at);
    this.#pos++;
  }

  parse(): ConditionNode {
    if (this.tokens.length === 0) throw new ConditionSyntaxError('the condition is empty', 0);
    const node = this.#expression(0);
    if (this.#pos < this.tokens.length) throw new ConditionSyntaxError('expected AND, OR or the end of the condition', this.#at);
    return node;
  }

  /** term ((AND term)* | (OR term)*) */
  #expression(depth: number): ConditionNode {
    if (depth > MAX_DEPTH) throw new ConditionSyntaxError(`the condition nests deeper than ${MAX_DEPTH} levels`, this.#at);
    const first = this.#term(depth);
    let kind: 'and' | 'or' | undefined;
    const items = [first];
    for (;;) {
      const next = this.#isWord('AND') || this.#isPunct('&&') ? 'and' : this.#isWord('OR') || this.#isPunct('||') ? 'or' : undefined;
      if (!next) break;
      if (kind && next !== kind) throw new ConditionSyntaxError('AND and OR are mixed without parentheses: group them, e.g. (a AND b) OR c', this.#at);
      kind = next;
      this.#pos++;
      items.push(this.#term(depth));
    }
    return kind ? { kind, items } : first;
  }

  #term(depth: number): ConditionNode {
    if (depth > MAX_DEPTH) throw new ConditionSyntaxError(`the condition nests deeper than ${MAX_DEPTH} levels`, this.#at);
    const t = this.#peek();
    if (!t) throw new ConditionSyntaxError('the condition ends where an expression was expected', this.length);
    if (this.#isPunct('!') || this.#isWord('NOT')) {
      this.#pos++;
      return { kind: 'not', item: this.#term(depth + 1) };
    }
    if (this.#isPunct('(')) {
      this.#pos++;
      const inner = this.#expression(depth + 1);
      this.#expect(')', "')'");
      return inner;
    }
    if (t.type === 'word' && t.value.toLowerCase() === 'actionmatches') {
      this.#pos++;
      this.#expect('{', "'{' after ActionMatches");
      const pattern = this.#peek();
      if (pattern?.type !== 'string') throw new ConditionSyntaxError("ActionMatches takes one quoted action, e.g. ActionMatches{'Microsoft.Authorization/roleAssignments/write'}", this.#at);
      this.#pos++;
      this.#expect('}', "'}' after the action of ActionMatches");
      return { kind: 'action', pattern: pattern.value };
    }
    if (t.type === 'attribute') return this.#comparison(t);
    if (t.type === 'word' && /^SubOperationMatches$/i.test(t.value)) throw new ConditionSyntaxError('SubOperationMatches is not supported by the milab emulator (no role assignment action has suboperations)', t.at);
    throw new ConditionSyntaxError(`expected ActionMatches{…}, an @Request[…] or @Resource[…] attribute, NOT or '(' but found '${t.type === 'punct' ? t.value : t.value}'`, t.at);
  }

  #comparison(attr: Extract<Token, { type: 'attribute' }>): ConditionNode {
    this.#pos++;
    const attribute = ATTRIBUTES[attr.value.toLowerCase()];
    if (!attribute) {
      throw new ConditionSyntaxError(
        `the attribute '${attr.value}' is not supported: the milab emulator knows Microsoft.Authorization/roleAssignments:RoleDefinitionId, :PrincipalId and :PrincipalType`,
        attr.at,
      );
    }
    const op = this.#peek();
    if (op?.type !== 'word') throw new ConditionSyntaxError(`expected an operator after @${attr.source === 'request' ? 'Request' : 'Resource'}[${attr.value}]`, this.#at);
    this.#pos++;
    const [first, second] = op.value.split(':');
    const quantifier = second === undefined ? undefined : QUANTIFIER_BY_NAME.get(first!.toLowerCase());
    const fn = COMPARISON_BY_NAME.get((second ?? first)!.toLowerCase());
    if ((second !== undefined && !quantifier) || !fn || op.value.split(':').length > 2) {
      throw new ConditionSyntaxError(`the operator '${op.value}' is not supported (supported: ${COMPARISONS.map((c) => c.name).join(', ')}, alone or after ${QUANTIFIERS.join(': / ')}:)`, op.at);
    }
    if (fn.type !== attribute.type) {
      throw new ConditionSyntaxError(`${attr.value} is a ${attribute.type === 'guid' ? 'GUID: compare it with GuidEquals or GuidNotEquals' : 'string: compare it with a String operator, e.g. StringEqualsIgnoreCase'}, not ${fn.name}`, op.at);
    }
    const values = this.#values(fn.type);
    if (!quantifier && values.length !== 1) throw new ConditionSyntaxError(`${fn.name} compares with one value; for a set of values use ForAnyOfAnyValues:${fn.name}`, op.at);
    return { kind: 'compare', source: attr.source, attribute: attribute.name, quantifier, fn, values };
  }

  #values(type: 'guid' | 'string'): string[] {
    const braced = this.#isPunct('{');
    if (braced) this.#pos++;
    const values: string[] = [];
    for (;;) {
      const v = this.#peek();
      if (!v || (v.type !== 'string' && v.type !== 'word')) throw new ConditionSyntaxError(type === 'guid' ? 'expected a GUID' : "expected a quoted value, e.g. 'ServicePrincipal'", this.#at);
      if (type === 'guid' && !GUID.test(v.value)) throw new ConditionSyntaxError(`'${v.value}' is not a GUID`, v.at);
      if (type === 'string' && v.type !== 'string') throw new ConditionSyntaxError(`the value '${v.value}' must be quoted: '${v.value}'`, v.at);
      values.push(v.value);
      this.#pos++;
      if (!braced) return values;
      if (this.#isPunct(',')) {
        this.#pos++;
        continue;
      }
      this.#expect('}', "',' or '}' in the set of values");
      return values;
    }
  }
}

/** The condition as a tree; throws ConditionSyntaxError for one the emulator cannot read or does not support. */
export function parseCondition(text: string): ConditionNode {
  if (text.length > MAX_LENGTH) throw new ConditionSyntaxError(`the condition is longer than ${MAX_LENGTH} characters`, MAX_LENGTH);
  return new Parser(tokenize(text), text.length).parse();
}

function compare(node: Extract<ConditionNode, { kind: 'compare' }>, input: ConditionInput): boolean {
  const value = (node.source === 'request' ? input.request : input.resource)?.[node.attribute];
  if (value === undefined || value === '') return false;
  // One value on the left: a role assignment has one role, one principal, one type. The
  // quantifier still decides how it meets the set on the right.
  const rightAll = node.quantifier === 'ForAnyOfAllValues' || node.quantifier === 'ForAllOfAllValues';
  return rightAll ? node.values.every((r) => node.fn.test(value, r)) : node.values.some((r) => node.fn.test(value, r));
}

/** Whether the condition holds for the request. */
export function evaluateCondition(node: ConditionNode, input: ConditionInput): boolean {
  switch (node.kind) {
    case 'and':
      return node.items.every((item) => evaluateCondition(item, input));
    case 'or':
      return node.items.some((item) => evaluateCondition(item, input));
    case 'not':
      return !evaluateCondition(node.item, input);
    case 'action':
      return actionMatches(node.pattern, input.action);
    case 'compare':
      return compare(node, input);
  }
}

const cache = new Map<string, ConditionNode | ConditionSyntaxError>();
const CACHE_LIMIT = 512;

/** The parsed condition, or its syntax error; parsed once per distinct text (conditions repeat across a class). */
export function compileCondition(text: string): ConditionNode | ConditionSyntaxError {
  let compiled = cache.get(text);
  if (!compiled) {
    try {
      compiled = parseCondition(text);
    } catch (error) {
      if (!(error instanceof ConditionSyntaxError)) throw error;
      compiled = error;
    }
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(text, compiled);
  }
  return compiled;
}

/**
 * Whether a stored condition holds for the request. One that does not parse (written by hand
 * into a world, or by an older emulator) holds for nothing: a condition only ever narrows access.
 */
export function conditionHolds(text: string, input: ConditionInput): boolean {
  const compiled = compileCondition(text);
  return !(compiled instanceof ConditionSyntaxError) && evaluateCondition(compiled, input);
}
