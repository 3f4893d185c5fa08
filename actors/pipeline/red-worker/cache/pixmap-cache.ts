import type { ContentKey } from './content-key.js';

/** An image's id in a client's pixmap cache (the SpiceImage descriptor's id). */
export type PixmapId = bigint & { readonly __brand: 'PixmapId' };

/** One display's use of an entry (a hit or an add), until the message carrying it has a serial or never goes. */
export interface CacheUse {
  readonly slot: number;
  readonly seq: number;
}

/** WAIT_FOR_CHANNELS' item: the client waits until `display` has taken its message `serial`. */
export interface ChannelWaitFor {
  readonly display: number;
  readonly serial: number;
}

/**
 * What to send for an image:
 * - `hit`: a FROM_CACHE descriptor (`lossless`: FROM_CACHE_LOSSLESS, the client is told the
 *   cached pixels are exact), no pixels; `shared`: another display sent the image;
 * - `add`: the image with CACHE_ME under `id` (`replace`: CACHE_REPLACE_ME, exact pixels for a
 *   lossy entry), after a WAIT_FOR_CHANNELS of `waits` and an INVAL_LIST of `evicted` when not empty;
 * - `skip`: the image as it is, not cached (larger than the cache, or no room it may free now).
 */
export type CacheVerdict =
  | { readonly kind: 'hit'; readonly id: PixmapId; readonly lossless: boolean; readonly shared: boolean; readonly use: CacheUse }
  | {
      readonly kind: 'add';
      readonly id: PixmapId;
      readonly replace: boolean;
      readonly evicted: readonly PixmapId[];
      readonly waits: readonly ChannelWaitFor[];
      readonly use: CacheUse;
    }
  | { readonly kind: 'skip' };

/** Pixels a client's cache may hold at most here: 32 Mi pixels (128 MiB at the client; spice-gtk asks for 20 Mi). */
export const PIXMAP_CACHE_MAX_PIXELS = 32 * 1024 * 1024;
/** Images a client's cache holds at most, whatever their size. */
export const PIXMAP_CACHE_MAX_ENTRIES = 8192;
/** Displays that share one client's cache (spice-server: 4); a display beyond caches nothing. */
export const PIXMAP_CACHE_DISPLAYS = 16;

/** The client's DISPLAY_INIT cache size (an i64, as a number) clamped to 0..PIXMAP_CACHE_MAX_PIXELS (0: no cache). */
export function pixmapCachePixels(asked: number): { pixels: number; clamped: boolean } {
  const pixels = Number.isFinite(asked) ? Math.min(PIXMAP_CACHE_MAX_PIXELS, Math.max(0, Math.floor(asked))) : 0;
  return { pixels, clamped: pixels !== asked };
}

// The shared memory: a header, hash buckets, the entries (Int32 fields), then per entry and display the serial of that display's last message using it.
const H = { lock: 0, capacity: 1, used: 2, count: 3, seq: 4, head: 5, tail: 6, free: 7, maxEntries: 8, members: 9 } as const;
const headerWords = 16;
const buckets = 4096;
const F = { width: 0, height: 1, h1: 2, h2: 3, pixels: 4, seq: 5, lossy: 6, pending: 7, prev: 8, next: 9, chain: 10, adder: 11 } as const;
const fields = 12;
const NIL = -1;
const entriesAt = headerWords + buckets;
const serialsAt = (maxEntries: number) => Math.ceil(((entriesAt + maxEntries * fields) * 4) / 8) * 8;

/**
 * The server's half of a client's pixmap cache, shared by all that client's displays that gave
 * the same cache id (as spice-server's PixmapCache): which images the client holds, by content
 * key, with their ids; a budget in pixels spent least-recently-used first, evicted ids told to
 * the client before the image that needed the room. Holds no pixels: the memory is a fixed
 * table (PIXMAP_CACHE_MAX_ENTRIES keys, ids and serials, about 1.4 MiB per client), locked for each call,
 * used by each display's red-worker on its own thread.
 *
 * The client keeps one cache for its displays, each drawn on its own connection in its own
 * order. A display hitting an image another display sends is safe: spice-gtk waits for it. An
 * eviction is not, while another display's message using the entry may not have been drawn
 * yet: entries with such a use whose serial is not known yet are not evicted, and for those
 * already sent the eviction goes after a WAIT_FOR_CHANNELS naming that serial. Decisions are
 * made in the order a display's messages go on the wire, so a display's own uses come first.
 */
export class PixmapCache {
  private readonly m: Int32Array;
  private readonly serials: Float64Array;
  private readonly bit: number;

  /** A new, empty cache of `capacity` pixels (already clamped) for one client. */
  static create(capacity: number, maxEntries = PIXMAP_CACHE_MAX_ENTRIES): SharedArrayBuffer {
    const memory = new SharedArrayBuffer(serialsAt(maxEntries) + maxEntries * PIXMAP_CACHE_DISPLAYS * 8);
    const m = new Int32Array(memory);
    m[H.capacity] = capacity;
    m[H.maxEntries] = maxEntries;
    m[H.head] = m[H.tail] = NIL;
    m.fill(NIL, headerWords, entriesAt);
    for (let i = 0; i < maxEntries; i++) m[entriesAt + i * fields + F.next] = i + 1 < maxEntries ? i + 1 : NIL;
    m[H.free] = 0;
    return memory;
  }

  /** `display`'s view of the cache in `memory` (below PIXMAP_CACHE_DISPLAYS). */
  constructor(
    memory: SharedArrayBuffer,
    private readonly display: number,
  ) {
    if (!Number.isInteger(display) || display < 0 || display >= PIXMAP_CACHE_DISPLAYS)
      throw new RangeError(`display ${display} cannot share a pixmap cache`);
    this.m = new Int32Array(memory);
    this.serials = new Float64Array(memory, serialsAt(this.m[H.maxEntries]!));
    this.bit = 1 << display;
    Atomics.or(this.m, H.members, this.bit);
  }

  /** Whether another display of the client uses the cache too (it may want to evict what this one's messages use). */
  get shared(): boolean {
    return (Atomics.load(this.m, H.members) & ~this.bit) !== 0;
  }

  get capacity(): number {
    return this.m[H.capacity]!;
  }
  /** Images held. */
  get size(): number {
    return Atomics.load(this.m, H.count);
  }
  /** Pixels held. */
  get pixels(): number {
    return Atomics.load(this.m, H.used);
  }

  /**
   * The verdict for an image of `pixels` pixels whose content is `key`. `canLossy`: the drawing
   * may show lossy pixels; `jpeg`: lossy images are in use for this client (then hits on exact
   * entries say so, as spice-server's FROM_CACHE_LOSSLESS).
   */
  use(key: ContentKey, pixels: number, options: { canLossy: boolean; jpeg: boolean }): CacheVerdict {
    return this.locked(() => {
      const m = this.m;
      const found = this.find(key);
      if (found !== NIL) {
        const e = entriesAt + found * fields;
        this.touch(found);
        m[e + F.pending]! |= this.bit;
        const use = { slot: found, seq: m[e + F.seq]! };
        const id = pixmapId(use.seq);
        if (options.canLossy || !m[e + F.lossy]) {
          return { kind: 'hit', id, lossless: options.jpeg && !m[e + F.lossy], shared: m[e + F.adder] !== this.display, use };
        }
        // Exact pixels wanted where the client has lossy ones: sent again, replacing them.
        m[e + F.lossy] = 0;
        m[e + F.adder] = this.display;
        return { kind: 'add', id, replace: true, evicted: [], waits: [], use };
      }
      if (pixels > m[H.capacity]! || pixels <= 0) return { kind: 'skip' };
      const victims = this.victims(pixels);
      if (!victims) return { kind: 'skip' };
      const evicted: PixmapId[] = [];
      const waits = new Map<number, number>();
      for (const slot of victims) {
        evicted.push(pixmapId(m[entriesAt + slot * fields + F.seq]!));
        for (let d = 0; d < PIXMAP_CACHE_DISPLAYS; d++) {
          const serial = this.serials[slot * PIXMAP_CACHE_DISPLAYS + d]!;
          if (d !== this.display && serial > (waits.get(d) ?? 0)) waits.set(d, serial);
        }
        this.remove(slot);
      }
      const slot = m[H.free]!;
      const e = entriesAt + slot * fields;
      m[H.free] = m[e + F.next]!;
      m[H.seq] = (m[H.seq]! + 1) | 0 || 1;
      const seq = m[H.seq]!;
      m.set([key.width, key.height, key.h1, key.h2, pixels, seq, 0, this.bit, NIL, NIL, NIL, this.display], e);
      this.serials.fill(0, slot * PIXMAP_CACHE_DISPLAYS, (slot + 1) * PIXMAP_CACHE_DISPLAYS);
      const b = headerWords + bucketOf(key);
      m[e + F.chain] = m[b]!;
      m[b] = slot;
      this.linkFront(slot);
      m[H.used]! += pixels;
      m[H.count]!++;
      return {
        kind: 'add',
        id: pixmapId(seq),
        replace: false,
        evicted,
        waits: [...waits].map(([display, serial]) => ({ display, serial })),
        use: { slot, seq },
      };
    });
  }

  /** The image added by `use` went lossy (a JPEG): a drawing needing exact pixels will send it again. */
  setLossy(use: CacheUse, lossy: boolean): void {
    this.locked(() => {
      if (this.live(use)) this.m[entriesAt + use.slot * fields + F.lossy] = lossy ? 1 : 0;
    });
  }

  /** The image added by `use` never reached the client: no hit may name it. */
  forget(use: CacheUse): void {
    this.locked(() => {
      if (this.live(use)) this.remove(use.slot);
    });
  }

  /** This display's message carrying `uses` went out as its message `serial`. */
  sent(uses: readonly CacheUse[], serial: number): void {
    this.locked(() => {
      for (const u of uses) {
        if (!this.live(u)) continue;
        this.serials[u.slot * PIXMAP_CACHE_DISPLAYS + this.display] = serial;
        this.m[entriesAt + u.slot * fields + F.pending]! &= ~this.bit;
      }
    });
  }

  /** This display's message carrying `uses` never goes out. */
  settle(uses: readonly CacheUse[]): void {
    this.locked(() => {
      for (const u of uses) if (this.live(u)) this.m[entriesAt + u.slot * fields + F.pending]! &= ~this.bit;
    });
  }

  /** This display's client has gone: nothing waits for its messages any more, and its serials start again. */
  leave(): void {
    Atomics.and(this.m, H.members, ~this.bit);
    this.locked(() => {
      const max = this.m[H.maxEntries]!;
      for (let slot = 0; slot < max; slot++) {
        this.m[entriesAt + slot * fields + F.pending]! &= ~this.bit;
        this.serials[slot * PIXMAP_CACHE_DISPLAYS + this.display] = 0;
      }
    });
  }

  private locked<T>(f: () => T): T {
    const m = this.m;
    while (Atomics.compareExchange(m, H.lock, 0, 1) !== 0) Atomics.wait(m, H.lock, 1);
    try {
      return f();
    } finally {
      Atomics.store(m, H.lock, 0);
      Atomics.notify(m, H.lock, 1);
    }
  }

  private live(u: CacheUse): boolean {
    const e = entriesAt + u.slot * fields;
    return u.slot >= 0 && u.slot < this.m[H.maxEntries]! && this.m[e + F.seq] === u.seq && this.m[e + F.pixels]! > 0;
  }

  private find(key: ContentKey): number {
    const m = this.m;
    for (let slot = m[headerWords + bucketOf(key)]!; slot !== NIL; slot = m[entriesAt + slot * fields + F.chain]!) {
      const e = entriesAt + slot * fields;
      if (m[e + F.h1] === key.h1 && m[e + F.h2] === key.h2 && m[e + F.width] === key.width && m[e + F.height] === key.height) return slot;
    }
    return NIL;
  }

  /**
   * The least recently used entries to evict for `pixels` more, none used by another display's
   * message not sent yet; null when those evictable cannot make the room.
   */
  private victims(pixels: number): number[] | null {
    const m = this.m;
    const out: number[] = [];
    let used = m[H.used]!;
    let count = m[H.count]!;
    for (let slot = m[H.tail]!; slot !== NIL; slot = m[entriesAt + slot * fields + F.prev]!) {
      if (used + pixels <= m[H.capacity]! && count < m[H.maxEntries]!) break;
      const e = entriesAt + slot * fields;
      if ((m[e + F.pending]! & ~this.bit) !== 0) continue;
      out.push(slot);
      used -= m[e + F.pixels]!;
      count--;
    }
    return used + pixels <= m[H.capacity]! && count < m[H.maxEntries]! ? out : null;
  }

  private remove(slot: number): void {
    const m = this.m;
    const e = entriesAt + slot * fields;
    const key = { width: m[e + F.width]!, height: m[e + F.height]!, h1: m[e + F.h1]!, h2: m[e + F.h2]! };
    const b = headerWords + bucketOf(key);
    if (m[b] === slot) m[b] = m[e + F.chain]!;
    else
      for (let s = m[b]!; s !== NIL; s = m[entriesAt + s * fields + F.chain]!)
        if (m[entriesAt + s * fields + F.chain] === slot) {
          m[entriesAt + s * fields + F.chain] = m[e + F.chain]!;
          break;
        }
    this.unlink(slot);
    m[H.used] = m[H.used]! - m[e + F.pixels]!;
    m[H.count]!--;
    m[e + F.pixels] = 0;
    m[e + F.seq] = 0;
    m[e + F.next] = m[H.free]!;
    m[H.free] = slot;
  }

  private touch(slot: number): void {
    this.unlink(slot);
    this.linkFront(slot);
  }

  private linkFront(slot: number): void {
    const m = this.m;
    const e = entriesAt + slot * fields;
    m[e + F.prev] = NIL;
    m[e + F.next] = m[H.head]!;
    if (m[H.head] !== NIL) m[entriesAt + m[H.head]! * fields + F.prev] = slot;
    m[H.head] = slot;
    if (m[H.tail] === NIL) m[H.tail] = slot;
  }

  private unlink(slot: number): void {
    const m = this.m;
    const e = entriesAt + slot * fields;
    const prev = m[e + F.prev]!;
    const next = m[e + F.next]!;
    if (prev === NIL) m[H.head] = next;
    else m[entriesAt + prev * fields + F.next] = next;
    if (next === NIL) m[H.tail] = prev;
    else m[entriesAt + next * fields + F.prev] = prev;
  }
}

const bucketOf = (key: ContentKey) => (key.h1 ^ key.width ^ (key.height << 7)) & (buckets - 1);
/** Ids are the table's sequence: one per client, so displays sharing the cache never mix theirs. */
const pixmapId = (seq: number) => BigInt(seq >>> 0) as PixmapId;
