/**
 * The producer's allocator for command structs and bitmaps in the device memory: first fit over
 * a sorted free list, coalescing on free. Its book-keeping stays in the producer's JS heap (only
 * the producer allocates; the consumer returns memory through the release ring), so nothing the
 * other side writes can corrupt it. Releases come back roughly in order, so the free list stays
 * short.
 */
export class DeviceHeap {
  /** Free blocks [start, end), sorted and never adjacent. */
  readonly #free: { start: number; end: number }[];
  readonly #used = new Map<number, number>();
  #usedBytes = 0;

  constructor(
    readonly start: number,
    readonly end: number,
    readonly align = 8,
  ) {
    if (
      !(
        Number.isSafeInteger(start) &&
        Number.isSafeInteger(end) &&
        start >= 0 &&
        start < end &&
        align > 0 &&
        (align & (align - 1)) === 0 &&
        start % align === 0
      )
    ) {
      throw new RangeError(`heap [${start}, ${end}) aligned ${align}`);
    }
    this.#free = [{ start, end }];
  }

  /** Bytes handed out and not yet freed. */
  get usedBytes(): number {
    return this.#usedBytes;
  }

  /** How many allocations are live: a bound on any chain of releases. */
  get liveCount(): number {
    return this.#used.size;
  }

  /** The offset of `size` fresh bytes, or undefined when no free block is large enough. */
  alloc(size: number): number | undefined {
    if (!(Number.isSafeInteger(size) && size > 0)) throw new RangeError(`alloc(${size})`);
    const rounded = Math.ceil(size / this.align) * this.align;
    for (let i = 0; i < this.#free.length; i++) {
      const block = this.#free[i]!;
      if (block.end - block.start < rounded) continue;
      const at = block.start;
      block.start += rounded;
      if (block.start === block.end) this.#free.splice(i, 1);
      this.#used.set(at, rounded);
      this.#usedBytes += rounded;
      return at;
    }
    return undefined;
  }

  /** Frees an allocation; false (and nothing changes) if `offset` is not a live one. */
  free(offset: number): boolean {
    const size = this.#used.get(offset);
    if (size === undefined) return false;
    this.#used.delete(offset);
    this.#usedBytes -= size;
    const end = offset + size;
    const free = this.#free;
    // First block after the freed one.
    let lo = 0;
    let hi = free.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (free[mid]!.start < offset) lo = mid + 1;
      else hi = mid;
    }
    const before = lo > 0 ? free[lo - 1] : undefined;
    const after = free[lo];
    const joinsAfter = after !== undefined && after.start === end;
    if (before !== undefined && before.end === offset) {
      before.end = joinsAfter ? after.end : end;
      if (joinsAfter) free.splice(lo, 1);
    } else if (joinsAfter) {
      after.start = offset;
    } else {
      free.splice(lo, 0, { start: offset, end });
    }
    return true;
  }
}
