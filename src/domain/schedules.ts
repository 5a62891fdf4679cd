/**
 * The two sync schedules, as admins write them (`{every: "30m", offset: "15m"}` or
 * `{cron: "15,45 * * * *"}`, each with `paused`), checked here before Temporal sees them,
 * and turned into a Temporal schedule spec. Pure. The manual's advice to offset the two
 * cron jobs by hand is kept as the default (direct on the hour and half hour, backward a
 * quarter past), but it is no longer needed: the sync mutex keeps them apart anyway.
 */

export type ScheduleSpec =
  | { every: string; offset: string; paused: boolean }
  | { cron: string; paused: boolean };

export interface Schedules {
  direct: ScheduleSpec;
  backward: ScheduleSpec;
}

export const DEFAULT_SCHEDULES: Schedules = {
  direct: { every: '30m', offset: '0m', paused: false },
  backward: { every: '30m', offset: '15m', paused: false },
};

export class ScheduleError extends Error {
  constructor(public readonly field: string, message: string) {
    super(message);
  }
}

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const MIN_EVERY_MS = 60_000;
const MAX_EVERY_MS = 31 * 86_400_000;

/** "90s", "30m", "1h30m", "2d": a duration in milliseconds, or a ScheduleError naming the field. */
export function parseDuration(text: string, field: string): number {
  const trimmed = text.trim();
  if (!/^(\d+[smhd])+$/.test(trimmed)) {
    throw new ScheduleError(field, `${field}: "${text}" is not a duration; write it like 30m, 1h, 1h30m, 2d (units s, m, h, d)`);
  }
  let ms = 0;
  for (const [, n, unit] of trimmed.matchAll(/(\d+)([smhd])/g)) ms += Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS];
  return ms;
}

const CRON_FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
] as const;

/** A five-field cron expression (numbers, `*`, lists, ranges, steps), checked field by field. */
export function checkCron(expr: string, field: string): string {
  const parts = expr.trim().split(/\s+/);
  if (parts.length !== 5) {
    throw new ScheduleError(field, `${field}: "${expr}" has ${parts.length} fields; a cron expression has 5 (minute hour day-of-month month day-of-week)`);
  }
  parts.forEach((part, i) => {
    const f = CRON_FIELDS[i]!;
    for (const item of part.split(',')) {
      const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item);
      const bad = (why: string) => new ScheduleError(field, `${field}: the ${f.name} field "${part}" ${why}`);
      if (!m) throw bad(`is not a number, *, a list, a range or a step`);
      const [, , lo, hi, step] = m;
      for (const v of [lo, hi]) if (v !== undefined && (Number(v) < f.min || Number(v) > f.max)) throw bad(`has ${v}, outside ${f.min}-${f.max}`);
      if (lo !== undefined && hi !== undefined && Number(hi) < Number(lo)) throw bad(`has the range ${lo}-${hi}, which runs backwards`);
      if (step !== undefined && Number(step) === 0) throw bad('has a step of 0');
    }
  });
  return parts.join(' ');
}

/** Checks one direction's schedule as written, and returns it normalised. */
export function checkSchedule(input: ScheduleSpec, field: string): ScheduleSpec {
  if ('cron' in input) return { cron: checkCron(input.cron, `${field}.cron`), paused: input.paused };
  const every = parseDuration(input.every, `${field}.every`);
  if (every < MIN_EVERY_MS || every > MAX_EVERY_MS) {
    throw new ScheduleError(`${field}.every`, `${field}.every: "${input.every}" is out of range; a sync runs at most every minute and at least every 31 days`);
  }
  const offset = parseDuration(input.offset, `${field}.offset`);
  if (offset >= every) throw new ScheduleError(`${field}.offset`, `${field}.offset: "${input.offset}" must be shorter than every ("${input.every}")`);
  return { every: input.every.trim(), offset: input.offset.trim(), paused: input.paused };
}

/** The Temporal schedule spec of a checked schedule (interval with phase, or a cron string). */
export function temporalSpec(spec: ScheduleSpec): { intervals?: Array<{ every: number; offset: number }>; cronExpressions?: string[] } {
  if ('cron' in spec) return { cronExpressions: [spec.cron] };
  return { intervals: [{ every: parseDuration(spec.every, 'every'), offset: parseDuration(spec.offset, 'offset') }] };
}
