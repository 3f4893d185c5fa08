import type { Bitmap32 } from '../../../codecs/image/bitmap.js';
import { compressJob } from '../../../codecs/image/compress.js';
import type { Compressed, EncodingRequest } from '../../../codecs/image/compress-job.js';

/**
 * Images up to this many pixels (half a band) are compressed on the red-worker's own thread, not
 * in the pool. On this design's CPU budget the pool's trip (this thread → the pool's thread → a
 * compressor thread and back: four thread wake-ups and as many message codings, tens of µs of
 * CPU each when busy, hundreds when the threads slept, as a 25 fps video's do between frames)
 * costs about what encoding such an image here costs: 256x256 crops of the corpus took ~0.1 ms by
 * LZ and 0.7-1.1 ms by QUIC (photos). The pool is for what gains from every core: a large
 * update's bands (`bands.ts`, 256 Ki pixels each, compressed at once) and stream frames.
 */
export const herePixels = 128 * 1024;

/** Whether a snapshot is compressed here rather than in the pool. */
export const compressesHere = (b: Bitmap32): boolean => b.width * b.height <= herePixels;

/** Compresses a snapshot on this thread, as a pool thread would. Throws on a bad request. */
export function compressHere(b: Bitmap32, request: EncodingRequest): Compressed {
  const job = { pixels: b.pixels.buffer, byteOffset: b.pixels.byteOffset, width: b.width, height: b.height, stride: b.stride };
  return compressJob({ ...job, format: 'rgb32', ...request }).result;
}
