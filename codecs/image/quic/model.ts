import { CODES, type GolombFamily } from './family.js';

/**
 * The adaptive part of the code choice for a group of channels (quic.c s_bucket): each
 * channel has its buckets of contexts, each bucket counts how many bits every code would have
 * spent on the values seen there and keeps the cheapest as its best code.
 */
export class BucketModels {
  /** Best code per [channel * buckets + bucket]. */
  readonly bestCode: Uint8Array;
  /** Bit counts per [(channel * buckets + bucket) * CODES + code]. */
  private readonly counters: Uint32Array;

  constructor(
    channels: number,
    private readonly family: GolombFamily,
  ) {
    this.bestCode = new Uint8Array(channels * family.buckets).fill(family.bpc - 1);
    this.counters = new Uint32Array(channels * family.buckets * CODES);
  }

  /**
   * Charges value `value` seen in bucket `bucket` (channel-major index) to every code, picks the
   * cheapest (ties keep the longer code, as quic.c scans downwards) and halves the counts once
   * the best passes `trigger`, so the model follows the image.
   */
  update(bucket: number, value: number, trigger: number): void {
    const { codeLen, bpc } = this.family;
    const counters = this.counters;
    const base = bucket * CODES;
    const lens = value * CODES;
    let best = bpc - 1;
    let bestLen = (counters[base + best] = counters[base + best]! + codeLen[lens + best]!);
    for (let l = bpc - 2; l >= 0; l--) {
      const len = (counters[base + l] = counters[base + l]! + codeLen[lens + l]!);
      if (len < bestLen) {
        best = l;
        bestLen = len;
      }
    }
    this.bestCode[bucket] = best;
    if (bestLen > trigger) {
      for (let l = 0; l < bpc; l++) counters[base + l] = counters[base + l]! >>> 1;
    }
  }
}
