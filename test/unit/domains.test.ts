import { DomainError, evaluateDomain, parseDomain } from '../../src/domain/domains.js';
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
