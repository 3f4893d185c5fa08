import { CODES, type GolombFamily } from './family.js';

/** Contexts per channel: a context is the previous residual, a byte (8-bit samples only). */
export const CONTEXTS = 256;

/**
 * The adaptive part of the code choice for a group of channels (quic.c s_bucket): each
 * channel has its buckets of contexts, each bucket counts how many bits every code would have
 * spent on the values seen there and keeps the cheapest as its best code.
 */
export class BucketModels {
  /**
   * Best code per [channel * CONTEXTS + context]: each bucket's best copied to all its contexts,
   * so that coding a value costs one lookup.
   */
  readonly codeFor: Uint8Array;
  /** Bit counts per [(channel * buckets + bucket) * CODES + code]. */
  private readonly counters: Uint32Array;
  private readonly best: Uint8Array;

  constructor(
    channels: number,
    private readonly family: GolombFamily,
  ) {
    this.codeFor = new Uint8Array(channels * CONTEXTS).fill(family.bpc - 1);
    this.best = new Uint8Array(channels * family.buckets).fill(family.bpc - 1);
    this.counters = new Uint32Array(channels * family.buckets * CODES);
  }

  /**
   * Charges `value`, seen by `channel` after `context`, to every code of the context's bucket,
   * picks the cheapest (ties keep the longer code, as quic.c scans downwards) and halves the
   * counts once the best passes `trigger`, so the model follows the image.
   */
  update(channel: number, context: number, value: number, trigger: number): void {
    const { codeLen, bpc, bucketOf, bucketStart, buckets } = this.family;
    const counters = this.counters;
    const local = bucketOf[context]!;
    const bucket = channel * buckets + local;
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
    if (this.best[bucket] !== best) {
      this.best[bucket] = best;
      const from = channel * CONTEXTS;
      this.codeFor.fill(best, from + bucketStart[local]!, from + bucketStart[local + 1]!);
    }
    if (bestLen > trigger) {
      for (let l = 0; l < bpc; l++) counters[base + l] = counters[base + l]! >>> 1;
    }
  }
}
