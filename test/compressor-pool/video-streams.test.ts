/**
 * Video stream encoders on the pool: a stream's encoder lives on the thread the stream is bound
 * to, takes rates and key frames with each frame, starts afresh on a new size, and an encoder's
 * error fails that frame only.
 */
import test from 'ava';
import { CompressorPool } from '../../actors/pipeline/compressor-pool/pool.js';
import { readInPlace, type StreamFrame } from '../../codecs/image/compress-job.js';
import { ssim } from '../../codecs/image/ssim.js';
import { createVideoDecoder } from '../../codecs/video/decoder.js';
import type { VideoCodec } from '../../codecs/video/encoder.js';
import { movieFrame } from '../../codecs/video/fixtures/movie.js';
import { inSharedMemory } from './shared-bitmap.js';

type VideoFrame = Extract<StreamFrame, { bitRate: number }>;
const frame = (codec: VideoCodec, width: number, height: number, t: number, keyFrame = false): VideoFrame => ({
  ...inSharedMemory(movieFrame(width, height, t), 'rgb32'),
  codec,
  bitRate: 3_000_000,
  frameRate: 30,
  keyFrame,
});

for (const codec of ['vp8', 'h264', 'mjpeg'] as const) {
  test(`${codec}: a stream's frames encoded on its pool thread decode in order, across a size change`, async (t) => {
    const pool = new CompressorPool({ threads: 2, maxQueue: 10 });
    const decoder = createVideoDecoder(codec);
    try {
      const sizes = [...Array<[number, number]>(6).fill([320, 180]), ...Array<[number, number]>(4).fill([256, 144])];
      // All in flight at once: only the stream's one thread, in order, makes them decodable.
      const encoded = await Promise.all(sizes.map(([w, h], i) => pool.encodeFrame(3, frame(codec, w, h, i / 30, i === 0), { source: 1 })));
      for (const [i, e] of encoded.entries()) {
        const [w, h] = sizes[i]!;
        const picture = decoder.decode(e.data);
        if (!picture.ok) return t.fail(`frame ${i}: ${picture.error}`);
        t.deepEqual([picture.value.width, picture.value.height], [w, h], `frame ${i}`);
        t.true(ssim(picture.value, movieFrame(w, h, i / 30)) > 0.9, `frame ${i}`);
      }
      await pool.closeStream(3, 1);
    } finally {
      decoder.close();
      await pool.close();
    }
  });
}

test('MJPEG says how many frames a second fit when its lowest quality is over the budget; absurd rates fail that frame only', async (t) => {
  const pool = new CompressorPool({ threads: 1 });
  try {
    const starved: VideoFrame = { ...frame('mjpeg', 640, 360, 0), bitRate: 200_000 };
    let last;
    // Its quality steps down a frame at a time until the lowest.
    for (let i = 0; i < 10; i++) last = await pool.encodeFrame(1, { ...starved, ...inSharedMemory(movieFrame(640, 360, i / 30), 'rgb32') });
    t.true(last!.frameRate !== undefined && last!.frameRate < 30, `hint ${last!.frameRate}`);
    t.is((await pool.encodeFrame(2, frame('mjpeg', 64, 64, 0))).frameRate, undefined, 'within the budget: no hint');
    await t.throwsAsync(pool.encodeFrame(1, { ...starved, bitRate: Number.NaN }), { message: /bad job: bit rate NaN/ });
    await t.throwsAsync(pool.encodeFrame(1, { ...starved, frameRate: 0 }), { message: /bad job: frame rate 0/ });
    t.truthy((await pool.encodeFrame(1, starved)).data.length, 'the stream goes on');
  } finally {
    await pool.close();
  }
});

test('an MJPEG frame read in place: encoded when no write overlaps the read; torn, without bytes, when a write is on as it starts; a predicting codec refuses it', async (t) => {
  const pool = new CompressorPool({ threads: 1 });
  try {
    // The surface at offset 64 of its memory, the host's write count at 16 and the readers at 20 (as in device memory).
    const inPlace = (codec: VideoCodec): VideoFrame => ({
      ...frame(codec, 1920, 1080, 0),
      ...inSharedMemory(movieFrame(1920, 1080, 0), 'rgb32', 64),
      inPlace: { writeCount: 16, readers: 20 },
    });
    const job = inPlace('mjpeg');
    const count = new Uint32Array(job.pixels as SharedArrayBuffer, 16, 1);
    const readers = new Uint32Array(job.pixels as SharedArrayBuffer, 20, 1);
    const whole = await pool.encodeFrame(1, job);
    t.falsy(whole.torn);
    const decoder = createVideoDecoder('mjpeg');
    t.teardown(() => decoder.close());
    const picture = decoder.decode(whole.data);
    t.true(picture.ok && ssim(picture.value, movieFrame(1920, 1080, 0)) > 0.9, 'the surface, read in place');

    Atomics.store(count, 0, 7); // a write begun, not ended
    t.deepEqual(await pool.encodeFrame(1, job), { data: new Uint8Array(0), torn: true });

    t.is(Atomics.load(readers, 0), 0, 'no reader left after a torn read');

    await t.throwsAsync(pool.encodeFrame(2, inPlace('vp8')), { message: /vp8 frames cannot be read in place/ });
    await t.throwsAsync(pool.encodeFrame(1, { ...job, inPlace: { writeCount: job.pixels.byteLength, readers: 20 } }), {
      message: /write count offset/,
    });
    await t.throwsAsync(pool.encodeFrame(1, { ...job, inPlace: { writeCount: 16, readers: 2 } }), { message: /readers offset/ });
    t.truthy((await pool.encodeFrame(1, frame('mjpeg', 64, 64, 0))).data.length, 'the stream goes on');
  } finally {
    await pool.close();
  }
});

test('a read in place is counted as a reader while it reads, and torn when a write is on as it begins (not read) or one is made before it ends; the count is given back even when the read throws', (t) => {
  const memory = new SharedArrayBuffer(8);
  const words = { writes: new Uint32Array(memory, 0, 1), readers: new Int32Array(memory, 4, 1) };
  t.is(
    readInPlace(words, () => Atomics.load(words.readers, 0)),
    1,
    'a reader while it reads; read whole',
  );
  t.is(
    readInPlace(words, () => Atomics.add(words.writes, 0, 2)),
    null,
    'a write made while it read: torn',
  );
  Atomics.store(words.writes, 0, 7);
  let read = false;
  t.is(
    readInPlace(words, () => (read = true)),
    null,
    'a write on as it begins: torn',
  );
  t.false(read, 'not read');
  Atomics.store(words.writes, 0, 8);
  t.throws(() =>
    readInPlace(words, () => {
      throw new Error('encoder broke');
    }),
  );
  t.is(Atomics.load(words.readers, 0), 0, 'no reader left');
});
