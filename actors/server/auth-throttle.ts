/**
 * Slows down ticket guessing: each failed ticket from an address doubles the delay before its
 * next link is answered (from `baseMs` up to `maxMs`), and a success or `forgetMs` of quiet
 * clears it. Bounded: at most `maxTracked` addresses are remembered, oldest forgotten first.
 */
export class AuthThrottle {
  private readonly failures = new Map<string, { count: number; last: number }>();

  constructor(
    private readonly baseMs = 250,
    private readonly maxMs = 8_000,
    private readonly forgetMs = 60_000,
    private readonly maxTracked = 4096,
  ) {}

  /** How long to wait before answering a link from `addr`. */
  delayFor(addr: string, now: number): number {
    const f = this.failures.get(addr);
    if (!f) return 0;
    if (now - f.last > this.forgetMs) {
      this.failures.delete(addr);
      return 0;
    }
    return Math.min(this.maxMs, this.baseMs * 2 ** (f.count - 1));
  }

  /** Records a refused ticket; returns the failures counted for `addr`. */
  failed(addr: string, now: number): number {
    const f = this.failures.get(addr) ?? { count: 0, last: now };
    this.failures.delete(addr);
    f.count++;
    f.last = now;
    this.failures.set(addr, f);
    if (this.failures.size > this.maxTracked) this.failures.delete(this.failures.keys().next().value!);
    return f.count;
  }

  succeeded(addr: string): void {
    this.failures.delete(addr);
  }
}
