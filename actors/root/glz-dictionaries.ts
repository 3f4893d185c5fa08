import { createGlzDictionary, type GlzDictionary } from '../../codecs/image/glz/dictionary.js';

/**
 * The GLZ dictionaries of the connected clients, one per client (its session) shared by all its
 * displays, as spice-server has it: the client keeps one window for them all, so their images
 * take ids from one sequence. Made at the first display's DISPLAY_INIT, with its window; kept
 * while any of the client's displays uses it, so at most one per connected client
 * (GLZ_MAX_WINDOW_PIXELS * 4 bytes of pixels each at most), and a reconnecting client, a new
 * session, starts afresh.
 */
export class GlzDictionaries {
  private readonly bySession = new Map<number, { dictionary: GlzDictionary; displays: Set<number> }>();

  /** The client's dictionary for `display`, made with `windowPixels` (already clamped) if it has none yet. */
  take(session: number, display: number, windowPixels: number): GlzDictionary {
    let entry = this.bySession.get(session);
    if (!entry) this.bySession.set(session, (entry = { dictionary: createGlzDictionary(windowPixels), displays: new Set() }));
    entry.displays.add(display);
    return entry.dictionary;
  }

  /** `display` no longer shows the client: the dictionary goes with the client's last display. */
  release(session: number, display: number): void {
    const entry = this.bySession.get(session);
    if (!entry) return;
    entry.displays.delete(display);
    if (entry.displays.size === 0) this.bySession.delete(session);
  }

  /** Dictionaries held (one per client with a display). */
  get size(): number {
    return this.bySession.size;
  }
}
