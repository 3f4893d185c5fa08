import { lzEncode } from '../../../native/index.js';
import type { Bitmap32, Bitmap32Format } from '../bitmap.js';

/**
 * SPICE LZ encoder: a bitmap as an LZ_RGB payload (header + stream) that spice-gtk's
 * `lz_decompress_tmpl.c` and spice-html5's `lz.js` decode. 'rgb32' becomes type RGB32 (B,G,R
 * literals, the 4th byte dropped); 'rgba' becomes type RGBA: the same pass, then an alpha pass.
 * The match finder is C++ (encoder.cc beside this file, built into the native addon), which
 * reads the rows in place; the result owns its buffer.
 */
export function encodeLz(bitmap: Bitmap32, format: Bitmap32Format): Uint8Array {
  const { width, height, stride, pixels } = bitmap;
  if (!(Number.isInteger(width) && Number.isInteger(height) && Number.isInteger(stride))) {
    throw new RangeError(`encodeLz: bad bitmap ${width}x${height} stride ${stride}`);
  }
  if (!(width >= 1 && height >= 1 && stride >= width * 4 && pixels.length >= stride * (height - 1) + width * 4)) {
    throw new RangeError(`encodeLz: bad bitmap ${width}x${height} stride ${stride} (${pixels.length} bytes)`);
  }
  if (width * height * 4 > MAX_IMAGE_BYTES) throw new RangeError(`encodeLz: ${width}x${height} is larger than SPICE clients decode`);
  return lzEncode(pixels, width, height, stride, format === 'rgba');
}

/** spice-common's decoder refuses stride*height above this (SPICE_MAX_IMAGE_SIZE). */
const MAX_IMAGE_BYTES = 2 ** 30 - 1;
