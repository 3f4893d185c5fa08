import type { Bitmap32 } from '../../../../codecs/image/bitmap.js';
import { words } from '../../../../codecs/image/words.js';
import { nativeContentHash } from '../../../../native/index.js';

/** An image's size and the two halves of a 64-bit hash of its pixels (int32). */
export interface ContentKey {
  readonly width: number;
  readonly height: number;
  readonly h1: number;
  readonly h2: number;
}

const hash = new Int32Array(2);

/**
 * What identifies an image in the pixmap cache: its size and a 64-bit hash of its shown pixels
 * (B,G,R; the 4th byte is not shown; xxHash64's rounds, in the native addon). Hosts over QEMU's
 * D-Bus display give images no identity, so equal content is the same image. A false match would
 * show the wrong pixels; at 64 bits it is not expected in the life of a cache of thousands of
 * images. One read of the pixels, paid for every image sent.
 */
export function contentKey(b: Bitmap32): ContentKey {
  // Snapshots are word-aligned; anything else is read from a copy.
  const w = words(b) ?? new Uint32Array(b.pixels.slice().buffer, 0, b.pixels.byteLength >>> 2);
  nativeContentHash(w, b.stride >>> 2, b.width, b.height, hash);
  return { width: b.width, height: b.height, h1: hash[0]!, h2: hash[1]! };
}
