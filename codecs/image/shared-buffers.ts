/**
 * Shared memory for image snapshots, reused by size class: a busy display takes and drops a
 * snapshot per drawing, each of its own size, and fresh SharedArrayBuffers (zeroed, mapped,
 * collected late) cost more than the copy they hold — the red-worker's profile on the desktop
 * workload showed three times the copy's own time. A buffer is handed out for any size in its
 * class (within 25% above), so drawings of similar sizes share buffers. At most `perClass`
 * buffers of each class wait for reuse.
 */
export class SharedBuffers {
  private readonly free = new Map<number, SharedArrayBuffer[]>();

  constructor(private readonly perClass = 4) {}

  /** A buffer of at least `byteLength` bytes (its contents are garbage). */
  take(byteLength: number): SharedArrayBuffer {
    const size = sizeClass(byteLength);
    return this.free.get(size)?.pop() ?? new SharedArrayBuffer(size);
  }

  /** Gives a buffer from `take` back; its contents are garbage from now on. */
  give(buffer: SharedArrayBuffer): void {
    let list = this.free.get(buffer.byteLength);
    if (!list) this.free.set(buffer.byteLength, (list = []));
    if (list.length < this.perClass) list.push(buffer);
  }
}

/** Quarter steps between powers of two (4 KiB at least): 4096, 5120, 6144, 7168, 8192, 10240, ... */
export function sizeClass(byteLength: number): number {
  if (byteLength <= 4096) return 4096;
  const step = 2 ** (Math.floor(Math.log2(byteLength - 1)) - 2);
  return Math.ceil(byteLength / step) * step;
}
