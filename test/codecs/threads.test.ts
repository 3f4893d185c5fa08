import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import test from 'ava';
import type { Bitmap32 } from '../../codecs/image/bitmap.js';
import { imageEncoders } from '../../codecs/image/encoders.js';
import { corpus } from '../../codecs/image/fixtures/corpus.js';
import { noise } from '../helpers/images.js';

// The encoders are C++ in the native addon, loaded by each thread that uses them, with scratch
// memory per thread: several threads encoding at once must each get what one thread alone gets.

function shared(bitmap: Bitmap32): Bitmap32 {
  const pixels = new Uint8Array(new SharedArrayBuffer(bitmap.pixels.length));
  pixels.set(bitmap.pixels);
  return { ...bitmap, pixels };
}

function digests(bitmaps: readonly Bitmap32[]): string[] {
  return bitmaps.flatMap((bitmap) =>
    Object.values(imageEncoders).flatMap((encode) =>
      (['rgb32', 'rgba'] as const).map((format) => createHash('sha256').update(encode(bitmap, format)).digest('hex')),
    ),
  );
}

function inWorker(bitmaps: readonly Bitmap32[], rounds: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./fixtures/encode-worker.js', import.meta.url), { workerData: { bitmaps, rounds } });
    worker.once('message', (d: string[]) => resolve(d));
    worker.once('error', reject);
  });
}

test('threads encoding at once get the bytes one thread gets', async (t) => {
  // Different sizes in each thread, so that every thread's scratch grows and shrinks in its own way.
  const images = corpus().map((i) => shared(i.bitmap));
  const sets = [images, [...images].reverse(), [shared(noise(333, 77, 5)), ...images.slice(0, 2)]];
  const answers = await Promise.all(sets.map((set) => inWorker(set, 2)));
  sets.forEach((set, k) => t.deepEqual(answers[k], digests(set), `thread ${k}`));
});
