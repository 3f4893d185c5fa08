import { glzEncode } from '../../../native/index.js';
import type { Bitmap32 } from '../bitmap.js';
import { checkEncodable } from '../encodable.js';
import { type GlzDictionary, withLock } from './dictionary.js';

/**
 * SPICE GLZ encoder: an RGB32 bitmap as a GLZ_RGB payload (format.ts) against a client's
 * dictionary, which takes it as its next image; spice-gtk's decode-glz.c decodes it. The match
 * finder is C++ (encoder.cc beside this file, built into the native addon) and runs holding the
 * dictionary's lock. Every image encoded here must reach the client, in id order on its
 * channel: the client waits for an id it has not seen, and a skipped one stays a gap.
 */
export function encodeGlz(dictionary: GlzDictionary, bitmap: Bitmap32): Uint8Array {
  checkEncodable('encodeGlz', bitmap);
  const memory = new Uint8Array(dictionary.memory);
  return withLock(dictionary, () => glzEncode(memory, bitmap.pixels, bitmap.width, bitmap.height, bitmap.stride));
}
