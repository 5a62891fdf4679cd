import { evaluateDomain, parseDomain } from '../../src/domain/domains.js';
import { describePeriod, PeriodError, periodRange, periodsToDomain, validatePeriods } from '../../src/domain/periods.js';
import type { DomainTerm, Period } from '../../src/domain/types.js';

const period = (direction: Period['direction'], amount: number, unit: Period['unit'], includeCurrent = false, field = 'date_order'): Period =>
  ({ field, direction, amount, unit, includeCurrent });
const range = (p: Period, today: string) => {
  const { start, end } = periodRange(p, today);
  return `${start}..${end}`;
};

describe('periodRange: the manual examples', () => {
  test('2020-09-03: last 2 months is July 1 to August 31', () =>
    expect(periodRange(period('last', 2, 'months'), '2020-09-03')).toEqual({ start: '2020-07-01', end: '2020-08-31', endExclusive: '2020-09-01' }));
  test('2020-09-03: next 5 days is September 4 to 8', () =>
    expect(periodRange(period('next', 5, 'days'), '2020-09-03')).toEqual({ start: '2020-09-04', end: '2020-09-08', endExclusive: '2020-09-09' }));
  test('2020-09-25: last 2 months is still July 1 to August 31', () =>
    expect(range(period('last', 2, 'months'), '2020-09-25')).toBe('2020-07-01..2020-08-31'));
  test('2020-09-25: last 2 months, including current, is August 1 to September 30', () =>
    expect(range(period('last', 2, 'months', true), '2020-09-25')).toBe('2020-08-01..2020-09-30'));
});

describe('periodRange by unit', () => {
  test.each([
    // days
    ['last', 3, 'days', false, '2020-09-03', '2020-08-31..2020-09-02'],
    ['last', 3, 'days', true, '2020-09-03', '2020-09-01..2020-09-03'],
    ['next', 3, 'days', true, '2020-09-03', '2020-09-03..2020-09-05'],
    ['last', 1, 'days', true, '2020-09-03', '2020-09-03..2020-09-03'],
    // weeks start on Monday: 2020-09-06 is a Sunday, 2020-09-07 a Monday
    ['last', 1, 'weeks', false, '2020-09-06', '2020-08-24..2020-08-30'],
    ['last', 1, 'weeks', true, '2020-09-06', '2020-08-31..2020-09-06'],
    ['next', 1, 'weeks', false, '2020-09-06', '2020-09-07..2020-09-13'],
    ['last', 1, 'weeks', false, '2020-09-07', '2020-08-31..2020-09-06'],
    ['last', 2, 'weeks', true, '2020-09-07', '2020-08-31..2020-09-13'],
    ['next', 2, 'weeks', false, '2020-09-07', '2020-09-14..2020-09-27'],
    ['next', 2, 'weeks', true, '2020-09-07', '2020-09-07..2020-09-20'],
    ['next', 1, 'weeks', false, '2020-12-30', '2021-01-04..2021-01-10'],
    // months
    ['next', 1, 'months', true, '2020-09-03', '2020-09-01..2020-09-30'],
    ['last', 1, 'months', false, '2021-03-31', '2021-02-01..2021-02-28'],
    ['last', 1, 'months', false, '2024-03-31', '2024-02-01..2024-02-29'],
    ['next', 1, 'months', false, '2024-01-31', '2024-02-01..2024-02-29'],
    ['next', 2, 'months', false, '2020-12-15', '2021-01-01..2021-02-28'],
    ['next', 2, 'months', true, '2020-12-15', '2020-12-01..2021-01-31'],
    ['last', 2, 'months', false, '2021-01-15', '2020-11-01..2020-12-31'],
    ['last', 14, 'months', false, '2021-01-15', '2019-11-01..2020-12-31'],
    // years
    ['last', 1, 'years', false, '2020-09-03', '2019-01-01..2019-12-31'],
    ['last', 2, 'years', true, '2020-09-03', '2019-01-01..2020-12-31'],
    ['next', 1, 'years', false, '2020-12-31', '2021-01-01..2021-12-31'],
    ['next', 1, 'years', true, '2024-02-29', '2024-01-01..2024-12-31'],
  ] as const)('%s %i %s, includeCurrent %s, on %s: %s', (direction, amount, unit, includeCurrent, today, expected) =>
    expect(range(period(direction, amount, unit, includeCurrent), today)).toBe(expected));

  test('endExclusive is the day after end, across month and year ends', () => {
    expect(periodRange(period('last', 1, 'months'), '2024-03-10').endExclusive).toBe('2024-03-01');
    expect(periodRange(period('last', 1, 'years', true), '2020-06-01').endExclusive).toBe('2021-01-01');
    expect(periodRange(period('next', 1, 'days'), '2020-02-28').endExclusive).toBe('2020-03-01');
  });

  test.each(['2020-9-3', '2021-02-29', '2020-09-03T10:00:00Z', ''])('today %j is not a calendar date', (today) =>
    expect(() => periodRange(period('last', 1, 'days'), today)).toThrow(PeriodError));
});

describe('periodsToDomain', () => {
  const today = '2020-09-25';
  const lastTwoMonths = period('last', 2, 'months');
  const thisWeek = period('next', 1, 'weeks', true);
  const read = (record: Record<string, unknown>) => (path: string) => record[path];
  const matches = (domain: DomainTerm[], record: Record<string, unknown>) => evaluateDomain(domain, read(record));

  test('no periods, no restriction', () => expect(periodsToDomain([], today)).toEqual([]));

  test('one period is a half-open range', () =>
    expect(periodsToDomain([lastTwoMonths], today)).toEqual(['&', ['date_order', '>=', '2020-07-01'], ['date_order', '<', '2020-09-01']]));

  test('same field is OR-ed, different fields AND-ed, groups in first-appearance order', () => {
    const domain = periodsToDomain([
      period('last', 1, 'days', false, 'write_date'),
      lastTwoMonths,
      period('next', 1, 'years', false, 'write_date'),
    ], today);
    expect(domain).toEqual([
      '&',
      '|', '&', ['write_date', '>=', '2020-09-24'], ['write_date', '<', '2020-09-25'],
      '&', ['write_date', '>=', '2021-01-01'], ['write_date', '<', '2022-01-01'],
      '&', ['date_order', '>=', '2020-07-01'], ['date_order', '<', '2020-09-01'],
    ]);
    expect(() => parseDomain(domain)).not.toThrow();
  });

  test('matches dates inside the range, dates and datetimes alike', () => {
    const domain = periodsToDomain([lastTwoMonths], today);
    for (const inside of ['2020-07-01', '2020-08-31', '2020-08-31 23:59:59', '2020-08-31T23:59:59Z', '2020-07-01 00:00:00']) {
      expect(matches(domain, { date_order: inside })).toBe(true);
    }
    for (const outside of ['2020-06-30', '2020-06-30 23:59:59', '2020-09-01', '2020-09-01 00:00:00', '2020-09-25', false, null]) {
      expect(matches(domain, { date_order: outside })).toBe(false);
    }
    expect(matches(domain, {})).toBe(false);
  });

  test('same field: ANY of the ranges', () => {
    const domain = periodsToDomain([period('last', 1, 'months'), period('next', 1, 'months')], today);
    expect(matches(domain, { date_order: '2020-08-15' })).toBe(true);
    expect(matches(domain, { date_order: '2020-10-15' })).toBe(true);
    expect(matches(domain, { date_order: '2020-09-15' })).toBe(false);
    expect(matches(domain, { date_order: '2020-07-15' })).toBe(false);
  });

  test('different fields: ALL of them', () => {
    const domain = periodsToDomain([lastTwoMonths, { ...thisWeek, field: 'write_date' }], today);
    expect(matches(domain, { date_order: '2020-08-15', write_date: '2020-09-21 08:00:00' })).toBe(true);
    expect(matches(domain, { date_order: '2020-08-15', write_date: '2020-09-28' })).toBe(false);
    expect(matches(domain, { date_order: '2020-09-15', write_date: '2020-09-21' })).toBe(false);
  });

  test('appended to another domain, both must hold (implicit &)', () => {
    const periodTerms = periodsToDomain([lastTwoMonths, period('last', 1, 'years')], today);
    const domain: DomainTerm[] = ['|', ['state', '=', 'sale'], ['state', '=', 'done'], ...periodTerms];
    expect(matches(domain, { state: 'done', date_order: '2020-08-01' })).toBe(true);
    expect(matches(domain, { state: 'sale', date_order: '2019-03-01' })).toBe(true);
    expect(matches(domain, { state: 'draft', date_order: '2020-08-01' })).toBe(false);
    expect(matches(domain, { state: 'done', date_order: '2020-09-10' })).toBe(false);
  });

  test('the output is one expression, so it can also be prefixed or negated', () => {
    const periodTerms = periodsToDomain([lastTwoMonths, { ...thisWeek, field: 'write_date' }], today);
    const record = { date_order: '2020-08-01', write_date: '2020-09-01' };
    expect(matches(periodTerms, record)).toBe(false);
    expect(matches(['!', ...periodTerms], record)).toBe(true);
    expect(matches(['|', ...periodTerms, ['state', '=', 'done']], { ...record, state: 'done' })).toBe(true);
  });
});

describe('describePeriod', () => {
  test.each([
    [period('last', 2, 'months'), '2020-09-03', 'last 2 months: 2020-07-01 – 2020-08-31'],
    [period('next', 5, 'days'), '2020-09-03', 'next 5 days: 2020-09-04 – 2020-09-08'],
    [period('last', 2, 'months', true), '2020-09-25', 'last 2 months, including current: 2020-08-01 – 2020-09-30'],
    [period('next', 1, 'weeks'), '2020-09-06', 'next 1 week: 2020-09-07 – 2020-09-13'],
  ])('%j on %s', (p, today, expected) => expect(describePeriod(p, today)).toBe(expected));
});

describe('validatePeriods', () => {
  const good = { field: 'date_order', direction: 'last', amount: 2, unit: 'months', includeCurrent: true };

  test('returns the periods, includeCurrent defaulting to false and unknown keys dropped', () => {
    expect(validatePeriods([good, { field: 'partner_id.create_date', direction: 'next', amount: 1000, unit: 'days', extra: 1 }])).toEqual([
      good,
      { field: 'partner_id.create_date', direction: 'next', amount: 1000, unit: 'days', includeCurrent: false },
    ]);
    expect(validatePeriods([])).toEqual([]);
  });

  test.each([
    [null, /Period 2: must be an object/],
    [['date_order', 'last', 2, 'months'], /Period 2: must be an object/],
    [{ ...good, field: 'date order' }, /Period 2: field "date order" is not a field name/],
    [{ ...good, field: 'a..b' }, /Period 2: field "a\.\.b"/],
    [{ ...good, field: undefined }, /Period 2: field undefined/],
    [{ ...good, direction: 'previous' }, /Period 2: direction "previous" must be one of last, next/],
    [{ ...good, amount: 0 }, /Period 2: amount 0 must be/],
    [{ ...good, amount: 1001 }, /Period 2: amount 1001/],
    [{ ...good, amount: 1.5 }, /Period 2: amount 1.5/],
    [{ ...good, amount: '2' }, /Period 2: amount "2"/],
    [{ ...good, unit: 'quarters' }, /Period 2: unit "quarters" must be one of days, weeks, months, years/],
    [{ ...good, includeCurrent: 'yes' }, /Period 2: includeCurrent "yes" must be true or false/],
  ])('%j', (bad, message) => {
    const check = () => validatePeriods([good, bad]);
    expect(check).toThrow(PeriodError);
    expect(check).toThrow(message);
  });

  test('not a list', () => {
    expect(() => validatePeriods({ periods: [] })).toThrow(PeriodError);
    expect(() => validatePeriods('x')).toThrow('Periods must be a list');
  });

  test('the error carries its name and index', () => {
    try {
      validatePeriods([good, good, { ...good, unit: 'hours' }]);
      throw new Error('expected a PeriodError');
    } catch (error) {
      expect(error).toBeInstanceOf(PeriodError);
      expect((error as PeriodError).name).toBe('PeriodError');
      expect((error as PeriodError).index).toBe(2);
      expect((error as PeriodError).message).toMatch(/^Period 3: /);
    }
  });
});
