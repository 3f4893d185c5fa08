import { type Bitmap32, type Bitmap32Format, type Decoded, decodeError } from '../bitmap.js';
import {
  LEN_ESCAPE,
  LZ_HEADER_SIZE,
  LZ_MAGIC,
  LZ_VERSION,
  LzImageType,
  MATCH_LENGTH_BIAS,
  MAX_COPY,
  MAX_DISTANCE,
  RGB_BYTES_PER_PIXEL,
  readHeaderWords,
} from './format.js';

/** A decoded LZ_RGB image: top-down B,G,R,X (pad 0) or B,G,R,A pixels, stride width*4. */
export interface LzImage extends Bitmap32 {
  readonly format: Bitmap32Format;
}

export interface LzDecodeOptions {
  /** Largest width*height accepted; default 2^28. */
  readonly maxPixels?: number;
}

export const DEFAULT_MAX_PIXELS = 2 ** 28;

/** How a pass's literals look and where its pixels go. */
const enum Pass {
  /** 3 bytes B,G,R (RGB24 and RGB32 streams are alike). */
  Bgr,
  /** 2 bytes, a big-endian x1r5g5b5 word, widened to 8 bits a channel. */
  Rgb16,
  /** 1 byte into the 4th byte of each pixel. */
  Alpha,
}

const enum Fail {
  Truncated = -1,
  LiteralOverrun = -2,
  MatchOverrun = -3,
  MatchBeforeStart = -4,
}

const failMessage: Record<Fail, string> = {
  [Fail.Truncated]: 'lz: stream truncated',
  [Fail.LiteralOverrun]: 'lz: literal run past the end of the image',
  [Fail.MatchOverrun]: 'lz: match past the end of the image',
  [Fail.MatchBeforeStart]: 'lz: match distance before the start of the image',
};

/**
 * Decodes an LZ_RGB payload (header + stream) of type RGB32, RGBA, RGB24 or RGB16. Like
 * spice-gtk, it requires stride == width * bytes-per-pixel and that the stream ends exactly
 * where the last pass does. A bottom-up stream comes out top-down.
 */
export function decodeLz(data: Uint8Array, options: LzDecodeOptions = {}): Decoded<LzImage> {
  const words = readHeaderWords(data);
  if (!words) return decodeError('lz: truncated header');
  if (words.magic !== LZ_MAGIC) return decodeError(`lz: bad magic 0x${words.magic.toString(16)}`);
  if (words.version !== LZ_VERSION) return decodeError(`lz: unsupported version 0x${words.version.toString(16)}`);
  const { type, width, height, stride, topDown } = words.header;
  const passes = passesOf(type);
  if (!passes) return decodeError(`lz: unsupported image type ${type}`);
  if (width === 0 || height === 0) return decodeError(`lz: empty image ${width}x${height}`);
  const n = width * height;
  if (n > (options.maxPixels ?? DEFAULT_MAX_PIXELS)) return decodeError(`lz: image ${width}x${height} exceeds the size limit`);
  if (stride !== width * RGB_BYTES_PER_PIXEL[type as LzImageType]!)
    return decodeError(`lz: stride ${stride} does not match width ${width} for type ${type}`);
  // No code covers more than 255 pixels a byte: refuse to allocate for what cannot be there.
  if (n * passes.length > (data.length - LZ_HEADER_SIZE) * 255) return decodeError(`lz: stream too short for a ${width}x${height} image`);

  const pixels = new Uint8Array(n * 4);
  let pos = LZ_HEADER_SIZE;
  for (const pass of passes) {
    pos = decodePass(data, pos, pixels, n, pass);
    if (pos < 0) return decodeError(failMessage[pos as Fail]);
  }
  if (pos !== data.length) return decodeError(`lz: ${data.length - pos} trailing bytes after the stream`);
  if (topDown === 0) flipRows(pixels, width * 4, height);
  const format: Bitmap32Format = type === LzImageType.RGBA || type === LzImageType.XXXA ? 'rgba' : 'rgb32';
  return { ok: true, value: { width, height, stride: width * 4, pixels, format } };
}

function passesOf(type: number): readonly Pass[] | null {
  switch (type) {
    case LzImageType.RGB32:
    case LzImageType.RGB24:
      return [Pass.Bgr];
    case LzImageType.RGBA:
      return [Pass.Bgr, Pass.Alpha];
    // JPEG_ALPHA's alpha plane: B,G,R left 0 for the JPEG to fill.
    case LzImageType.XXXA:
      return [Pass.Alpha];
    case LzImageType.RGB16:
      return [Pass.Rgb16];
    default:
      return null;
  }
}

const lengthBias: Record<Pass, number> = {
  [Pass.Bgr]: MATCH_LENGTH_BIAS.rgb,
  [Pass.Rgb16]: MATCH_LENGTH_BIAS.rgb16,
  [Pass.Alpha]: MATCH_LENGTH_BIAS.alpha,
};
const literalBytes: Record<Pass, number> = { [Pass.Bgr]: 3, [Pass.Rgb16]: 2, [Pass.Alpha]: 1 };

/** Decodes one pass of n pixels from `ip`; returns where it ended, or a Fail code. */
function decodePass(data: Uint8Array, ip: number, out: Uint8Array, n: number, pass: Pass): number {
  const end = data.length;
  const out32 = new Uint32Array(out.buffer, out.byteOffset, n);
  const bias = lengthBias[pass];
  const litBytes = literalBytes[pass];
  let op = 0;
  while (op < n) {
    if (ip >= end) return Fail.Truncated;
    const ctrl = data[ip++]!;
    if (ctrl < MAX_COPY) {
      const count = ctrl + 1;
      if (op + count > n) return Fail.LiteralOverrun;
      if (ip + count * litBytes > end) return Fail.Truncated;
      ip = copyLiterals(data, ip, out, op, count, pass);
      op += count;
      continue;
    }
    let field = ctrl >>> 5;
    const high = ctrl & 31;
    if (field === LEN_ESCAPE) {
      let code: number;
      do {
        if (ip >= end) return Fail.Truncated;
        code = data[ip++]!;
        field += code;
      } while (code === 255);
    }
    if (ip >= end) return Fail.Truncated;
    const low = data[ip++]!;
    let biased = (high << 8) | low;
    if (biased === ((31 << 8) | 255)) {
      if (ip + 2 > end) return Fail.Truncated;
      biased = ((data[ip]! << 8) | data[ip + 1]!) + MAX_DISTANCE;
      ip += 2;
    }
    const count = field + bias;
    const dist = biased + 1;
    if (dist > op) return Fail.MatchBeforeStart;
    if (op + count > n) return Fail.MatchOverrun;
    if (pass === Pass.Alpha) {
      for (let o = op * 4 + 3, last = o + count * 4, d = dist * 4; o < last; o += 4) out[o] = out[o - d]!;
    } else if (dist === 1) {
      out32.fill(out32[op - 1]!, op, op + count);
    } else if (dist >= count) {
      out32.copyWithin(op, op - dist, op - dist + count);
    } else {
      // Overlapping: each pixel may be one this match just wrote.
      for (let o = op, last = op + count; o < last; o++) out32[o] = out32[o - dist]!;
    }
    op += count;
  }
  return ip;
}

function copyLiterals(data: Uint8Array, ip: number, out: Uint8Array, op: number, count: number, pass: Pass): number {
  let o = op * 4;
  const last = o + count * 4;
  switch (pass) {
    case Pass.Bgr:
      for (; o < last; o += 4, ip += 3) {
        out[o] = data[ip]!;
        out[o + 1] = data[ip + 1]!;
        out[o + 2] = data[ip + 2]!;
      }
      return ip;
    case Pass.Alpha:
      for (o += 3; o < last; o += 4) out[o] = data[ip++]!;
      return ip;
    case Pass.Rgb16:
      for (; o < last; o += 4, ip += 2) {
        const w = (data[ip]! << 8) | data[ip + 1]!;
        const r = (w >>> 10) & 31;
        const g = (w >>> 5) & 31;
        const b = w & 31;
        out[o] = (b << 3) | (b >>> 2);
        out[o + 1] = (g << 3) | (g >>> 2);
        out[o + 2] = (r << 3) | (r >>> 2);
      }
      return ip;
  }
}

function flipRows(pixels: Uint8Array, rowBytes: number, height: number): void {
  const tmp = new Uint8Array(rowBytes);
  for (let top = 0, bottom = height - 1; top < bottom; top++, bottom--) {
    const a = top * rowBytes;
    const b = bottom * rowBytes;
    tmp.set(pixels.subarray(a, a + rowBytes));
    pixels.copyWithin(a, b, b + rowBytes);
    pixels.set(tmp, b);
  }
}
