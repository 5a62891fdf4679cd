/**
 * Wrong admin tokens, counted per client address: a few are free (typos, a stale token
 * in a script), then each one makes that address wait before it may try again: 1 s,
 * 2 s, 4 s, ... up to a minute. While it waits, every token it sends is refused unread
 * (429 with Retry-After), so guessing costs a minute a try. The cap keeps a lockout short
 * for a real admin who shares the address (behind one proxy, everyone does). One process
 * keeps its own counts; a success from the address forgets them.
 */
export interface LoginThrottleOptions {
  /** Wrong tokens an address may send before it has to wait. */
  freeFailures: number;
  /** The first wait; each further wrong token doubles it. */
  firstWaitMs: number;
  maxWaitMs: number;
  /** An address quiet this long starts again from nothing. */
  forgetAfterMs: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleOptions = {
  freeFailures: 10, firstWaitMs: 1000, maxWaitMs: 60_000, forgetAfterMs: 15 * 60_000,
};

/** At most this many addresses are remembered: the oldest are forgotten first. */
const MAX_ADDRESSES = 10_000;

export class LoginThrottle {
  private readonly seen = new Map<string, { failures: number; last: number; until: number }>();

  constructor(private readonly opts: LoginThrottleOptions = DEFAULT_LOGIN_THROTTLE, private readonly now: () => number = Date.now) {}

  /** How long `address` must wait before a token of its is looked at; 0: now. */
  waitMs(address: string): number {
    const entry = this.current(address);
    return entry ? Math.max(0, entry.until - this.now()) : 0;
  }

  /** A wrong token from `address`: counted, and past the free ones it sets the next wait. */
  failed(address: string): void {
    const at = this.now();
    const entry = this.current(address) ?? { failures: 0, last: at, until: 0 };
    entry.failures++;
    entry.last = at;
    const over = entry.failures - this.opts.freeFailures;
    if (over > 0) entry.until = at + Math.min(this.opts.maxWaitMs, this.opts.firstWaitMs * 2 ** Math.min(over - 1, 30));
    this.seen.delete(address); // re-inserted last: the map stays in order of last failure
    this.seen.set(address, entry);
    if (this.seen.size > MAX_ADDRESSES) this.seen.delete(this.seen.keys().next().value!);
  }

  succeeded(address: string): void {
    this.seen.delete(address);
  }

  private current(address: string) {
    const entry = this.seen.get(address);
    if (entry && this.now() - entry.last > this.opts.forgetAfterMs && this.now() >= entry.until) {
      this.seen.delete(address);
      return undefined;
    }
    return entry;
  }
}
