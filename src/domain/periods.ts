/**
 * Periods ("last 2 months", "next 5 days, including current"): relative date ranges that
 * restrict which records a sync model picks up. Pure: "today" is always passed in, so a
 * workflow can compute it once and replay deterministically.
 *
 * Units are calendar units: weeks start on Monday, months on the 1st, years on January 1.
 * Without `includeCurrent` a period covers whole units before (last) or after (next) the
 * current one; with it, the range is shifted by one unit so that it contains the current one.
 */
import type { DomainTerm, Period } from './types.js';

export const PERIOD_DIRECTIONS = ['last', 'next'] as const;
export const PERIOD_UNITS = ['days', 'weeks', 'months', 'years'] as const;
export const MAX_PERIOD_AMOUNT = 1000;

export class PeriodError extends Error {
  constructor(message: string, readonly index: number | null = null) {
    super(message);
    this.name = 'PeriodError';
  }
}

export interface PeriodRange {
  /** First day, inclusive. */
  start: string;
  /** Last day, inclusive. */
  end: string;
  /** The day after `end`: an upper bound that also covers datetimes on `end`. */
  endExclusive: string;
}

const DAY_MS = 86_400_000;

/** The calendar dates a period covers when today is `today` ('YYYY-MM-DD'). */
export function periodRange(period: Period, today: string): PeriodRange {
  const { direction, amount, unit, includeCurrent } = period;
  if (!Number.isInteger(amount) || amount < 1) {
    throw new PeriodError(`A period's amount must be a positive integer, got ${JSON.stringify(amount)}`);
  }
  const current = unitStart(parseDate(today), unit);
  // Offsets in units from the start of the current unit to the range's [start, endExclusive).
  const [from, to] =
    direction === 'last'
      ? includeCurrent ? [1 - amount, 1] : [-amount, 0]
      : includeCurrent ? [0, amount] : [1, amount + 1];
  const start = addUnits(current, unit, from);
  const endExclusive = addUnits(current, unit, to);
  return {
    start: formatDate(start),
    end: formatDate(new Date(endExclusive.getTime() - DAY_MS)),
    endExclusive: formatDate(endExclusive),
  };
}

/**
 * One domain expression for a list of periods: ranges on the same field are OR-ed (the
 * manual: "the condition should satisfy ANY of those criteria"), fields are AND-ed. It is a
 * single expression, so it can be appended to, or negated inside, another domain.
 */
export function periodsToDomain(periods: Period[], today: string): DomainTerm[] {
  const byField = new Map<string, DomainTerm[][]>();
  for (const period of periods) {
    const { start, endExclusive } = periodRange(period, today);
    // Half-open string bounds: 'YYYY-MM-DD' sorts before any datetime on the same day.
    const range: DomainTerm[] = ['&', [period.field, '>=', start], [period.field, '<', endExclusive]];
    const ranges = byField.get(period.field);
    if (ranges) ranges.push(range);
    else byField.set(period.field, [range]);
  }
  const groups = [...byField.values()].map((ranges) => joinWith('|', ranges));
  return joinWith('&', groups);
}

/** Prefix-notation fold: n expressions need n - 1 leading binary operators. */
function joinWith(op: '&' | '|', expressions: DomainTerm[][]): DomainTerm[] {
  if (expressions.length === 0) return [];
  return [...Array<DomainTerm>(expressions.length - 1).fill(op), ...expressions.flat()];
}

/** The preview line, e.g. `last 2 months: 2020-07-01 – 2020-08-31`. */
export function describePeriod(period: Period, today: string): string {
  const { start, end } = periodRange(period, today);
  const unit = period.amount === 1 ? period.unit.slice(0, -1) : period.unit;
  const current = period.includeCurrent ? ', including current' : '';
  return `${period.direction} ${period.amount} ${unit}${current}: ${start} – ${end}`;
}

/** Checks stored or submitted periods, or throws a `PeriodError` naming the bad period and part. */
export function validatePeriods(input: unknown): Period[] {
  if (!Array.isArray(input)) throw new PeriodError('Periods must be a list');
  return input.map((entry: unknown, index): Period => {
    const label = `Period ${index + 1}`;
    const fail = (message: string): never => {
      throw new PeriodError(`${label}: ${message}`, index);
    };
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      return fail(`must be an object with field, direction, amount and unit, got ${JSON.stringify(entry)}`);
    }
    const { field, direction, amount, unit, includeCurrent = false } = entry as Record<string, unknown>;
    if (typeof field !== 'string' || !/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$/i.test(field)) {
      fail(`field ${JSON.stringify(field)} is not a field name`);
    }
    if (!(PERIOD_DIRECTIONS as readonly unknown[]).includes(direction)) {
      fail(`direction ${JSON.stringify(direction)} must be one of ${PERIOD_DIRECTIONS.join(', ')}`);
    }
    if (typeof amount !== 'number' || !Number.isInteger(amount) || amount < 1 || amount > MAX_PERIOD_AMOUNT) {
      fail(`amount ${JSON.stringify(amount)} must be a whole number from 1 to ${MAX_PERIOD_AMOUNT}`);
    }
    if (!(PERIOD_UNITS as readonly unknown[]).includes(unit)) {
      fail(`unit ${JSON.stringify(unit)} must be one of ${PERIOD_UNITS.join(', ')}`);
    }
    if (typeof includeCurrent !== 'boolean') {
      fail(`includeCurrent ${JSON.stringify(includeCurrent)} must be true or false`);
    }
    // Rebuilt, so unknown keys are dropped.
    return { field, direction, amount, unit, includeCurrent } as Period;
  });
}

function parseDate(text: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const date = m ? utc(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : null;
  // The round trip rejects overflowing dates such as 2021-02-30.
  if (!date || formatDate(date) !== text) throw new PeriodError(`"${text}" is not a calendar date (YYYY-MM-DD)`);
  return date;
}

function formatDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function unitStart(date: Date, unit: Period['unit']): Date {
  const y = date.getUTCFullYear();
  const m = date.getUTCMonth();
  switch (unit) {
    case 'days': return date;
    case 'weeks': return new Date(date.getTime() - ((date.getUTCDay() + 6) % 7) * DAY_MS); // back to Monday
    case 'months': return utc(y, m, 1);
    case 'years': return utc(y, 0, 1);
  }
}

/** `date` is a unit start, so month and year steps land on the 1st and never overflow. */
function addUnits(date: Date, unit: Period['unit'], n: number): Date {
  switch (unit) {
    case 'days': return new Date(date.getTime() + n * DAY_MS);
    case 'weeks': return new Date(date.getTime() + 7 * n * DAY_MS);
    case 'months': return utc(date.getUTCFullYear(), date.getUTCMonth() + n, 1);
    case 'years': return utc(date.getUTCFullYear() + n, 0, 1);
  }
}

/** Midnight UTC; setUTCFullYear rolls month overflow over and, unlike Date.UTC, keeps years 0–99. */
function utc(year: number, month: number, day: number): Date {
  const date = new Date(0);
  date.setUTCFullYear(year, month, day);
  return date;
}
