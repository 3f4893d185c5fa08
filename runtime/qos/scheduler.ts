import type { Clock } from '../clock.js';
import { TokenBucket } from './token-bucket.js';

/**
 * Shares one link among traffic classes: the highest priority (lowest number) goes first, each
 * class may have its own byte rate, and the whole link may have one. A class whose oldest item
 * has waited `starvationMs` goes before higher ones, so a busy display never silences audio.
 * Pull-based: the writer asks for the next item whenever the link can take one.
 */

export interface QosClass {
  readonly name: string;
  readonly priority: number;
  /** Bytes per second; absent for no limit of its own. */
  readonly rate?: number;
  /** Bytes that may go at once; defaults to 100 ms of `rate` (at least 64 KiB). */
  readonly burst?: number;
  /** Items that may wait in this class before `enqueue` refuses. */
  readonly maxItems?: number;
}

export interface QosOptions {
  readonly classes: readonly QosClass[];
  readonly linkRate?: number;
  readonly linkBurst?: number;
  readonly starvationMs?: number;
  readonly clock: Clock;
}

export type QosPick<T> = { readonly item: T; readonly cls: string; readonly bytes: number } | { readonly waitMs: number } | null;

interface Waiting<T> {
  readonly item: T;
  readonly bytes: number;
  readonly since: number;
}

interface ClassState<T> {
  readonly def: QosClass;
  readonly bucket: TokenBucket | null;
  readonly queue: Waiting<T>[];
  lastServed: number;
}

const defaultBurst = (rate: number): number => Math.max(64 * 1024, rate / 10);

export class QosScheduler<T> {
  private readonly classes: ClassState<T>[];
  private readonly byName = new Map<string, ClassState<T>>();
  private readonly link: TokenBucket | null;
  private readonly starvationMs: number;
  private readonly clock: Clock;

  constructor(options: QosOptions) {
    this.clock = options.clock;
    const now = this.clock.now();
    this.starvationMs = options.starvationMs ?? 250;
    this.link = options.linkRate ? new TokenBucket(options.linkRate, options.linkBurst ?? defaultBurst(options.linkRate), now) : null;
    this.classes = [...options.classes]
      .sort((a, b) => a.priority - b.priority)
      .map((def) => ({ def, bucket: def.rate ? new TokenBucket(def.rate, def.burst ?? defaultBurst(def.rate), now) : null, queue: [], lastServed: -Infinity }));
    for (const c of this.classes) {
      if (this.byName.has(c.def.name)) throw new Error(`QoS class ${c.def.name} declared twice`);
      this.byName.set(c.def.name, c);
    }
  }

  get size(): number {
    return this.classes.reduce((n, c) => n + c.queue.length, 0);
  }

  /** Queues `item` of `bytes` in class `cls`; false when that class is full. */
  enqueue(cls: string, bytes: number, item: T): boolean {
    const c = this.byName.get(cls);
    if (!c) throw new Error(`no QoS class ${cls}`);
    if (c.def.maxItems !== undefined && c.queue.length >= c.def.maxItems) return false;
    c.queue.push({ item, bytes, since: this.clock.now() });
    return true;
  }

  /** The item that may go now, or how long until one may, or null when nothing waits. */
  next(): QosPick<T> {
    const now = this.clock.now();
    let pick: ClassState<T> | null = null;
    let starved: ClassState<T> | null = null;
    let starvedSince = Infinity;
    let classWait = Infinity;
    for (const c of this.classes) {
      const head = c.queue[0];
      if (!head) continue;
      const wait = c.bucket ? c.bucket.waitFor(head.bytes, now) : 0;
      if (wait > 0) {
        classWait = Math.min(classWait, wait);
        continue;
      }
      pick ??= c;
      // Waiting since it was last served or its head came, whichever is later; on a tie the
      // lower priority (later in the loop) wins, as it is the one being starved.
      const since = Math.max(head.since, c.lastServed);
      if (now - since >= this.starvationMs && since <= starvedSince) {
        starved = c;
        starvedSince = since;
      }
    }
    const chosen = starved ?? pick;
    if (!chosen) return classWait === Infinity ? null : { waitMs: classWait };
    const head = chosen.queue[0]!;
    if (this.link) {
      const linkWait = this.link.waitFor(head.bytes, now);
      if (linkWait > 0) return { waitMs: linkWait };
      this.link.tryTake(head.bytes, now);
    }
    chosen.bucket?.tryTake(head.bytes, now);
    chosen.queue.shift();
    chosen.lastServed = now;
    return { item: head.item, cls: chosen.def.name, bytes: head.bytes };
  }
}
