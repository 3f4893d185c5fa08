/**
 * One client link's byte budget, shared by the actors (threads) that each send one of its
 * channels: a token bucket in a SharedArrayBuffer. Priorities share it by reserve: a class of
 * priority p (1 .. 7) may only take tokens while at least p/8 of the burst would remain, so when
 * the link is the bottleneck, higher classes find tokens first and lower ones wait for the
 * surplus, yet every class moves once the bucket refills. Priority 0 (input, cursor: small and
 * urgent) may also borrow up to one burst, so it rarely waits at all; what it sends is counted,
 * so the others slow down for it. A message larger than the burst leaves a debt all must wait
 * out: keep the burst above the usual large message.
 *
 * Layout (Float64, guarded by an Int32 spin lock; critical sections are a few arithmetic ops):
 * [tokens, lastRefillMs, rate, burst].
 */
export class SharedBudget {
  private readonly lock: Int32Array;
  private readonly state: Float64Array;

  private constructor(readonly memory: SharedArrayBuffer) {
    this.lock = new Int32Array(memory, 0, 1);
    this.state = new Float64Array(memory, 8, 4);
  }

  /** A new budget of `rate` bytes per second, `burst` bytes at once (default: 100 ms of rate, at least 64 KiB). */
  static create(rate: number, now: number, burst = Math.max(64 * 1024, rate / 10)): SharedBudget {
    if (!(rate > 0 && burst > 0)) throw new RangeError(`shared budget: rate ${rate} and burst ${burst} must be > 0`);
    const b = new SharedBudget(new SharedArrayBuffer(8 + 4 * 8));
    b.state.set([burst, now, rate, burst]);
    return b;
  }

  /** The same budget seen from another thread. */
  static of(memory: SharedArrayBuffer): SharedBudget {
    return new SharedBudget(memory);
  }

  /** Takes `n` bytes for a class of `priority` at `now` (ms on `processClock`, which every thread shares); else the ms to wait. */
  take(n: number, priority: number, now: number): number {
    while (Atomics.compareExchange(this.lock, 0, 0, 1) !== 0);
    try {
      const s = this.state;
      const [rate, burst] = [s[2]!, s[3]!];
      if (now > s[1]!) {
        s[0] = Math.min(burst, s[0]! + ((now - s[1]!) * rate) / 1000);
        s[1] = now;
      }
      // Priority 0 may borrow up to one burst; others must leave their reserve. A unit larger
      // than the burst goes once the bucket holds the whole burst above the floor, leaving debt.
      const floor = priority <= 0 ? -burst : (burst * Math.min(priority, 7)) / 8;
      const need = floor + Math.min(n, burst - Math.max(floor, 0));
      if (s[0]! >= need) {
        s[0] = s[0]! - n;
        return 0;
      }
      return ((need - s[0]!) * 1000) / rate;
    } finally {
      Atomics.store(this.lock, 0, 0);
    }
  }
}
