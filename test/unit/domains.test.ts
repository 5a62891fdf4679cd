import { DomainError, domainFieldPaths, domainOperators, evaluateDomain, parseDomain } from '../../src/domain/domains.js';
import type { DomainTerm } from '../../src/domain/types.js';

const partner = { name: 'Azure Interior', country_code: 'US', is_company: true, mobile: false, tags: ['vip', 'b2b'], parent: { name: 'Azure Group' }, total: 28700 };
const read = (p: string) => p.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown>)?.[k], partner);
const matches = (d: unknown[]) => evaluateDomain(d as DomainTerm[], read);

describe('evaluateDomain', () => {
  test('an empty domain matches everything', () => expect(matches([])).toBe(true));
  test('implicit & between leaves', () => {
    expect(matches([['country_code', '=', 'US'], ['is_company', '=', true]])).toBe(true);
    expect(matches([['country_code', '=', 'US'], ['is_company', '=', false]])).toBe(false);
  });
  test("API.md's example: | country US, is_company", () => {
    expect(matches(['|', ['country_code', '=', 'FR'], ['is_company', '=', true]])).toBe(true);
    expect(matches(['|', ['country_code', '=', 'FR'], ['is_company', '=', false]])).toBe(false);
  });
  test('! negates the next term', () => expect(matches(['!', ['country_code', '=', 'US']])).toBe(false));
  test('= false matches unset fields', () => {
    expect(matches([['mobile', '=', false]])).toBe(true);
    expect(matches([['mobile', '!=', false]])).toBe(false);
  });
  test('like / ilike / =like', () => {
    expect(matches([['name', 'ilike', 'azure']])).toBe(true);
    expect(matches([['name', 'like', 'azure']])).toBe(false);
    expect(matches([['name', 'not ilike', 'azure']])).toBe(false);
    expect(matches([['name', '=like', 'Azure%']])).toBe(true);
    expect(matches([['name', '=ilike', 'a_ure%']])).toBe(true);
  });
  test('in / not in, and to-many values match on any element', () => {
    expect(matches([['country_code', 'in', ['US', 'CA']]])).toBe(true);
    expect(matches([['tags', 'in', ['vip']]])).toBe(true);
    expect(matches([['tags', 'not in', ['vip']]])).toBe(false);
  });
  test('comparisons and dotted paths', () => {
    expect(matches([['total', '>', 50000]])).toBe(false);
    expect(matches([['total', '>=', 28700]])).toBe(true);
    expect(matches([['parent.name', '=', 'Azure Group']])).toBe(true);
  });
});

describe('parseDomain errors name the bad part', () => {
  test.each([
    [[['name', 'contains', 'x']], /Term 1: unknown operator "contains"/],
    [['|', ['name', '=', 'x']], /ends too early/],
    [[['name', '=']], /Term 1 must be/],
    [[['bad field', '=', 1]], /is not a field name/],
    [[['tags', 'in', 'vip']], /needs a list value/],
  ])('%j', (domain, message) => {
    expect(() => parseDomain(domain)).toThrow(DomainError);
    expect(() => parseDomain(domain)).toThrow(message);
  });
  test('not a list', () => expect(() => parseDomain('x')).toThrow('A domain must be a list'));
});

describe("Odoo's own spellings and operators, as Odoo reads them", () => {
  const rec = { name: 'Azure Interior', country_code: 'US', partner_id: { name: 'Deco Addict', country_id: { code: 'BE' } }, write_date: '2026-12-03 10:00:00', tags: [] as string[] };
  const read = (path: string) => path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], rec);
  const m = (domain: unknown) => evaluateDomain(domain as never, read);

  test('<> and == are != and =; operators in capitals are lowercased', () => {
    expect(m([['country_code', '<>', 'US']])).toBe(false);
    expect(m([['country_code', '==', 'US']])).toBe(true);
    expect(m([['name', 'ILIKE', 'azure']])).toBe(true);
  });
  test('TRUE_LEAF [1, "=", 1] and FALSE_LEAF [0, "=", 1]', () => {
    expect(m([[1, '=', 1]])).toBe(true);
    expect(m([[0, '=', 1]])).toBe(false);
    expect(m(['|', [0, '=', 1], ['country_code', '=', 'US']])).toBe(true);
    expect(domainFieldPaths([[1, '=', 1], ['name', '=', 'x']])).toEqual(['name']);
  });
  test('=? is true for an unset value, = otherwise', () => {
    expect(m([['country_code', '=?', false]])).toBe(true);
    expect(m([['country_code', '=?', 'FR']])).toBe(false);
    expect(m([['country_code', '=?', 'US']])).toBe(true);
  });
  test('a boolean with in is =, a list with = is in (normalize_leaf)', () => {
    expect(parseDomain([['active', 'in', true]])).toMatchObject({ leaf: ['active', '=', true] });
    expect(parseDomain([['country_code', '=', ['US', 'FR']]])).toMatchObject({ leaf: ['country_code', 'in', ['US', 'FR']] });
    expect(m([['country_code', '!=', ['US', 'FR']]])).toBe(false);
  });
  test('any / not any match through a relation; their paths are checked as dotted paths', () => {
    expect(m([['partner_id', 'any', [['country_id.code', '=', 'BE']]]])).toBe(true);
    expect(m([['partner_id', 'not any', [['name', 'ilike', 'deco']]]])).toBe(false);
    expect(domainFieldPaths([['partner_id', 'any', [['country_id.code', '=', 'BE']]]])).toEqual(['partner_id', 'partner_id.country_id.code']);
    expect(() => parseDomain([['partner_id', 'any', 'x']])).toThrow(/"any" needs a domain/);
    expect(domainOperators([['partner_id', 'any', [['name', 'child_of', 3]]], ['x', '<>', 1]])).toEqual(['any', 'child_of', '!=']);
  });
  test('child_of / parent_of are accepted (Odoo evaluates them) but the builtin store says it cannot', () => {
    expect(() => parseDomain([['parent_id', 'child_of', 3]])).not.toThrow();
    expect(() => m([['parent_id', 'child_of', 3]])).toThrow(/only Odoo has: the builtin store cannot evaluate it/);
  });
  test('dates and datetimes compare as instants, whichever way they are written', () => {
    expect(m([['write_date', '>=', '2026-12-03']])).toBe(true);
    expect(m([['write_date', '<', '2026-12-03T09:59:59Z']])).toBe(false);
    expect(m([['write_date', '>', '2026-12-03T09:59:59.500Z']])).toBe(true);
    expect(m([['write_date', '=', '2026-12-03T10:00:00.000Z']])).toBe(true);
    expect(m([['name', '>', '2026-01-01']])).toBe(true); // not a date: compared as text
  });
});
