/** An image's id in a client's pixmap cache (the SpiceImage descriptor's id). */
export type PixmapId = bigint & { readonly __brand: 'PixmapId' };

/**
 * What to send for an image:
 * - `hit`: a FROM_CACHE descriptor (`lossless`: FROM_CACHE_LOSSLESS, the client is told the
 *   cached pixels are exact), no pixels;
 * - `add`: the image with CACHE_ME under `id` (`replace`: CACHE_REPLACE_ME, exact pixels for a
 *   lossy entry), after an INVAL_LIST of `evicted` when not empty;
 * - `skip`: the image as it is, not cached (larger than the whole cache).
 */
export type CacheVerdict =
  | { readonly kind: 'hit'; readonly id: PixmapId; readonly lossless: boolean }
  | { readonly kind: 'add'; readonly id: PixmapId; readonly replace: boolean; readonly evicted: readonly PixmapId[] }
  | { readonly kind: 'skip' };

interface Entry {
  readonly id: PixmapId;
  readonly pixels: number;
  lossy: boolean;
}

/**
 * The server's half of a client's pixmap cache, as spice-server's PixmapCache: which images
 * the client holds, by content key, with their ids; a budget in pixels (the client's
 * DISPLAY_INIT size, clamped) spent least-recently-used first, evicted ids told to the client
 * before the image that needed the room. Holds no pixels: at most `maxEntries` keys and ids.
 * Decisions are made in the order images go on the wire, so a hit never precedes its image.
 */
export class PixmapCache {
  private readonly entries = new Map<string, Entry>();
  private readonly byId = new Map<PixmapId, string>();
  private used = 0;
  private next = 0n;
  hits = 0;
  misses = 0;

  constructor(
    /** The client's cache size in pixels. */
    readonly capacity: number,
    /** High bits of this cache's ids, so that caches sharing the client's store never mix theirs. */
    private readonly idBase: bigint,
    private readonly maxEntries = 8192,
  ) {}

  get size(): number {
    return this.entries.size;
  }
  get pixels(): number {
    return this.used;
  }

  /**
   * The verdict for an image of `pixels` pixels whose content is `key`. `canLossy`: the drawing
   * may show lossy pixels; `jpeg`: lossy images are in use for this client (then hits on exact
   * entries say so, as spice-server's FROM_CACHE_LOSSLESS).
   */
  use(key: string, pixels: number, options: { canLossy: boolean; jpeg: boolean }): CacheVerdict {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      if (options.canLossy || !hit.lossy) {
        this.hits++;
        return { kind: 'hit', id: hit.id, lossless: options.jpeg && !hit.lossy };
      }
      // Exact pixels wanted where the client has lossy ones: sent again, replacing them.
      hit.lossy = false;
      this.misses++;
      return { kind: 'add', id: hit.id, replace: true, evicted: [] };
    }
    this.misses++;
    if (pixels > this.capacity || pixels <= 0) return { kind: 'skip' };
    const evicted: PixmapId[] = [];
    for (const [k, e] of this.entries) {
      if (this.used + pixels <= this.capacity && this.entries.size < this.maxEntries) break;
      this.entries.delete(k);
      this.byId.delete(e.id);
      this.used -= e.pixels;
      evicted.push(e.id);
    }
    const id = (this.idBase | ++this.next) as PixmapId;
    this.entries.set(key, { id, pixels, lossy: false });
    this.byId.set(id, key);
    this.used += pixels;
    return { kind: 'add', id, replace: false, evicted };
  }

  /** The image sent under `id` was lossy (a JPEG): a drawing needing exact pixels will send it again. */
  setLossy(id: PixmapId, lossy: boolean): void {
    const key = this.byId.get(id);
    const e = key === undefined ? undefined : this.entries.get(key);
    if (e) e.lossy = lossy;
  }

  /** The image added under `id` never reached the client: no hit may name it. */
  forget(id: PixmapId): void {
    const key = this.byId.get(id);
    if (key === undefined) return;
    this.used -= this.entries.get(key)!.pixels;
    this.entries.delete(key);
    this.byId.delete(id);
  }
}

/** Pixels a client's cache may hold at most here: 32 Mi pixels (128 MiB at the client; spice-gtk asks for 20 Mi). */
export const PIXMAP_CACHE_MAX_PIXELS = 32 * 1024 * 1024;

/** The client's DISPLAY_INIT cache size (an i64, as a number) clamped to 0..PIXMAP_CACHE_MAX_PIXELS (0: no cache). */
export function pixmapCachePixels(asked: number): { pixels: number; clamped: boolean } {
  const pixels = Number.isFinite(asked) ? Math.min(PIXMAP_CACHE_MAX_PIXELS, Math.max(0, Math.floor(asked))) : 0;
  return { pixels, clamped: pixels !== asked };
}
