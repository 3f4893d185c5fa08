/** quic.c's DEFmaxclen: no codeword is longer than this. */
const MAX_CODE_LEN = 26;

/** Codes per family (MAXNUMCODES): tables are laid out [value * 8 + code]. */
export const CODES = 8;

/**
 * A family of Golomb-Rice codes for one sample depth (quic.c family_init). Code `l` sends
 * value n as n >> l zeros, a one and the l low bits; values from `grCount[l]` on are sent
 * instead as `escapeZeros[l]` zeros and a fixed-length suffix, which caps every code at
 * DEFmaxclen bits.
 */
export interface GolombFamily {
  readonly bpc: number;
  /** Values a code sends in Golomb-Rice form (nGRcodewords). */
  readonly grCount: Uint32Array;
  /** Length of an escaped codeword (notGRcwlen). */
  readonly escapeLen: Uint8Array;
  /** A 32-bit window at or below this starts with the escape prefix (notGRprefixmask). */
  readonly escapeLimit: Uint32Array;
  /** Mask of the escaped codeword's suffix (bppmask[notGRsuffixlen]). */
  readonly escapeSuffixMask: Uint32Array;
  /** Codeword lengths for each value and code, [value * CODES + code]: what the models count. */
  readonly codeLen: Uint8Array;
  /** Residual unfolding: 0, 1, 2, 3, ... become 0, -1, 1, -2, ... (xlatL2U). */
  readonly unfold: Uint8Array;
  /** Context value -> bucket number; buckets cover 1, 2, 4, ... contexts (DEFevol 3). */
  readonly bucketOf: Uint8Array;
  /** First context of each bucket, and one past the last bucket's end (2^bpc). */
  readonly bucketStart: Uint16Array;
  readonly buckets: number;
}

const lowMask = (bits: number): number => (bits >= 32 ? 0xffffffff : 2 ** bits - 1);

const ceilLog2 = (value: number): number => (value <= 1 ? 0 : 32 - Math.clz32(value - 1));

function golombFamily(bpc: number): GolombFamily {
  const levels = 1 << bpc;
  const grCount = new Uint32Array(CODES);
  const escapeLen = new Uint8Array(CODES);
  const escapeLimit = new Uint32Array(CODES);
  const escapeSuffixMask = new Uint32Array(CODES);
  const codeLen = new Uint8Array(256 * CODES);
  for (let l = 0; l < bpc; l++) {
    const escapeZeros = Math.min(MAX_CODE_LEN - bpc, lowMask(bpc - l));
    const escapedValues = levels - escapeZeros * 2 ** l;
    const suffixLen = ceilLog2(escapedValues);
    grCount[l] = escapeZeros * 2 ** l;
    escapeLen[l] = escapeZeros + suffixLen;
    escapeLimit[l] = lowMask(32 - escapeZeros);
    escapeSuffixMask[l] = lowMask(suffixLen);
    for (let n = 0; n < 256; n++) codeLen[n * CODES + l] = n >= grCount[l]! ? escapeLen[l]! : (n >>> l) + l + 1;
  }

  const unfold = new Uint8Array(256);
  for (let s = 0; s < levels; s++) unfold[s] = s & 1 ? levels - 1 - (s >>> 1) : s >>> 1;

  const bucketOf = new Uint8Array(256);
  const starts = [0];
  for (let size = 1; starts.at(-1)! < levels; size *= 2) {
    const start = starts.at(-1)!;
    // A bucket absorbs the rest when one more of its size would not fit (fill_model_structures).
    const end = start + size - 1 + size >= levels ? levels - 1 : start + size - 1;
    bucketOf.fill(starts.length - 1, start, end + 1);
    starts.push(end + 1);
  }
  const bucketStart = Uint16Array.from(starts);
  const buckets = starts.length - 1;

  return { bpc, grCount, escapeLen, escapeLimit, escapeSuffixMask, codeLen, unfold, bucketOf, bucketStart, buckets };
}

/** The family of 8-bit samples, the only depth of RGB32, RGB24 and RGBA streams. */
export const family8 = golombFamily(8);

/**
 * Reads one codeword of code `l` at the head of a 32-bit window (quic.c golomb_decoding).
 * Returns (length << 8) | value, the value cut to a byte as quic.c does.
 */
export function golombDecode(family: GolombFamily, l: number, window: number): number {
  if (window > family.escapeLimit[l]!) {
    const zeros = Math.clz32(window);
    const len = zeros + 1 + l;
    return (len << 8) | (((zeros << l) | ((window >>> (32 - len)) & ((1 << l) - 1))) & 0xff);
  }
  const len = family.escapeLen[l]!;
  return (len << 8) | ((family.grCount[l]! + ((window >>> (32 - len)) & family.escapeSuffixMask[l]!)) & 0xff);
}
