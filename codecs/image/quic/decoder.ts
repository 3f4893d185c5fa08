import { decodeError, type Bitmap32, type Bitmap32Format, type Decoded } from '../bitmap.js';
import { QuicBitReader } from './bit-reader.js';
import { QuicImageType, QUIC_MAX_PIXELS, readHeader } from './format.js';
import { PlaneDecoder } from './plane-decoder.js';
import { ALPHA, RGB } from './plane-walker.js';

export interface QuicDecodeOptions {
  /** Largest image accepted, in pixels (default 2^26, 256 MiB of output; at most QUIC's 512 Mi - 1). */
  readonly maxPixels?: number;
}

const DEFAULT_MAX_PIXELS = 2 ** 26;
const HEADER_BITS = 5 * 32;

/**
 * Decodes a QUIC stream (the bytes after `u32 data_size` in a SpiceImage of type QUIC) of type
 * RGB32, RGB24 (same bitstream) or RGBA into a top-down bitmap, stride width * 4. RGB32 and
 * RGB24 give format rgb32 with the 4th byte 0, RGBA gives rgba. GRAY and RGB16 (spice-server
 * sends RGB16 only for 16-bit bitmaps) are refused. Malformed input gives an error value.
 */
export function decodeQuic(bytes: Uint8Array, options: QuicDecodeOptions = {}): Decoded<{ bitmap: Bitmap32; format: Bitmap32Format }> {
  const reader = new QuicBitReader(bytes);
  const header = readHeader(reader);
  if (!header.ok) return header;
  const { type, width, height } = header.value;
  if (type === QuicImageType.GRAY || type === QuicImageType.RGB16) {
    return decodeError(`quic: image type ${type} is not decoded to 32-bit pixels`);
  }
  const maxPixels = Math.min(options.maxPixels ?? DEFAULT_MAX_PIXELS, QUIC_MAX_PIXELS);
  if (width * height > maxPixels) return decodeError(`quic: ${width}x${height} is over the ${maxPixels}-pixel limit`);
  const alpha = type === QuicImageType.RGBA;
  // Every pixel of row 0 and the first 3 of later rows are coded (runs start at x >= 3), each
  // channel in at least one bit: a shorter stream is truncated, refused before allocating.
  const minBits = HEADER_BITS + (alpha ? 4 : 3) * (width + (height - 1) * Math.min(width, 3));
  if ((bytes.length >>> 2) * 32 < minBits) return decodeError('quic: stream too short for its image size');

  const stride = width * 4;
  let pixels: Uint8Array;
  try {
    pixels = new Uint8Array(stride * height);
  } catch {
    return decodeError(`quic: no memory for a ${width}x${height} image`);
  }
  const colour = new PlaneDecoder(pixels, width, RGB, reader);
  const opacity = alpha ? new PlaneDecoder(pixels, width, ALPHA, reader) : undefined;
  for (let y = 0, row = 0; y < height; y++, row += stride) {
    const above = y === 0 ? -1 : row - stride;
    colour.walkRow(row, above);
    opacity?.walkRow(row, above);
    if (colour.corrupt || opacity?.corrupt) return decodeError(`quic: run past the end of row ${y}`);
    if (reader.overrun) return decodeError(`quic: stream truncated in row ${y}`);
  }
  return { ok: true, value: { bitmap: { width, height, stride, pixels }, format: alpha ? 'rgba' : 'rgb32' } };
}
