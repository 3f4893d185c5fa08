import { createGlzDictionary, type GlzDictionary } from '../../codecs/image/glz/dictionary.js';
import { PixmapCache } from '../pipeline/red-worker/cache/pixmap-cache.js';

/** What a display of a client asks for at its DISPLAY_INIT (sizes already clamped). */
export interface CachesAsked {
  readonly windowPixels: number;
  readonly pixmapCacheId: number;
  /** 0: no pixmap cache. */
  readonly pixmapCachePixels: number;
}

/** A client's caches as a display gets them: the GLZ dictionary, and the pixmap cache's memory when it has one. */
export interface ClientCacheMemory {
  readonly glz: GlzDictionary;
  readonly pixmaps: SharedArrayBuffer | null;
}

interface ClientEntry {
  readonly glz: GlzDictionary;
  /** Pixmap caches by the id DISPLAY_INIT gave. */
  readonly pixmaps: Map<number, SharedArrayBuffer>;
  /** Displays using the caches, with the pixmap cache id each took. */
  readonly displays: Map<number, number | null>;
}

/**
 * The caches of the connected clients, as spice-server has them: one GLZ dictionary per client
 * (its session) shared by all its displays (the client keeps one window for them all, so their
 * images take ids from one sequence), and one pixmap cache per client and cache id (spice-gtk
 * gives every display the same id and keeps one cache). Made at the first display's
 * DISPLAY_INIT with its sizes; kept while any of the client's displays uses them, so a
 * reconnecting client, a new session, starts afresh. At most one dictionary
 * (GLZ_MAX_WINDOW_PIXELS * 4 bytes) and one table per cache id (PixmapCache's) per client.
 */
export class ClientCaches {
  private readonly bySession = new Map<number, ClientEntry>();

  /** The client's caches for `display`, made with the sizes asked if it has none yet. */
  take(session: number, display: number, asked: CachesAsked): ClientCacheMemory {
    let entry = this.bySession.get(session);
    if (!entry)
      this.bySession.set(session, (entry = { glz: createGlzDictionary(asked.windowPixels), pixmaps: new Map(), displays: new Map() }));
    let pixmaps: SharedArrayBuffer | null = null;
    if (asked.pixmapCachePixels > 0) {
      pixmaps = entry.pixmaps.get(asked.pixmapCacheId) ?? PixmapCache.create(asked.pixmapCachePixels);
      entry.pixmaps.set(asked.pixmapCacheId, pixmaps);
    }
    entry.displays.set(display, pixmaps && asked.pixmapCacheId);
    return { glz: entry.glz, pixmaps };
  }

  /** `display` no longer shows the client: a cache goes with the last display using it. */
  release(session: number, display: number): void {
    const entry = this.bySession.get(session);
    if (!entry?.displays.has(display)) return;
    const id = entry.displays.get(display);
    entry.displays.delete(display);
    if (id !== null && id !== undefined && ![...entry.displays.values()].includes(id)) entry.pixmaps.delete(id);
    if (entry.displays.size === 0) this.bySession.delete(session);
  }

  /** Clients with caches held. */
  get size(): number {
    return this.bySession.size;
  }

  /** Pixmap caches held, over all clients. */
  get pixmapCaches(): number {
    let n = 0;
    for (const e of this.bySession.values()) n += e.pixmaps.size;
    return n;
  }
}
