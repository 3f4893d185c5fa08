import { COMMAND_RING, CURSOR_RING, HEAP_OFFSET, QXL_RAM_MAGIC, QxlRam, RELEASE_RING, RingWord, type RingSpec } from './layout.js';
import { SpiceRing } from './ring.js';

const RINGS: readonly RingSpec[] = [COMMAND_RING, CURSOR_RING, RELEASE_RING];

/** The smallest device memory: the QXLRam header and one page of heap. */
export const MIN_DEVICE_MEMORY = HEAP_OFFSET + 4096;

/** Writes a fresh QXLRam header (magic, empty rings). Only the side that creates the memory, before sharing it. */
export function initDeviceMemory(memory: SharedArrayBuffer): void {
  if (memory.byteLength < MIN_DEVICE_MEMORY) throw new RangeError(`device memory needs at least ${MIN_DEVICE_MEMORY} bytes`);
  new Uint8Array(memory, 0, HEAP_OFFSET).fill(0);
  for (const spec of RINGS) new SpiceRing(memory, spec).init();
  Atomics.store(new Uint32Array(memory, QxlRam.magic, 1), 0, QXL_RAM_MAGIC);
}

export interface DeviceMemoryError {
  readonly error: 'bad-device-memory';
  readonly reason: string;
}

/** Checks memory received from the other side: size, magic, and the ring sizes we assume. */
export function checkDeviceMemory(memory: SharedArrayBuffer): DeviceMemoryError | undefined {
  if (memory.byteLength < MIN_DEVICE_MEMORY) return { error: 'bad-device-memory', reason: `${memory.byteLength} bytes` };
  const words = new Uint32Array(memory, 0, HEAP_OFFSET / 4);
  if (Atomics.load(words, QxlRam.magic / 4) !== QXL_RAM_MAGIC) return { error: 'bad-device-memory', reason: 'no QXLRam magic' };
  for (const spec of RINGS) {
    const n = Atomics.load(words, (spec.offset + RingWord.numItems * 4) / 4);
    if (n !== spec.numItems) return { error: 'bad-device-memory', reason: `ring at ${spec.offset} has ${n} items, not ${spec.numItems}` };
  }
  return undefined;
}

/** The heap's byte range in a device memory of this size. */
export const heapRange = (memory: SharedArrayBuffer): { start: number; end: number } => ({ start: HEAP_OFFSET, end: memory.byteLength });
