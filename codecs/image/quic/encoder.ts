import { quicEncode } from '../../../native/index.js';
import type { Bitmap32, Bitmap32Format } from '../bitmap.js';
import { QUIC_MAX_PIXELS } from './format.js';

/**
 * Compresses a 32-bit bitmap to a QUIC stream: the bytes that follow `u32 data_size` in a
 * SpiceImage of type QUIC, a multiple of 4 long, the same bytes spice-common's quic.c writes.
 * rgb32 becomes type RGB32 (the 4th byte is not sent), rgba becomes type RGBA (alpha coded as
 * its own plane after each row's colour). The coder is C++ (encoder.cc beside this file, built
 * into the native addon); it walks the image as plane-walker.ts does for the decoder.
 * Throws RangeError on a bitmap that breaks its own invariants (a caller bug, not input).
 */
export function encodeQuic(bitmap: Bitmap32, format: Bitmap32Format): Uint8Array {
  const { width, height, stride, pixels } = bitmap;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`quic: cannot encode a ${width}x${height} bitmap`);
  }
  if (width * height > QUIC_MAX_PIXELS) throw new RangeError(`quic: ${width}x${height} is over the QUIC size limit`);
  if (!Number.isInteger(stride) || stride < width * 4) throw new RangeError(`quic: stride ${stride} < width * 4`);
  if (pixels.length < stride * (height - 1) + width * 4) throw new RangeError('quic: pixel buffer shorter than the bitmap');
  return quicEncode(pixels, width, height, stride, format === 'rgba');
}
