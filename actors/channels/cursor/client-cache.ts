/**
 * What one client holds in its cursor cache, as spice-server tracks it: shapes by unique id,
 * least recently used evicted first; an eviction tells the client to drop that id (INVAL_ONE).
 */
export class CursorCache {
  private readonly ids = new Set<bigint>();

  constructor(readonly capacity = 256) {}

  has(id: bigint): boolean {
    if (!this.ids.has(id)) return false;
    // Re-inserted: a Set iterates in insertion order, so the first is the least recently used.
    this.ids.delete(id);
    this.ids.add(id);
    return true;
  }

  /** Adds `id`; returns the ids evicted to make room. */
  add(id: bigint): bigint[] {
    this.ids.add(id);
    const evicted: bigint[] = [];
    for (const old of this.ids) {
      if (this.ids.size <= this.capacity) break;
      this.ids.delete(old);
      evicted.push(old);
    }
    return evicted;
  }

  clear(): void {
    this.ids.clear();
  }
}
