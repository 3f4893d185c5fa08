import type { QuicBitReader } from './bit-reader.js';

/** quic.c's J table: the expected run is 2^J[state] pixels in each of the 32 MELCODE states. */
const RUN_BITS = Uint8Array.of(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 9, 10, 11, 12, 13, 14, 15);
const LAST_STATE = RUN_BITS.length - 1;

/**
 * The run-length coder (MELCODE, quic.c encode_state_run / decode_state_run). Each run is sent
 * as one "1" per whole expected run it contains, each hit raising the expectation, then a "0"
 * and the remainder in `bits` bits; after a run the expectation drops one state.
 */
export class Melcode {
  private state = 0;
  private bits = 0;
  private order = 1;

  /** Reads a run length; a corrupt stream gives a large value for the caller to refuse. */
  decode(reader: QuicBitReader): number {
    let length = 0;
    for (;;) {
      const ones = Math.min(8, Math.clz32(~reader.window));
      for (let hit = 0; hit < ones; hit++) {
        length += this.order;
        this.raise();
      }
      if (ones < 8) {
        reader.skip(ones + 1);
        break;
      }
      reader.skip(8);
    }
    if (this.bits) {
      length += reader.window >>> (32 - this.bits);
      reader.skip(this.bits);
    }
    this.lower();
    return length;
  }

  private raise(): void {
    if (this.state < LAST_STATE) {
      this.bits = RUN_BITS[++this.state]!;
      this.order = 1 << this.bits;
    }
  }

  private lower(): void {
    if (this.state > 0) {
      this.bits = RUN_BITS[--this.state]!;
      this.order = 1 << this.bits;
    }
  }
}
