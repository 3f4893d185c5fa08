/**
 * Slows down password guessing (tickets, SASL) per client address (not per connection: a guesser opens a new one
 * for every try). Once an address has a refused ticket, its verdicts are given one at a time,
 * `step` apart, where `step` doubles with each failure from `baseMs` up to `doubleUpToMs`, then
 * grows by `thenMs` per failure up to `maxMs` (so every further guess is slower, a user's typos
 * cost little): parallel connections do not guess faster than one. A success clears it, and so
 * does quiet: `forgetMs`, or ten turns once a turn is longer (waiting one turn out does not
 * start a guesser afresh).
 * Bounded: at most `maxWaiting` tickets of an address wait for their turn (more are refused at
 * once), at most `maxTracked` addresses are remembered, oldest forgotten first.
 */
export class AuthThrottle {
  private readonly addresses = new Map<string, AddressState>();

  constructor(
    private readonly baseMs = 250,
    private readonly doubleUpToMs = 8_000,
    private readonly thenMs = 1_000,
    private readonly maxMs = 600_000,
    private readonly forgetMs = 60_000,
    private readonly maxWaiting = 16,
    private readonly maxTracked = 4096,
  ) {}

  /**
   * A turn for a ticket from `addr` arriving at `now`: how long to wait before checking it, or
   * null when too many of that address's tickets wait already. Every turn taken ends with
   * `failed` or `succeeded`.
   */
  turn(addr: string, now: number): number | null {
    let a = this.addresses.get(addr);
    if (a && a.waiting === 0 && now - a.last > Math.max(this.forgetMs, 10 * this.step(a.failures))) {
      this.addresses.delete(addr);
      a = undefined;
    }
    if (!a) {
      this.track(addr, { failures: 0, last: now, next: now, waiting: 1 });
      return 0;
    }
    a.waiting++;
    if (a.failures === 0) return 0;
    if (a.waiting > this.maxWaiting) {
      a.waiting--;
      return null;
    }
    const step = this.step(a.failures);
    const at = Math.max(now + step, a.next);
    a.next = at + step;
    return at - now;
  }

  /** A refused ticket; returns the failures counted for `addr`. */
  failed(addr: string, now: number): number {
    const a = this.addresses.get(addr) ?? this.track(addr, { failures: 0, last: now, next: now, waiting: 1 });
    a.waiting = Math.max(0, a.waiting - 1);
    a.failures++;
    a.last = now;
    return a.failures;
  }

  succeeded(addr: string, now: number): void {
    const a = this.addresses.get(addr);
    if (!a) return;
    a.waiting = Math.max(0, a.waiting - 1);
    a.failures = 0;
    a.next = now;
    if (a.waiting === 0) this.addresses.delete(addr);
  }

  /** The wait between verdicts after `failures` refused tickets. */
  private step(failures: number): number {
    const doublings = Math.ceil(Math.log2(this.doubleUpToMs / this.baseMs)) + 1;
    if (failures <= doublings) return Math.min(this.doubleUpToMs, this.baseMs * 2 ** (failures - 1));
    return Math.min(this.maxMs, this.doubleUpToMs + (failures - doublings) * this.thenMs);
  }

  private track(addr: string, a: AddressState): AddressState {
    this.addresses.set(addr, a);
    if (this.addresses.size > this.maxTracked) this.addresses.delete(this.addresses.keys().next().value!);
    return a;
  }
}

interface AddressState {
  failures: number;
  /** When the last ticket was refused. */
  last: number;
  /** The earliest time the next waiting ticket may be checked. */
  next: number;
  /** Tickets holding a turn. */
  waiting: number;
}
