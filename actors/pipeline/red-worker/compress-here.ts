import type { Bitmap32 } from '../../../codecs/image/bitmap.js';
import { compressJob } from '../../../codecs/image/compress.js';
import type { Compressed, EncodingRequest } from '../../../codecs/image/compress-job.js';

/**
 * Images up to this many pixels are compressed on the red-worker's own thread, not in the pool.
 * The pool's trip (this thread → the pool's thread → a compressor thread and back: four thread
 * wake-ups and as many message codings, ~40 µs of CPU each when busy, hundreds when idle) costs
 * more CPU than encoding such an image here: 256x256 crops of the corpus took ~100-125 µs by LZ
 * and 0.7-1.1 ms by QUIC (photos), 64x64 11-96 µs. The pool is for what gains from every core: a
 * large update's bands (`bands.ts`, 256 Ki pixels each) and video frames. On the desktop
 * workload (windows of up to 300x200 moved, their changed parts as images) the pool's two
 * threads then stay asleep: 1.0-2.9 % of a core less.
 */
export const herePixels = 256 * 256;

/** Whether a snapshot is compressed here rather than in the pool. */
export const compressesHere = (b: Bitmap32): boolean => b.width * b.height <= herePixels;

/** Compresses a snapshot on this thread, as a pool thread would. Throws on a bad request. */
export function compressHere(b: Bitmap32, request: EncodingRequest): Compressed {
  const job = { pixels: b.pixels.buffer, byteOffset: b.pixels.byteOffset, width: b.width, height: b.height, stride: b.stride };
  return compressJob({ ...job, format: 'rgb32', ...request }).result;
}
