import test, { type ExecutionContext } from 'ava';
import type { Compressed, CompressJob } from '../../codecs/image/compress-job.js';
import { CompressorPool, PoolFullError } from '../../actors/pipeline/compressor-pool/pool.js';
import type { Bitmap32, Bitmap32Format } from '../../codecs/image/bitmap.js';
import { chooseImageEncoding, type ImageCompressionMode, type ImageEncoding } from '../../codecs/image/choose.js';
import { imageEncoders } from '../../codecs/image/encoders.js';
import { gradualityLevel } from '../../codecs/image/graduality.js';
import { decodeLz } from '../../codecs/image/lz/decoder.js';
import { corpus } from '../../codecs/image/fixtures/corpus.js';
import { gradient, makeBitmap, noise, packed, solid } from '../helpers/images.js';
import { inOwnBuffer, inSharedMemory, rows } from './shared-bitmap.js';

const images = corpus();

/** The result's bytes decode (LZ) to exactly the bitmap's pixels. */
function decodesTo(t: ExecutionContext, result: Compressed, bitmap: Bitmap32, format: Bitmap32Format, label: string): void {
  if (result.encoding !== 'lz') return t.fail(`${label}: ${result.encoding} is not decodable here`);
  const decoded = decodeLz(result.data);
  if (!decoded.ok) return t.fail(`${label}: ${decoded.error}`);
  const { width, height, pixels } = decoded.value;
  t.deepEqual([width, height], [bitmap.width, bitmap.height], label);
  t.is(Buffer.compare(Buffer.from(pixels), Buffer.from(packed(bitmap, format))), 0, `${label}: pixels differ`);
}

/** What the pool should answer for an encoding choice: no encoder here means LZ (auto only), no gain means raw. */
function expectedEncoding(chosen: ImageEncoding, bitmap: Bitmap32, format: Bitmap32Format): ImageEncoding {
  if (chosen === 'raw') return 'raw';
  const encode = imageEncoders[chosen] ?? imageEncoders.lz;
  return encode(bitmap, format).byteLength < bitmap.height * bitmap.stride ? (imageEncoders[chosen] ? chosen : 'lz') : 'raw';
}

test('corpus images go through the pool from shared memory and decode back exactly', async (t) => {
  const pool = new CompressorPool({ threads: 2, maxQueue: images.length });
  try {
    const jobs = images.map(({ name, bitmap }, i) => {
      const format: Bitmap32Format = i === 0 ? 'rgba' : 'rgb32';
      // Odd offsets: the pool reads the view where it starts, not from the buffer's start.
      return { name, bitmap, format, job: { ...inSharedMemory(bitmap, format, 4 * i + 12), encoding: 'lz' } satisfies CompressJob };
    });
    const results = await Promise.all(jobs.map(({ job }) => pool.compress(job)));
    jobs.forEach(({ name, bitmap, format }, i) => {
      const result = results[i]!;
      t.is(result.chosen, 'lz', name);
      t.is(result.pixels, undefined, `${name}: shared memory never leaves, so nothing is handed back`);
      if (result.encoding === 'raw')
        t.true(imageEncoders.lz(bitmap, format).byteLength >= bitmap.height * bitmap.stride, `${name} went raw`);
      else decodesTo(t, result, bitmap, format, name);
    });
    t.is(pool.counts.completed, images.length);
  } finally {
    await pool.close();
  }
});

test("'auto' picks what choose.ts picks, and returns the graduality it used", async (t) => {
  const samples: [string, Bitmap32][] = [
    ['gradient', gradient(64, 48)],
    ['solid', solid(40, 30)],
    ['stripes', makeBitmap(50, 20, (x) => (x % 8 < 4 ? [0, 0, 0, 255] : [255, 255, 255, 255]))],
    ['3x3 (too small to compress)', solid(3, 3)],
    ['2x40 (too narrow for QUIC)', gradient(2, 40)],
    ['padded rows', noise(20, 20, 7, 12)],
    ...images.slice(0, 3).map(({ name, bitmap }): [string, Bitmap32] => [`${name} rows 300..364`, rows(bitmap, 300, 64)]),
  ];
  const modes: ImageCompressionMode[] = ['auto_glz', 'auto_lz', 'quic', 'glz', 'lz', 'lz4', 'off'];
  const pool = new CompressorPool({ threads: 2, maxQueue: samples.length * modes.length * 2 });
  try {
    const cases = samples.flatMap(([name, bitmap]) =>
      modes.flatMap((mode) =>
        [false, true].map((clientHasLz4) => ({ name: `${name} ${mode} lz4:${clientHasLz4}`, bitmap, mode, clientHasLz4 })),
      ),
    );
    const results = await Promise.all(
      cases.map(({ bitmap, mode, clientHasLz4 }) =>
        pool.compress({ ...inSharedMemory(bitmap, 'rgb32'), encoding: 'auto', mode, clientHasLz4 }),
      ),
    );
    cases.forEach(({ name, bitmap, mode, clientHasLz4 }, i) => {
      const result = results[i]!;
      const chosen = chooseImageEncoding({ mode, bitmap, clientHasLz4 });
      t.is(result.chosen, chosen, name);
      t.is(result.encoding, expectedEncoding(chosen, bitmap, 'rgb32'), name);
      t.is(result.graduality, mode.startsWith('auto') ? gradualityLevel(bitmap) : undefined, name);
      if (result.encoding === 'lz') decodesTo(t, result, bitmap, 'rgb32', name);
    });
    t.true(results.some((r) => r.chosen === 'quic') && results.some((r) => r.chosen === 'lz') && results.some((r) => r.chosen === 'raw'));

    // A graduality the caller already knows is used, not measured again.
    const sharp = samples[2]![1];
    const given = await pool.compress({
      ...inSharedMemory(sharp, 'rgb32'),
      encoding: 'auto',
      mode: 'auto_lz',
      clientHasLz4: false,
      graduality: 'high',
    });
    t.is(gradualityLevel(sharp), 'low', 'precondition: measured, it would be LZ');
    t.is(given.graduality, 'high');
    t.is(given.chosen, 'quic');
  } finally {
    await pool.close();
  }
});

test('an encoding that does not shrink the bitmap falls back to raw, without data', async (t) => {
  const bitmap = noise(64, 64, 3);
  t.true(imageEncoders.lz(bitmap, 'rgba').byteLength >= bitmap.height * bitmap.stride, 'precondition: LZ grows noise with alpha');
  const pool = new CompressorPool({ threads: 1 });
  try {
    const result = await pool.compress({ ...inSharedMemory(bitmap, 'rgba'), encoding: 'lz' });
    t.is(result.encoding, 'raw');
    t.is(result.chosen, 'lz');
    t.false('data' in result);
  } finally {
    await pool.close();
  }
});

test('the pool thread reads the shared memory itself: a change made after compress() shows in the result', async (t) => {
  const pool = new CompressorPool({ threads: 1, maxQueue: 2 });
  try {
    const before = gradient(64, 64);
    const after = makeBitmap(64, 64, (x, y) => [(x * y) & 0xff, 1, 2, 0]);
    const target = inSharedMemory(before, 'rgb32');
    // The only thread is busy with a large job, so the next one cannot start before the owner's
    // next turn of its event loop: the rewrite below, done in this same turn, comes first. A pool
    // that copied the pixels at compress() would encode `before`.
    const busy = pool.compress({ ...inSharedMemory(noise(512, 512, 1), 'rgb32'), encoding: 'lz' });
    const pending = pool.compress({ ...target, encoding: 'lz' });
    new Uint8Array(target.pixels, target.byteOffset).set(after.pixels);
    await busy;
    decodesTo(t, await pending, after, 'rgb32', 'rewritten shared memory');
  } finally {
    await pool.close();
  }
});

test('an ArrayBuffer is moved to the thread (detached here) and handed back with the result', async (t) => {
  const pool = new CompressorPool({ threads: 1 });
  try {
    const bitmap = gradient(80, 60);
    await pool.compress({ ...inSharedMemory(bitmap, 'rgb32'), encoding: 'lz' }); // the thread is up and idle
    const job = { ...inOwnBuffer(bitmap, 'rgb32'), encoding: 'lz' } satisfies CompressJob;
    const bytes = job.pixels.byteLength;
    const pending = pool.compress(job);
    t.is(job.pixels.byteLength, 0, 'detached on the owner side: moved, not copied');
    const result = await pending;
    t.is(result.pixels?.byteLength, bytes);
    t.deepEqual(new Uint8Array(result.pixels!), bitmap.pixels.subarray(0, bytes));
    decodesTo(t, result, bitmap, 'rgb32', 'moved buffer');
  } finally {
    await pool.close();
  }
});

test('beyond threads + maxQueue jobs in flight, compress() refuses; a producer that waits for drained() never exceeds the bound', async (t) => {
  const pool = new CompressorPool({ threads: 1, maxQueue: 2 });
  try {
    t.is(pool.capacity, 3);
    const job = { ...inSharedMemory(noise(192, 192, 5), 'rgb32'), encoding: 'lz' } satisfies CompressJob;
    const accepted = [pool.compress(job), pool.compress(job), pool.compress(job)];
    t.true(pool.full());
    t.true(pool.waiting <= pool.maxQueue);
    await t.throwsAsync(pool.compress(job), { instanceOf: PoolFullError });
    t.is(pool.counts.refused, 1);
    t.is(pool.inFlight(), 3, 'the refused job was not queued');

    await pool.drained();
    t.false(pool.full());
    t.true(pool.inFlight() < pool.capacity);

    // A producer that respects full(): 12 more jobs, the bound checked at every step.
    let peakInFlight = 0;
    let peakWaiting = 0;
    for (let i = 0; i < 12; i++) {
      while (pool.full()) await pool.drained();
      accepted.push(pool.compress(job));
      peakInFlight = Math.max(peakInFlight, pool.inFlight());
      peakWaiting = Math.max(peakWaiting, pool.waiting);
    }
    const results = await Promise.all(accepted);
    t.is(results.length, 15);
    t.true(results.every((r) => r.encoding === 'lz'));
    t.is(peakInFlight, pool.capacity, 'the producer filled the pool');
    t.true(peakWaiting <= pool.maxQueue, `waiting peaked at ${peakWaiting}`);
    t.is(pool.counts.refused, 1);
  } finally {
    await pool.close();
  }
});

test('a bad job rejects alone, with a clear error, and the same threads keep serving', async (t) => {
  const pool = new CompressorPool({ threads: 1, maxQueue: 32 });
  try {
    const good = { ...inSharedMemory(gradient(32, 32), 'rgb32'), encoding: 'lz' } satisfies CompressJob;
    await pool.compress(good);
    const threads = pool.threadIds;
    const missingEncoders = (['quic', 'lz4'] as const).filter((e) => !imageEncoders[e]);
    const bad: [string, unknown, RegExp][] = [
      ['stride too small', { ...good, stride: 100 }, /stride 100 < width \* 4 = 128/],
      ['buffer too short', { ...good, height: 33 }, /needs 4224 bytes, the buffer has 4096/],
      ['offset past the data', { ...good, byteOffset: 8 }, /needs 4104 bytes/],
      ['zero width', { ...good, width: 0 }, /empty image 0x32/],
      ['zero height', { ...good, height: 0 }, /empty image 32x0/],
      ['negative offset', { ...good, byteOffset: -4 }, /byteOffset -4 is not a non-negative integer/],
      ['fractional width', { ...good, width: 1.5 }, /width 1.5/],
      ['a view instead of a buffer', { ...good, pixels: new Uint8Array(4096) }, /must be a SharedArrayBuffer or an ArrayBuffer/],
      ['unknown format', { ...good, format: 'rgb24' }, /unknown format rgb24/],
      ['unknown encoding', { ...good, encoding: 'webp' }, /unknown encoding webp/],
      ['unknown mode', { ...good, encoding: 'auto', mode: 'fast', clientHasLz4: false }, /unknown compression mode fast/],
      ['clientHasLz4 missing', { ...good, encoding: 'auto', mode: 'lz4' }, /clientHasLz4 must be a boolean/],
      ['jpeg not a boolean', { ...good, encoding: 'auto', mode: 'quic', clientHasLz4: false, jpeg: 'yes' }, /jpeg must be a boolean/],
      ...missingEncoders.map((e): [string, unknown, RegExp] => [
        `${e} asked for, no encoder`,
        { ...good, encoding: e },
        new RegExp(`no ${e} encoder`),
      ]),
    ];
    const outcomes = await Promise.allSettled([...bad.map(([, job]) => pool.compress(job as CompressJob)), pool.compress(good)]);
    bad.forEach(([name, , message], i) => {
      const outcome = outcomes[i]!;
      if (outcome.status === 'fulfilled') return t.fail(`${name}: accepted`);
      t.regex(String((outcome.reason as Error).message), /^compressor-pool: bad job: /, name);
      t.regex(String((outcome.reason as Error).message), message, name);
    });
    t.is(outcomes.at(-1)!.status, 'fulfilled', 'the good job queued behind them was served');
    t.is(pool.counts.failed, bad.length);
    t.deepEqual(pool.threadIds, threads, 'no thread died or was replaced');
    t.is((await pool.compress(good)).encoding, 'lz');
  } finally {
    await pool.close();
  }
});

test('each completed job records its stages once', async (t) => {
  const pool = new CompressorPool({ threads: 2 });
  try {
    const job = { ...inSharedMemory(gradient(64, 64), 'rgb32'), encoding: 'lz' } satisfies CompressJob;
    await Promise.all([1, 2, 3, 4, 5].map(() => pool.compress(job)));
    await t.throwsAsync(pool.compress({ ...job, stride: 1 }));
    const { queueWaitUs, encodeUs, roundTripUs } = pool.stages;
    t.deepEqual([queueWaitUs.count, encodeUs.count, roundTripUs.count], [5, 5, 5], 'failed jobs are counted apart');
    t.true(roundTripUs.sum >= encodeUs.sum + queueWaitUs.sum, 'a round trip holds its queue wait and its encode');
  } finally {
    await pool.close();
  }
});
