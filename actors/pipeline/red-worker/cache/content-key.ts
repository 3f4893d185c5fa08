import type { Bitmap32 } from '../../../../codecs/image/bitmap.js';
import { rgbMask, words } from '../../../../codecs/image/words.js';

/** An image's size and the two hashes of its pixels (int32). */
export interface ContentKey {
  readonly width: number;
  readonly height: number;
  readonly h1: number;
  readonly h2: number;
}

/**
 * What identifies an image in the pixmap cache: its size and two 32-bit hashes of its shown
 * pixels (B,G,R; the 4th byte is not shown), one MurmurHash3 lane and one FNV-style lane with
 * other constants. Hosts over QEMU's D-Bus display give images no identity, so equal content is
 * the same image. A false match would show the wrong pixels; at 64 bits it is not expected in
 * the life of a cache of thousands of images. One read of the pixels (about 2-3 ms a megapixel).
 */
export function contentKey(b: Bitmap32): ContentKey {
  // Snapshots are word-aligned; anything else is read from a copy.
  const w = words(b) ?? new Uint32Array(b.pixels.slice().buffer, 0, b.pixels.byteLength >>> 2);
  const stride = b.stride >>> 2;
  let h1 = 0x9747b28c ^ b.width;
  let h2 = 0x811c9dc5 ^ b.height;
  for (let y = 0; y < b.height; y++) {
    for (let i = y * stride, end = i + b.width; i < end; i++) {
      const v = w[i]! & rgbMask;
      let k = Math.imul(v, 0xcc9e2d51);
      k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
      h1 ^= k;
      h1 = (Math.imul((h1 << 13) | (h1 >>> 19), 5) + 0xe6546b64) | 0;
      h2 = Math.imul(h2 ^ v, 0x01000193) ^ (h2 >>> 15);
    }
  }
  return { width: b.width, height: b.height, h1, h2 };
}
