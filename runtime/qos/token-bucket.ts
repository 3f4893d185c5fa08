/**
 * A token bucket over an injected time (ms). Tokens are bytes; `rate` is bytes per second.
 * A unit larger than the burst may still go once the bucket is full, leaving it in debt, so
 * a big message is delayed in proportion to its size rather than blocked forever.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly rate: number,
    readonly burst: number,
    now: number,
  ) {
    if (!(rate > 0)) throw new RangeError(`token bucket rate must be > 0, got ${rate}`);
    if (!(burst > 0)) throw new RangeError(`token bucket burst must be > 0, got ${burst}`);
    this.tokens = burst;
    this.last = now;
  }

  private refill(now: number): void {
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000);
      this.last = now;
    }
  }

  /** Milliseconds until `n` may go (0: now). */
  waitFor(n: number, now: number): number {
    this.refill(now);
    const need = Math.min(n, this.burst) - this.tokens;
    return need <= 0 ? 0 : (need * 1000) / this.rate;
  }

  /** Takes `n` if it may go now. */
  tryTake(n: number, now: number): boolean {
    if (this.waitFor(n, now) > 0) return false;
    this.tokens -= n;
    return true;
  }
}
