import { checkCron, checkSchedule, DEFAULT_SCHEDULES, parseDuration, ScheduleError, temporalSpec } from '../../src/domain/schedules.js';

test.each([['90s', 90_000], ['30m', 1_800_000], ['1h30m', 5_400_000], ['2d', 172_800_000], [' 15m ', 900_000]])('duration %s', (text, ms) => {
  expect(parseDuration(text, 'x')).toBe(ms);
});

test.each(['', '30', 'm', '30 m', '-5m', '1.5h', '30min', '1w'])('not a duration: %j, and the error names the field', (text) => {
  expect(() => parseDuration(text, 'direct.every')).toThrow(/^direct\.every: .* is not a duration/);
});

test.each(['15,45 * * * *', '*/10 * * * *', '0 8-18 * * 1-5', '0 0 1 1 *', '30 2 * * 0,7'])('cron %s is accepted', (expr) => {
  expect(checkCron(expr, 'c')).toBe(expr);
});

test.each([
  ['* * * *', /has 4 fields; a cron expression has 5/],
  ['60 * * * *', /minute field "60" has 60, outside 0-59/],
  ['0 24 * * *', /hour field "24" has 24, outside 0-23/],
  ['0 0 0 * *', /day of month field "0" has 0, outside 1-31/],
  ['*/0 * * * *', /step of 0/],
  ['0 18-8 * * *', /runs backwards/],
  ['@hourly * * * *', /is not a number/],
  ['0 0 * JAN *', /month field "JAN" is not a number/],
])('bad cron %s', (expr, message) => {
  expect(() => checkCron(expr, 'backward.cron')).toThrow(message);
});

test('an interval: at least a minute, at most 31 days, the offset shorter than the interval', () => {
  expect(checkSchedule({ every: '30m', offset: '15m', paused: true }, 'backward')).toEqual({ every: '30m', offset: '15m', paused: true });
  expect(() => checkSchedule({ every: '30s', offset: '0m', paused: false }, 'direct')).toThrow(/direct\.every: "30s" is out of range/);
  expect(() => checkSchedule({ every: '40d', offset: '0m', paused: false }, 'direct')).toThrow(/out of range/);
  expect(() => checkSchedule({ every: '30m', offset: '30m', paused: false }, 'direct')).toThrow(/direct\.offset: "30m" must be shorter than every/);
  try {
    checkSchedule({ every: '30m', offset: 'soon', paused: false }, 'direct');
  } catch (err) {
    expect(err).toBeInstanceOf(ScheduleError);
    expect((err as ScheduleError).field).toBe('direct.offset');
  }
});

test('the Temporal spec: an interval with its phase, or the cron string', () => {
  expect(temporalSpec(DEFAULT_SCHEDULES.backward)).toEqual({ intervals: [{ every: 1_800_000, offset: 900_000 }] });
  expect(temporalSpec({ cron: '15,45 * * * *', paused: false })).toEqual({ cronExpressions: ['15,45 * * * *'] });
});
