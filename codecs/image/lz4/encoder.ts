import { lz4Encode } from '../../../native/index.js';
import type { Bitmap32, Bitmap32Format } from '../bitmap.js';
import { checkEncodable } from '../encodable.js';

/**
 * SPICE LZ4 encoder: a bitmap as an LZ4 image (format.ts) that spice-gtk's `canvas_get_lz4`
 * decodes: 'rgb32' as 32BIT, 'rgba' as RGBA, rows top-down. Compressed by Debian's liblz4 in
 * C++ (encoder.cc beside this file, built into the native addon), which reads the rows in
 * place; the result owns its buffer.
 */
export function encodeLz4(bitmap: Bitmap32, format: Bitmap32Format): Uint8Array {
  checkEncodable('encodeLz4', bitmap);
  return lz4Encode(bitmap.pixels, bitmap.width, bitmap.height, bitmap.stride, format === 'rgba');
}
