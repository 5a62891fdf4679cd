import { LoginThrottle } from '../../src/api/loginThrottle.js';

const opts = { freeFailures: 3, firstWaitMs: 1000, maxWaitMs: 8000, forgetAfterMs: 60_000 };

test('a few wrong tokens are free; then each one doubles the wait, up to the cap', () => {
  let now = 0;
  const t = new LoginThrottle(opts, () => now);
  for (let i = 0; i < 3; i++) t.failed('10.0.0.1');
  expect(t.waitMs('10.0.0.1')).toBe(0);
  const waits: number[] = [];
  for (let i = 0; i < 6; i++) {
    t.failed('10.0.0.1');
    waits.push(t.waitMs('10.0.0.1'));
    now += waits.at(-1)!; // it waited its turn, then tried again, wrong again
  }
  expect(waits).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
  expect(t.waitMs('10.0.0.2')).toBe(0); // other addresses are not held back
});

test('a right token forgets the address; so does a long quiet', () => {
  let now = 0;
  const t = new LoginThrottle(opts, () => now);
  for (let i = 0; i < 4; i++) t.failed('a');
  expect(t.waitMs('a')).toBe(1000);
  now += 1000;
  t.succeeded('a');
  t.failed('a');
  expect(t.waitMs('a')).toBe(0); // counting starts again

  for (let i = 0; i < 5; i++) t.failed('b');
  expect(t.waitMs('b')).toBe(2000);
  now += 61_000;
  t.failed('b');
  expect(t.waitMs('b')).toBe(0); // one failure after a quiet quarter: free again
});
