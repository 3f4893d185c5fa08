import type { Bitmap32 } from './bitmap.js';

/** B,G,R of a 32-bit pixel read as a little-endian word: the 4th byte is not shown (32BIT) and hosts leave anything there. */
export const rgbMask = 0xffffff;

/** The bitmap's pixels as 32-bit words, in place (a row is `stride / 4` words); null when its memory is not word-aligned. */
export function words(b: Bitmap32): Uint32Array | null {
  const p = b.pixels;
  if (p.byteOffset % 4 !== 0 || b.stride % 4 !== 0) return null;
  return new Uint32Array(p.buffer, p.byteOffset, p.byteLength >>> 2);
}
