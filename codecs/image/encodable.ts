import type { Bitmap32 } from './bitmap.js';

/** spice-common's decoders refuse stride*height above this (SPICE_MAX_IMAGE_SIZE). */
const MAX_IMAGE_BYTES = 2 ** 30 - 1;

/**
 * Throws RangeError unless `bitmap` keeps its own invariants and a SPICE client would decode its
 * size: what the C++ encoders take for granted (a failure is a caller bug, not input).
 */
export function checkEncodable(who: string, bitmap: Bitmap32): void {
  const { width, height, stride, pixels } = bitmap;
  if (!(Number.isInteger(width) && Number.isInteger(height) && Number.isInteger(stride))) {
    throw new RangeError(`${who}: bad bitmap ${width}x${height} stride ${stride}`);
  }
  if (!(width >= 1 && height >= 1 && stride >= width * 4 && pixels.length >= stride * (height - 1) + width * 4)) {
    throw new RangeError(`${who}: bad bitmap ${width}x${height} stride ${stride} (${pixels.length} bytes)`);
  }
  if (width * height * 4 > MAX_IMAGE_BYTES) throw new RangeError(`${who}: ${width}x${height} is larger than SPICE clients decode`);
}
