/**
 * Odoo domains ("Filters" in the manual): validation and in-memory evaluation. The
 * builtin ERP store evaluates them here; the Odoo adapter sends them to Odoo as they are,
 * so both ERPs give a filter the same meaning.
 *
 * Syntax: a list of leaves `[field, operator, value]` and prefix operators `&`, `|`, `!`;
 * leaves side by side are joined by an implicit `&`.
 */
import type { DomainLeaf, DomainTerm } from './types.js';

export const DOMAIN_OPERATORS = [
  '=', '!=', '<', '<=', '>', '>=', 'in', 'not in',
  'like', 'ilike', 'not like', 'not ilike', '=like', '=ilike', '=?',
  'child_of', 'parent_of', 'any', 'not any',
] as const;

/** Spellings Odoo accepts and rewrites (`expression.normalize_leaf`). */
const OPERATOR_ALIASES: Record<string, string> = { '<>': '!=', '==': '=' };

/** Operators only Odoo can evaluate: they walk a model's hierarchy (`parent_id`). */
export const ODOO_ONLY_OPERATORS = ['child_of', 'parent_of'] as const;

/** Odoo's constant leaves: always true, always false. */
const TRUE_LEAF = 1;
const FALSE_LEAF = 0;

export class DomainError extends Error {
  constructor(message: string, readonly index: number | null = null) {
    super(message);
    this.name = 'DomainError';
  }
}

type Node =
  | { op: '&' | '|'; left: Node; right: Node }
  | { op: '!'; arg: Node }
  | { op: 'leaf'; leaf: DomainLeaf }
  | { op: 'true' };

/** Parses a domain into a tree, or throws a `DomainError` naming the bad term. */
export function parseDomain(domain: unknown): Node {
  if (!Array.isArray(domain)) throw new DomainError('A domain must be a list');
  let pos = 0;
  const next = (): Node => {
    if (pos >= domain.length) throw new DomainError('The domain ends too early: an operator is missing its operands', pos);
    const index = pos++;
    const term = domain[index];
    if (term === '&' || term === '|') return { op: term, left: next(), right: next() };
    if (term === '!') return { op: '!', arg: next() };
    return { op: 'leaf', leaf: checkLeaf(term, index) };
  };
  const parts: Node[] = [];
  while (pos < domain.length) parts.push(next());
  if (parts.length === 0) return { op: 'true' };
  return parts.reduce((left, right) => ({ op: '&', left, right }));
}

function checkLeaf(term: unknown, index: number): DomainLeaf {
  if (!Array.isArray(term) || term.length !== 3) {
    throw new DomainError(`Term ${index + 1} must be "&", "|", "!" or [field, operator, value], got ${JSON.stringify(term)}`, index);
  }
  const [field, rawOperator, value] = term as [unknown, unknown, unknown];
  // Odoo's TRUE_LEAF [1, "=", 1] and FALSE_LEAF [0, "=", 1].
  if ((field === TRUE_LEAF || field === FALSE_LEAF) && rawOperator === '=' && value === 1) return [field as never, '=', 1];
  if (typeof field !== 'string' || !/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$/i.test(field)) {
    throw new DomainError(`Term ${index + 1}: ${JSON.stringify(field)} is not a field name`, index);
  }
  let operator: string = typeof rawOperator === 'string' ? OPERATOR_ALIASES[rawOperator] ?? rawOperator.toLowerCase() : '';
  if (!(DOMAIN_OPERATORS as readonly string[]).includes(operator)) {
    throw new DomainError(`Term ${index + 1}: unknown operator ${JSON.stringify(rawOperator)} (use one of ${DOMAIN_OPERATORS.join(', ')})`, index);
  }
  // Odoo's own rewrites: a boolean with "in" is "=", a list with "=" is "in".
  if (typeof value === 'boolean' && (operator === 'in' || operator === 'not in')) operator = operator === 'in' ? '=' : '!=';
  if (Array.isArray(value) && (operator === '=' || operator === '!=')) operator = operator === '=' ? 'in' : 'not in';
  if ((operator === 'in' || operator === 'not in') && !Array.isArray(value)) {
    throw new DomainError(`Term ${index + 1}: "${operator}" needs a list value`, index);
  }
  if (operator === 'any' || operator === 'not any') {
    try {
      parseDomain(value);
    } catch (err) {
      throw new DomainError(`Term ${index + 1}: "${operator}" needs a domain as its value: ${(err as Error).message}`, index);
    }
  }
  return [field, operator, value];
}

/** The fields a domain reads (first segment of dotted paths), for validation against a model. */
export function domainFields(domain: DomainTerm[]): string[] {
  return [...new Set(domain.filter(Array.isArray).map((leaf) => (leaf as DomainLeaf)[0]).filter((f) => typeof f === 'string'))];
}

/** The operators a domain uses (after Odoo's rewrites), nested `any` domains included. */
export function domainOperators(domain: unknown): string[] {
  const out = new Set<string>();
  const walk = (n: Node): void => {
    if (n.op === 'leaf') {
      out.add(n.leaf[1]);
      if (n.leaf[1] === 'any' || n.leaf[1] === 'not any') walk(parseDomain(n.leaf[2]));
    } else if (n.op === '!') walk(n.arg);
    else if (n.op === '&' || n.op === '|') { walk(n.left); walk(n.right); }
  };
  walk(parseDomain(domain));
  return [...out];
}

export type FieldReader = (path: string) => unknown;

export function evaluateDomain(domain: DomainTerm[] | Node, read: FieldReader): boolean {
  const node = Array.isArray(domain) ? parseDomain(domain) : domain;
  return evalNode(node, read);
}

function evalNode(node: Node, read: FieldReader): boolean {
  switch (node.op) {
    case 'true': return true;
    case '&': return evalNode(node.left, read) && evalNode(node.right, read);
    case '|': return evalNode(node.left, read) || evalNode(node.right, read);
    case '!': return !evalNode(node.arg, read);
    case 'leaf': return evalLeaf(node.leaf, read);
  }
}

/** Odoo's falsy: `false`, `null`, missing, empty string. */
const isUnset = (v: unknown) => v === undefined || v === null || v === false || v === '';

function evalLeaf([field, operator, value]: DomainLeaf, read: FieldReader): boolean {
  if ((field as unknown) === TRUE_LEAF) return true;
  if ((field as unknown) === FALSE_LEAF) return false;
  if (operator === '=?') return value === false || value === null || value === undefined ? true : evalLeaf([field, '=', value], read);
  if (operator === 'any' || operator === 'not any') {
    // The related record(s) through a many2one or to-many path: read below the field.
    const hit = evaluateDomain(value as DomainTerm[], (path) => read(`${field}.${path}`));
    return operator === 'any' ? hit : !hit;
  }
  if ((ODOO_ONLY_OPERATORS as readonly string[]).includes(operator)) {
    throw new DomainError(`"${operator}" walks a record hierarchy that only Odoo has: the builtin store cannot evaluate it`);
  }
  const actual = read(field);
  const values = Array.isArray(actual) ? actual : [actual];
  // A to-many value matches when any element does (Odoo semantics); a negative operator
  // then means that none does.
  switch (operator) {
    case '=':
      if (value === false || value === null) return values.every(isUnset);
      return values.some((v) => looseEquals(v, value));
    case '!=':
      if (value === false || value === null) return !values.every(isUnset);
      return !values.some((v) => looseEquals(v, value));
    case 'in': return values.some((v) => (value as unknown[]).some((x) => (x === false ? isUnset(v) : looseEquals(v, x))));
    case 'not in': return !values.some((v) => (value as unknown[]).some((x) => (x === false ? isUnset(v) : looseEquals(v, x))));
    case '<': case '<=': case '>': case '>=':
      return values.some((v) => !isUnset(v) && compare(v, value, operator));
    case 'like': case 'ilike': case 'not like': case 'not ilike': {
      const insensitive = operator.includes('ilike');
      const hit = values.some((v) => !isUnset(v) && likeMatch(String(v), `%${String(value)}%`, insensitive));
      return operator.startsWith('not') ? !hit : hit;
    }
    case '=like': case '=ilike':
      return values.some((v) => !isUnset(v) && likeMatch(String(v), String(value), operator === '=ilike'));
    default:
      throw new DomainError(`Unknown operator ${operator}`);
  }
}

function looseEquals(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' || typeof b === 'number') return Number(a) === Number(b);
  const [ta, tb] = [asInstant(a), asInstant(b)];
  if (ta !== null && tb !== null) return ta === tb;
  return a === b || String(a) === String(b);
}

/**
 * A date or datetime as Odoo and ISO write them (`2026-12-03`, `2026-12-03 10:00:00`,
 * `2026-12-03T10:00:00.000Z`), as epoch milliseconds; naive datetimes are UTC, as Odoo
 * stores them. Null for anything else.
 */
function asInstant(v: unknown): number | null {
  if (typeof v !== 'string') return null;
  const m = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?)?$/.exec(v.trim());
  if (!m) return null;
  const t = Date.parse(`${m[1]}T${m[2] ?? '00:00:00'}${m[3] ?? 'Z'}`);
  return Number.isNaN(t) ? null : t;
}

function compare(a: unknown, b: unknown, op: string): boolean {
  const [ta, tb] = [asInstant(a), asInstant(b)];
  const [x, y] = typeof a === 'number' && typeof b === 'number' ? [a, b] : ta !== null && tb !== null ? [ta, tb] : [String(a), String(b)];
  switch (op) {
    case '<': return x < y;
    case '<=': return x <= y;
    case '>': return x > y;
    default: return x >= y;
  }
}

/** SQL LIKE: `%` any run, `_` one character. */
function likeMatch(text: string, pattern: string, insensitive: boolean): boolean {
  const re = pattern.split('').map((c) => (c === '%' ? '.*' : c === '_' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${re}$`, insensitive ? 'is' : 's').test(text);
}

/** The field paths a domain's leaves name (`partner_id.country_id.code`), for checking them against a model. */
export function domainFieldPaths(domain: unknown): string[] {
  const out = new Set<string>();
  const walk = (n: Node): void => {
    if (n.op === 'leaf') {
      if (typeof n.leaf[0] !== 'string') return; // TRUE_LEAF / FALSE_LEAF
      out.add(n.leaf[0]);
      if (n.leaf[1] === 'any' || n.leaf[1] === 'not any') for (const sub of domainFieldPaths(n.leaf[2])) out.add(`${n.leaf[0]}.${sub}`);
    } else if (n.op === '!') walk(n.arg);
    else if (n.op === '&' || n.op === '|') { walk(n.left); walk(n.right); }
  };
  walk(parseDomain(domain));
  return [...out];
}
