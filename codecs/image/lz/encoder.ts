import type { Bitmap32, Bitmap32Format } from '../bitmap.js';
import {
  LEN_ESCAPE,
  LZ_HEADER_SIZE,
  LzImageType,
  MATCH_LENGTH_BIAS,
  MAX_COPY,
  MAX_DISTANCE,
  MAX_FAR_DISTANCE,
  writeHeader,
} from './format.js';

/**
 * SPICE LZ encoder: a bitmap as an LZ_RGB payload (header + stream) that spice-gtk's
 * `lz_decompress_tmpl.c` and spice-html5's `lz.js` decode. 'rgb32' becomes type RGB32 (B,G,R
 * literals, the 4th byte dropped); 'rgba' becomes type RGBA: the same pass, then an alpha pass.
 *
 * Greedy LZ over pixels (not bytes): at each position three candidates are tried — the previous
 * pixel (a run), the pixel one row up (screen content repeats vertically), and the last position
 * whose next 3 pixels hashed alike (HASH_LOG 13) — and the longest match wins.
 */
export function encodeLz(bitmap: Bitmap32, format: Bitmap32Format): Uint8Array {
  const { width, height, stride, pixels } = bitmap;
  if (!(width >= 1 && height >= 1 && stride >= width * 4 && pixels.length >= stride * (height - 1) + width * 4)) {
    throw new RangeError(`encodeLz: bad bitmap ${width}x${height} stride ${stride} (${pixels.length} bytes)`);
  }
  const n = width * height;
  if (n * 4 > MAX_IMAGE_BYTES) throw new RangeError(`encodeLz: ${width}x${height} is larger than SPICE clients decode`);
  const out = scratchOut(LZ_HEADER_SIZE + passBound(n, 3) + (format === 'rgba' ? passBound(n, 1) : 0));
  const sym = scratchSymbols(n);
  const type = format === 'rgba' ? LzImageType.RGBA : LzImageType.RGB32;
  writeHeader(out, { type, width, height, stride: width * 4, topDown: 1 });

  packRgb(bitmap, sym);
  let pos = compressPass(sym, n, width, out, LZ_HEADER_SIZE, RGB_PASS);
  if (format === 'rgba') {
    packAlpha(bitmap, sym);
    pos = compressPass(sym, n, width, out, pos, ALPHA_PASS);
  }
  return out.slice(0, pos);
}

/** spice-common's decoder refuses stride*height above this (SPICE_MAX_IMAGE_SIZE). */
const MAX_IMAGE_BYTES = 2 ** 30 - 1;

/** How one pass codes its pixels. */
interface PassParams {
  /** Bytes a literal pixel takes: 3 (B,G,R) or 1 (alpha). */
  readonly literalBytes: 1 | 3;
  /** Pixels a match of length field f copies: f + lengthBias. */
  readonly lengthBias: number;
  /** Shortest match worth coding with a 13-bit (near) and a 16-bit (far) distance. */
  readonly minNear: number;
  readonly minFar: number;
}

// Chosen so a match never costs more than the literals it replaces (+1 for the control byte it may
// force on the next literals): passBound is then a true bound on the output.
const RGB_PASS: PassParams = { literalBytes: 3, lengthBias: MATCH_LENGTH_BIAS.rgb, minNear: 2, minFar: 2 };
const ALPHA_PASS: PassParams = { literalBytes: 1, lengthBias: MATCH_LENGTH_BIAS.alpha, minNear: 3, minFar: 5 };

/** Worst case of one pass: every pixel a literal, plus a control byte per MAX_COPY of them. */
const passBound = (n: number, literalBytes: number) => n * literalBytes + Math.ceil(n / MAX_COPY);

const HASH_LOG = 13;
const HASH_SHIFT = 32 - HASH_LOG;
/** A match this long is taken at once, without trying the other candidates. */
const GOOD_ENOUGH = 64;

// Per-thread scratch, grown on demand: an encode allocates only its result.
let symScratch = new Uint32Array(0);
let outScratch = new Uint8Array(0);
const htab = new Int32Array(1 << HASH_LOG);

function scratchSymbols(n: number): Uint32Array {
  if (symScratch.length < n) symScratch = new Uint32Array(n);
  return symScratch;
}

function scratchOut(size: number): Uint8Array {
  if (outScratch.length < size) outScratch = new Uint8Array(size);
  return outScratch;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Pixels as 24-bit B | G<<8 | R<<16 words, rows packed. */
function packRgb({ width, height, stride, pixels }: Bitmap32, sym: Uint32Array): void {
  let k = 0;
  if (LITTLE_ENDIAN && pixels.byteOffset % 4 === 0 && stride % 4 === 0) {
    // Whole pixels at once: on a little-endian host a u32 reads B | G<<8 | R<<16 | X<<24.
    const words = new Uint32Array(pixels.buffer, pixels.byteOffset, (stride >> 2) * (height - 1) + width);
    for (let y = 0; y < height; y++) {
      let o = y * (stride >> 2);
      for (const end = k + width; k < end; k++, o++) sym[k] = words[o]! & 0xffffff;
    }
    return;
  }
  for (let y = 0; y < height; y++) {
    let o = y * stride;
    for (const end = k + width; k < end; k++, o += 4) {
      sym[k] = pixels[o]! | (pixels[o + 1]! << 8) | (pixels[o + 2]! << 16);
    }
  }
}

function packAlpha({ width, height, stride, pixels }: Bitmap32, sym: Uint32Array): void {
  let k = 0;
  for (let y = 0; y < height; y++) {
    let o = y * stride + 3;
    for (const end = k + width; k < end; k++, o += 4) sym[k] = pixels[o]!;
  }
}

/** Length of the common run of sym[a..] and sym[b..] (a < b), at most `max`. */
function matchLength(sym: Uint32Array, a: number, b: number, max: number): number {
  let k = 0;
  while (k < max && sym[a + k] === sym[b + k]) k++;
  return k;
}

/** Codes sym[0..n) into out from `pos`; returns the new end. */
function compressPass(sym: Uint32Array, n: number, width: number, out: Uint8Array, pos: number, p: PassParams): number {
  const { literalBytes, lengthBias, minNear, minFar } = p;
  htab.fill(-1);
  let litStart = 0;
  let i = 0;
  while (i < n) {
    const v = sym[i]!;
    const max = n - i;
    let bestLen = 0;
    let bestDist = 0;

    if (i > 0 && sym[i - 1] === v) {
      bestLen = matchLength(sym, i - 1, i, max);
      bestDist = 1;
    }
    if (bestLen < GOOD_ENOUGH && i >= width && width > 1 && sym[i - width] === v) {
      const len = matchLength(sym, i - width, i, max);
      if (len > bestLen) {
        bestLen = len;
        bestDist = width;
      }
    }
    if (bestLen < GOOD_ENOUGH && max > 2) {
      const h = hash3(v, sym[i + 1]!, sym[i + 2]!);
      const cand = htab[h]!;
      htab[h] = i;
      const dist = i - cand;
      if (cand >= 0 && dist <= MAX_FAR_DISTANCE && dist !== bestDist && sym[cand] === v) {
        const len = matchLength(sym, cand, i, max);
        if (len > bestLen) {
          bestLen = len;
          bestDist = dist;
        }
      }
    }

    if (bestLen < (bestDist <= MAX_DISTANCE ? minNear : minFar)) {
      i++;
      continue;
    }
    pos = writeLiterals(sym, litStart, i, out, pos, literalBytes);
    pos = writeMatch(out, pos, bestLen - lengthBias, bestDist);
    i += bestLen;
    litStart = i;
    // Seed the table at the match end, where the next repeat of this content is likeliest to start.
    for (let j = Math.max(i - 2, 0); j < i && j + 2 < n; j++) htab[hash3(sym[j]!, sym[j + 1]!, sym[j + 2]!)] = j;
  }
  return writeLiterals(sym, litStart, n, out, pos, literalBytes);
}

function hash3(a: number, b: number, c: number): number {
  return (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77) ^ Math.imul(c, 0xc2b2ae3d)) >>> HASH_SHIFT;
}

function writeLiterals(sym: Uint32Array, from: number, to: number, out: Uint8Array, pos: number, literalBytes: 1 | 3): number {
  while (from < to) {
    const count = Math.min(MAX_COPY, to - from);
    out[pos++] = count - 1;
    const end = from + count;
    if (literalBytes === 3) {
      for (; from < end; from++) {
        const v = sym[from]!;
        out[pos] = v & 0xff;
        out[pos + 1] = (v >>> 8) & 0xff;
        out[pos + 2] = v >>> 16;
        pos += 3;
      }
    } else {
      for (; from < end; from++) out[pos++] = sym[from]!;
    }
  }
  return pos;
}

/** A match of length field `field` (>= 1) at pixel distance `dist` (1..MAX_FAR_DISTANCE). */
function writeMatch(out: Uint8Array, pos: number, field: number, dist: number): number {
  const biased = dist - 1;
  const far = biased >= MAX_DISTANCE;
  const high = far ? 31 : biased >>> 8;
  if (field < LEN_ESCAPE) {
    out[pos++] = (field << 5) | high;
  } else {
    out[pos++] = (LEN_ESCAPE << 5) | high;
    let rest = field - LEN_ESCAPE;
    for (; rest >= 255; rest -= 255) out[pos++] = 255;
    out[pos++] = rest;
  }
  if (far) {
    const d = biased - MAX_DISTANCE;
    out[pos] = 255;
    out[pos + 1] = d >>> 8;
    out[pos + 2] = d & 0xff;
    return pos + 3;
  }
  out[pos] = biased & 0xff;
  return pos + 1;
}
