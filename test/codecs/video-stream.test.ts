import { Worker } from 'node:worker_threads';
import test from 'ava';
import type { Bitmap32 } from '../../codecs/image/bitmap.js';
import { ssim } from '../../codecs/image/ssim.js';
import { createVideoDecoder } from '../../codecs/video/decoder.js';
import { createVideoEncoder, type VideoCodec } from '../../codecs/video/encoder.js';
import { movieFrame } from '../../codecs/video/fixtures/movie.js';
import { encodeJpeg } from '../../codecs/video/jpeg.js';
import { MjpegEncoder } from '../../codecs/video/mjpeg.js';
import { gstDecode } from '../helpers/gstreamer.js';
import { streamDigests, videoCodecs } from './fixtures/video-streams.js';

// A stream's life: bit-rate changes honoured, key frames on demand, size changes, threads.

const WIDTH = 640;
const HEIGHT = 360;
const movie = Array.from({ length: 120 }, (_, t) => movieFrame(WIDTH, HEIGHT, t));

/** kbit/s of a run of frames at 30 fps. */
/** kbit/s of frames sent `fps` a second. */
const kbits = (frames: readonly Uint8Array[], fps = 30) => (frames.reduce((n, f) => n + f.length, 0) * 8 * fps) / frames.length / 1000;

// Rates the picture needs more than (VP8 and H.264 do not pad an easy picture up to a high
// target); MJPEG's lowest quality step still costs ~1.6 Mbit/s here (spice-server then lowers the frame rate).
const rates: Record<VideoCodec, readonly [number, number]> = {
  mjpeg: [4_000_000, 2_000_000],
  vp8: [1_200_000, 300_000],
  h264: [1_200_000, 300_000],
};

for (const codec of videoCodecs) {
  test(`${codec}: the bit rate is held, and a new one honoured from the next frame`, (t) => {
    const [first, second] = rates[codec];
    const encoder = createVideoEncoder(codec, { width: WIDTH, height: HEIGHT, bitRate: first, frameRate: 30 });
    // MJPEG may keep its quality at fewer frames a second: it says how many, and a stream captures no more.
    const fps = () => (encoder instanceof MjpegEncoder ? encoder.frameRate : 30);
    const before = movie.slice(0, 60).map((f) => encoder.encode(f));
    const fpsBefore = fps();
    encoder.setRate(second, 30);
    const after = movie.slice(60).map((f) => encoder.encode(f));
    const fpsAfter = fps();
    encoder.close();
    const held = [
      [kbits(before, fpsBefore), first, fpsBefore],
      [kbits(after, fpsAfter), second, fpsAfter],
    ] as const;
    t.log(held.map(([got, asked, at]) => `${asked / 1000} kbit/s asked: ${Math.round(got)} at ${at} fps`).join('; then '));
    for (const [got, asked] of held)
      t.true(got * 1000 > 0.5 * asked && got * 1000 < 1.5 * asked, `${Math.round(got)} kbit/s for ${asked / 1000}`);
  });

  test(`${codec}: a key frame on demand decodes alone, and the frames after it follow`, async (t) => {
    const encoder = createVideoEncoder(codec, { width: WIDTH, height: HEIGHT, bitRate: 2_000_000, frameRate: 30 });
    const frames = movie.slice(0, 12).map((f, i) => encoder.encode(f, { keyFrame: i === 10 }));
    encoder.close();
    const fresh = createVideoDecoder(codec);
    for (const i of [10, 11]) {
      const decoded = fresh.decode(frames[i]!);
      if (!decoded.ok) return t.fail(`frame ${i}: ${decoded.error}`);
      t.true(ssim(movie[i]!, decoded.value) > 0.93, `frame ${i}`);
    }
    const theirs = await gstDecode(codec, frames.slice(10), WIDTH, HEIGHT);
    theirs.forEach((picture, k) => t.true(ssim(movie[10 + k]!, picture) > 0.93, `GStreamer, frame ${10 + k}`));
    if (codec !== 'mjpeg')
      t.false(createVideoDecoder(codec).decode(frames[9]!).ok, 'a frame that is not a key frame needs its predecessors');
  });

  test(`${codec}: a frame of another size starts afresh at that size`, (t) => {
    const encoder = createVideoEncoder(codec, { width: WIDTH, height: HEIGHT, bitRate: 2_000_000, frameRate: 30 });
    const decoder = createVideoDecoder(codec);
    const small = movieFrame(320, 240, 3);
    const odd = movieFrame(321, 241, 4);
    for (const frame of [movie[0]!, small, odd, movie[1]!]) {
      const decoded = decoder.decode(encoder.encode(frame));
      if (!decoded.ok) return t.fail(decoded.error);
      // H.264 codes whole 2x2 blocks: an odd side is one pixel longer, the last pixels repeated.
      const even = (n: number) => (codec === 'h264' ? n + (n % 2) : n);
      t.deepEqual([decoded.value.width, decoded.value.height], [even(frame.width), even(frame.height)]);
      const crop: Bitmap32 = { ...decoded.value, width: frame.width, height: frame.height };
      t.true(ssim(frame, crop) > 0.9, `${frame.width}x${frame.height}`);
    }
  });
}

test('streams encoded on worker threads at once, from shared memory, are the ones the main thread makes', async (t) => {
  const frames = movie.slice(0, 6).map((f) => {
    const pixels = new Uint8Array(new SharedArrayBuffer(f.pixels.length));
    pixels.set(f.pixels);
    return { ...f, pixels };
  });
  const inWorker = () =>
    new Promise<string[]>((resolve, reject) => {
      const worker = new Worker(new URL('./fixtures/video-worker.js', import.meta.url), { workerData: { frames } });
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  const answers = await Promise.all([inWorker(), inWorker()]);
  const here = streamDigests(frames);
  t.deepEqual(answers[0], here);
  t.deepEqual(answers[1], here);
});

test('MJPEG quality follows the budget in steps of 10 from 20 to 80, then the frame rate the budget allows', (t) => {
  const encoder = new MjpegEncoder({ width: WIDTH, height: HEIGHT, bitRate: 50_000_000, frameRate: 30 });
  for (const f of movie.slice(0, 5)) encoder.encode(f);
  t.is(encoder.quality, 80);
  t.is(encoder.frameRate, 30);
  encoder.setRate(100_000, 30);
  for (const f of movie.slice(5, 10)) encoder.encode(f);
  t.is(encoder.quality, 20);
  // ~6.6 KB frames at 12.5 KB/s: one or two a second fit.
  t.true(encoder.frameRate >= 1 && encoder.frameRate <= 2, `${encoder.frameRate}`);
  encoder.close();
  t.throws(() => encoder.encode(movie[0]!), { message: /closed/ });
});

test("MJPEG keeps its quality while the bit rate carries 10 frames a second (spice-server's rule), then gives way", (t) => {
  const at = (quality: number) => movie.slice(0, 10).reduce((n, f) => n + encodeJpeg(f, quality).length, 0) / 10;
  const run = (bitRate: number) => {
    const encoder = new MjpegEncoder({ width: WIDTH, height: HEIGHT, bitRate, frameRate: 30 });
    for (const f of movie.slice(0, 20)) encoder.encode(f);
    const result = { quality: encoder.quality, frameRate: encoder.frameRate };
    encoder.close();
    return result;
  };
  // Quality 80 frames 15 times a second: quality 80 at ~15 fps, not a lower quality at 30.
  const top = run(at(80) * 8 * 15);
  t.is(top.quality, 80);
  t.true(top.frameRate >= 12 && top.frameRate <= 18, `${top.frameRate} fps`);
  // Quality 20 frames 20 times a second: quality 20 itself is not kept at 30 fps; a higher one at >= 10 fps is taken.
  const mid = run(at(20) * 8 * 20);
  t.true(mid.quality > 20 && mid.quality < 80, `quality ${mid.quality}`);
  t.true(mid.frameRate >= 10, `${mid.frameRate} fps`);
});

test('encodeJpeg: a JPEG still image at any quality, larger with quality', (t) => {
  const low = encodeJpeg(movie[0]!, 20);
  const high = encodeJpeg(movie[0]!, 95);
  t.true(high.length > low.length * 1.5);
  const decoded = createVideoDecoder('mjpeg').decode(high);
  if (!decoded.ok) return t.fail(decoded.error);
  t.true(ssim(movie[0]!, decoded.value) > 0.98);
  t.throws(() => encodeJpeg(movie[0]!, 0), { instanceOf: RangeError });
});

test('frames whose shape does not fit their pixels, and absurd rates, are refused', (t) => {
  for (const codec of videoCodecs) {
    const encoder = createVideoEncoder(codec, { width: 16, height: 16, bitRate: 1_000_000, frameRate: 30 });
    t.throws(
      () => encoder.encode({ width: 16, height: 16, stride: 60, pixels: new Uint8Array(16 * 64) }),
      { instanceOf: RangeError },
      codec,
    );
    t.throws(() => encoder.encode({ width: 16, height: 16, stride: 64, pixels: new Uint8Array(100) }), { instanceOf: RangeError }, codec);
    t.throws(() => encoder.setRate(-1, 30), { instanceOf: RangeError }, codec);
    encoder.close();
    t.throws(() => encoder.encode(movieFrame(16, 16, 0)), { message: /closed/ }, codec);
  }
  t.throws(() => createVideoEncoder('vp8', { width: 0, height: 16, bitRate: 1_000_000, frameRate: 30 }), { instanceOf: RangeError });
  t.throws(() => createVideoEncoder('h264', { width: 16, height: 16, bitRate: 1_000_000, frameRate: 0 }), { instanceOf: RangeError });
});

test('H.264 comes as Annex-B access units, constrained baseline, SPS and PPS before each IDR', (t) => {
  const encoder = createVideoEncoder('h264', { width: WIDTH, height: HEIGHT, bitRate: 2_000_000, frameRate: 30 });
  const frames = movie.slice(0, 3).map((f, i) => encoder.encode(f, { keyFrame: i === 2 }));
  encoder.close();
  /** Each NAL unit's type and first three bytes after its header, found by the 4-byte start codes. */
  const units = (au: Uint8Array) =>
    [...au.keys()]
      .filter((i) => i + 4 < au.length && au[i] === 0 && au[i + 1] === 0 && au[i + 2] === 0 && au[i + 3] === 1)
      .map((i) => ({ type: au[i + 4]! & 31, next: [...au.subarray(i + 5, i + 8)] }));
  for (const k of [0, 2]) {
    const nal = units(frames[k]!);
    t.deepEqual(
      nal.map((u) => u.type),
      [7, 8, 5],
      `frame ${k}: SPS, PPS, IDR slice`,
    );
    const [profile, constraints] = nal[0]!.next;
    t.is(profile, 66, 'baseline');
    t.is(constraints! & 0x40, 0x40, 'constraint_set1: constrained baseline');
  }
  t.deepEqual(
    units(frames[1]!).map((u) => u.type),
    [1],
    'a P frame: one non-IDR slice',
  );
});
