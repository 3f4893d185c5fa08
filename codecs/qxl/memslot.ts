// A memory slot as a QXL device and its consumer agree on it: plain data, so that a device
// handed to a red-worker (actors/contracts.ts) carries it.

/**
 * A memory slot: addresses [start, end) of the slot are offsets [start, end) of the device
 * memory (the producer and consumer map the same region, so no delta is needed). A slot is
 * re-added with a new generation when its memory is reused, which voids old addresses.
 */
export interface MemSlot {
  readonly id: number;
  readonly generation: number;
  readonly start: number;
  readonly end: number;
}
