import test from 'ava';
import { CompressorPool, maxStreamsPerSource, PoolFullError } from '../../actors/pipeline/compressor-pool/pool.js';
import type { Bitmap32 } from '../../codecs/image/bitmap.js';
import { type CompressJob, jobPriority, type StreamFrame } from '../../codecs/image/compress-job.js';
import { gradient, noise } from '../helpers/images.js';
import { inOwnBuffer, inSharedMemory } from './shared-bitmap.js';

const job = (bitmap: Bitmap32): CompressJob => ({ ...inSharedMemory(bitmap, 'rgb32'), encoding: 'lz' });

/** Runs `jobs` on a one-thread pool, the first keeping the thread busy while the others queue: their labels in the order they finished. */
async function finishOrder(jobs: readonly { label: string; source: number; bitmap: Bitmap32 }[]): Promise<string[]> {
  const pool = new CompressorPool({ threads: 1, maxQueue: jobs.length });
  try {
    const order: string[] = [];
    // Submitted in one turn: the thread answers the first only after every other is queued.
    await Promise.all(jobs.map(({ label, source, bitmap }) => pool.compress(job(bitmap), { source }).then(() => order.push(label))));
    return order;
  } finally {
    await pool.close();
  }
}

test('priority is by size, as the rule says: cursor-sized, then up to 256x256, then larger', (t) => {
  t.is(jobPriority(64, 64), 0);
  t.is(jobPriority(65, 64), 1);
  t.is(jobPriority(256, 256), 1);
  t.is(jobPriority(1920, 135), 2);
});

test('a small update waiting behind the bands of a large one, from another display, runs first', async (t) => {
  const band = noise(480, 200, 1);
  const order = await finishOrder([
    { label: 'busy', source: 0, bitmap: band },
    { label: 'band 1', source: 0, bitmap: band },
    { label: 'band 2', source: 0, bitmap: band },
    { label: 'text', source: 1, bitmap: gradient(400, 20) },
    { label: 'cursor', source: 1, bitmap: gradient(32, 32) },
  ]);
  t.deepEqual(order, ['busy', 'cursor', 'text', 'band 1', 'band 2']);
});

test('busy displays take turns on the pool (a fair share), whichever queued first', async (t) => {
  const image = noise(300, 300, 2);
  const a = ['busy', 'a1', 'a2', 'a3', 'a4', 'a5'].map((label) => ({ label, source: 0, bitmap: image }));
  const b = ['b1', 'b2', 'b3'].map((label) => ({ label, source: 1, bitmap: image }));
  t.deepEqual(await finishOrder([...a, ...b]), ['busy', 'b1', 'a1', 'b2', 'a2', 'b3', 'a3', 'a4', 'a5']);
});

test("each display's share is bounded on its own: one display full does not refuse another", async (t) => {
  const pool = new CompressorPool({ threads: 1, maxQueue: 1 });
  try {
    const j = job(noise(200, 200, 3));
    const accepted = [pool.compress(j, { source: 0 }), pool.compress(j, { source: 0 })];
    t.true(pool.full(0));
    await t.throwsAsync(pool.compress(j, { source: 0 }), { instanceOf: PoolFullError });
    t.false(pool.full(1));
    accepted.push(pool.compress(j, { source: 1 }));
    t.is((await Promise.all(accepted)).length, 3);
  } finally {
    await pool.close();
  }
});

/** Adler-32 over the pixel bytes of each row of every frame so far, as the checksum stream encoder keeps it. */
function adler(frames: readonly Bitmap32[]): number {
  let a = 1;
  let b = 0;
  for (const f of frames)
    for (let y = 0; y < f.height; y++)
      for (const byte of f.pixels.subarray(y * f.stride, y * f.stride + f.width * 4)) {
        a = (a + byte) % 65521;
        b = (b + a) % 65521;
      }
  return ((b << 16) | a) >>> 0;
}

const frame = (bitmap: Bitmap32): StreamFrame => ({ ...inSharedMemory(bitmap, 'rgb32'), codec: 'checksum' });
const decoded = (data: Uint8Array) => {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return { frames: view.getUint32(0, true), checksum: view.getUint32(4, true) };
};

test("a stream's frames run in order on one thread, its state made by the first and kept until closed; streams spread over the threads", async (t) => {
  const pool = new CompressorPool({ threads: 2, maxQueue: 40 });
  try {
    const streams = [
      { source: 0, stream: 1 },
      { source: 0, stream: 2 },
      { source: 1, stream: 1 },
      { source: 1, stream: 7 },
    ];
    const frames = streams.map((_, s) => Array.from({ length: 5 }, (_, i) => noise(40 + s, 30, 100 * s + i)));
    // Interleaved, all in flight at once, among image jobs competing for the same threads.
    const pending = [];
    for (let i = 0; i < 5; i++) {
      for (const [s, { source, stream }] of streams.entries()) pending.push(pool.encodeFrame(stream, frame(frames[s]![i]!), { source }));
      pending.push(pool.compress(job(noise(100, 100, i)), { source: 2 }));
    }
    const results = await Promise.all(pending);
    for (const [s, { source, stream }] of streams.entries()) {
      const got = Array.from({ length: 5 }, (_, i) => decoded((results[i * 5 + s] as { data: Uint8Array }).data));
      // A frame run on another thread, or out of order, would restart the count or change the sum.
      t.deepEqual(
        got,
        frames[s]!.map((_, i) => ({ frames: i + 1, checksum: adler(frames[s]!.slice(0, i + 1)) })),
        `stream ${stream} of source ${source}`,
      );
    }
    t.is(pool.threadIds.length, 2, 'a second thread started for the streams');
    t.true(
      [...pool.jobsByThread.values()].every((n) => n >= 10),
      `jobs by thread: ${[...pool.jobsByThread.values()].join(', ')}`,
    );

    // Closed, the stream's state is gone: its next frame starts afresh. Another stream is untouched.
    await pool.closeStream(1, 0);
    t.deepEqual(decoded((await pool.encodeFrame(1, frame(frames[0]![0]!), { source: 0 })).data), {
      frames: 1,
      checksum: adler([frames[0]![0]!]),
    });
    t.is(decoded((await pool.encodeFrame(2, frame(frames[1]![0]!), { source: 0 })).data).frames, 6);
    await pool.closeStream(99, 0); // never opened: nothing to drop
  } finally {
    await pool.close();
  }
});

test('a stream frame must be in shared memory; a source holds a bounded number of streams; a bad frame fails alone', async (t) => {
  const pool = new CompressorPool({ threads: 1, maxQueue: 64 });
  try {
    const tiny = gradient(4, 4);
    await t.throwsAsync(pool.encodeFrame(0, { ...inOwnBuffer(tiny, 'rgb32'), codec: 'checksum' }), { message: /shared memory/ });
    await Promise.all(Array.from({ length: maxStreamsPerSource }, (_, s) => pool.encodeFrame(s, frame(tiny), { source: 3 })));
    await t.throwsAsync(pool.encodeFrame(maxStreamsPerSource, frame(tiny), { source: 3 }), { instanceOf: PoolFullError });
    t.is(decoded((await pool.encodeFrame(0, frame(tiny), { source: 3 })).data).frames, 2, 'an open stream still takes frames');
    await pool.closeStream(0, 3);
    await pool.encodeFrame(maxStreamsPerSource, frame(tiny), { source: 3 });
    await t.throwsAsync(pool.encodeFrame(40, { ...frame(tiny), codec: 'vp9' as 'checksum' }, { source: 4 }), {
      message: /^compressor-pool: bad job: unknown stream codec vp9/,
    });
    await t.throwsAsync(pool.encodeFrame(41, { ...frame(tiny), stride: 2 }, { source: 4 }), { message: /stride 2 < width/ });
    t.is(decoded((await pool.encodeFrame(40, { ...frame(tiny) }, { source: 4 })).data).frames, 1, 'the same thread serves on');
  } finally {
    await pool.close();
  }
});
