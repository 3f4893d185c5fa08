import { lzEncode } from '../../../native/index.js';
import type { Bitmap32, Bitmap32Format } from '../bitmap.js';
import { checkEncodable } from '../encodable.js';

/**
 * SPICE LZ encoder: a bitmap as an LZ_RGB payload (header + stream) that spice-gtk's
 * `lz_decompress_tmpl.c` and spice-html5's `lz.js` decode. 'rgb32' becomes type RGB32 (B,G,R
 * literals, the 4th byte dropped); 'rgba' becomes type RGBA: the same pass, then an alpha pass.
 * The match finder is C++ (encoder.cc beside this file, built into the native addon), which
 * reads the rows in place; the result owns its buffer.
 */
export function encodeLz(bitmap: Bitmap32, format: Bitmap32Format): Uint8Array {
  checkEncodable('encodeLz', bitmap);
  return lzEncode(bitmap.pixels, bitmap.width, bitmap.height, bitmap.stride, format === 'rgba');
}
