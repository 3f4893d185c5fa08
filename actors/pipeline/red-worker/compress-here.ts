import type { Bitmap32 } from '../../../codecs/image/bitmap.js';
import { compressJob } from '../../../codecs/image/compress.js';
import type { Compressed, EncodingRequest } from '../../../codecs/image/compress-job.js';

/**
 * Images up to this many pixels are compressed on the red-worker's own thread, not in the pool.
 * The pool's trip (this thread → the pool's thread → a compressor thread and back: four thread
 * wake-ups and as many message codings) costs more than encoding such an image: 64x64 took 15–125
 * µs of CPU here (LZ to QUIC on the corpus), 128x128 44–392 µs. An idle guest's only update, its
 * 16x16 latency marker, then wakes two threads fewer.
 */
export const herePixels = 64 * 64;

/** Whether a snapshot is compressed here rather than in the pool. */
export const compressesHere = (b: Bitmap32): boolean => b.width * b.height <= herePixels;

/** Compresses a snapshot on this thread, as a pool thread would. Throws on a bad request. */
export function compressHere(b: Bitmap32, request: EncodingRequest): Compressed {
  const job = { pixels: b.pixels.buffer, byteOffset: b.pixels.byteOffset, width: b.width, height: b.height, stride: b.stride };
  return compressJob({ ...job, format: 'rgb32', ...request }).result;
}
