/**
 * A log-linear histogram in the manner of HdrHistogram: values below 16 have a bucket each, and
 * every power of two above is cut into 16 equal buckets, so a quantile is off by less than 1/16
 * (6.25 %) of the value. Constant memory (464 counters), O(1) record, no allocation: cheap enough
 * for a record per job on a hot path. Values are non-negative numbers in the caller's unit (the
 * name says which, e.g. `encodeUs`), floored to whole units and capped at 2^32 - 1.
 */
export class Histogram {
  private readonly counts = new Float64Array(BUCKETS);
  private total = 0;
  private sumOf = 0;
  private least = Infinity;
  private most = 0;

  record(value: number): void {
    const v = Math.min(MAX_VALUE, Math.max(0, Math.floor(value)));
    if (Number.isNaN(v)) return;
    this.counts[bucketOf(v)]!++;
    this.total++;
    this.sumOf += v;
    if (v < this.least) this.least = v;
    if (v > this.most) this.most = v;
  }

  get count(): number {
    return this.total;
  }

  get sum(): number {
    return this.sumOf;
  }

  /** The value below which a fraction q (0..1) of the records fall: the middle of its bucket, within [min, max]. 0 when empty. */
  quantile(q: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil(Math.min(1, Math.max(0, q)) * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) {
        const { lower, width } = bucketRange(i);
        return Math.min(this.most, Math.max(this.least, lower + (width - 1) / 2));
      }
    }
    return this.most;
  }

  summary(): HistogramSummary {
    const empty = this.total === 0;
    return {
      count: this.total,
      mean: empty ? 0 : this.sumOf / this.total,
      min: empty ? 0 : this.least,
      p50: this.quantile(0.5),
      p99: this.quantile(0.99),
      max: this.most,
    };
  }
}

export interface HistogramSummary {
  readonly count: number;
  readonly mean: number;
  readonly min: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

const SUB_BITS = 4;
const SUB = 1 << SUB_BITS;
const MAX_VALUE = 2 ** 32 - 1;
/** 16 exact buckets, then 16 for each power of two from 2^4 to 2^31. */
const BUCKETS = SUB + (32 - SUB_BITS) * SUB;

function bucketOf(v: number): number {
  if (v < SUB) return v;
  const exponent = 31 - Math.clz32(v);
  const shift = exponent - SUB_BITS;
  return SUB + shift * SUB + ((v >>> shift) - SUB);
}

function bucketRange(i: number): { lower: number; width: number } {
  if (i < SUB) return { lower: i, width: 1 };
  const shift = Math.floor((i - SUB) / SUB);
  const width = 2 ** shift;
  return { lower: (SUB + ((i - SUB) % SUB)) * width, width };
}
