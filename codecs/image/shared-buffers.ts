/**
 * Shared memory for image snapshots, reused by size: a busy display takes and drops a snapshot
 * per drawing, and fresh SharedArrayBuffers would pile up as garbage faster than V8 collects it.
 * At most `perSize` buffers of each size wait for reuse.
 */
export class SharedBuffers {
  private readonly free = new Map<number, SharedArrayBuffer[]>();

  constructor(private readonly perSize = 4) {}

  take(byteLength: number): SharedArrayBuffer {
    return this.free.get(byteLength)?.pop() ?? new SharedArrayBuffer(byteLength);
  }

  /** Gives a buffer back; its contents are garbage from now on. */
  give(buffer: SharedArrayBuffer): void {
    let list = this.free.get(buffer.byteLength);
    if (!list) this.free.set(buffer.byteLength, (list = []));
    if (list.length < this.perSize) list.push(buffer);
  }
}
