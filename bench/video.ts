import type { Bitmap32 } from '../codecs/image/bitmap.js';
import { ssim } from '../codecs/image/ssim.js';
import { createVideoDecoder } from '../codecs/video/decoder.js';
import { createVideoEncoder, type VideoCodec } from '../codecs/video/encoder.js';
import { movieFrame } from '../codecs/video/fixtures/movie.js';
import { bitsPerPixelCap, initialBitRate } from '../actors/pipeline/red-worker/streams/rate-control.js';
import { colourError, markerInside, markerRgb, squareMean } from './e2e/marker.js';
import { GuestMovie } from './guest-movie.js';
import { table } from './stats.js';

// The video encoders on one core: each codec encodes the generated moving picture
// (codecs/video/fixtures/movie.ts) as one 30 fps stream at a bit rate for its size, frames in
// order as the red-worker would give them. Encode frames per second (BGRX -> I420 included),
// by the clock and by the process's CPU time (the figure that holds on a busy machine),
// the stream's kbit/s at 30 fps, and the SSIM of our decoder's pictures against the sources.

const codecs: VideoCodec[] = ['mjpeg', 'vp8', 'h264'];
const sizes = [
  { width: 1280, height: 720, bitRate: 6_000_000 },
  { width: 1920, height: 1080, bitRate: 8_000_000 },
];
const FRAMES = Number(process.env.BENCH_FRAMES ?? 60);
/** Distinct source frames (generating them costs more than encoding; they repeat after this many). */
const DISTINCT = Math.min(FRAMES, 30);

const rows: (string | number)[][] = [];
for (const { width, height, bitRate } of sizes) {
  const sources: Bitmap32[] = Array.from({ length: DISTINCT }, (_, t) => movieFrame(width, height, t * 2));
  for (const codec of codecs) {
    const encoder = createVideoEncoder(codec, { width, height, bitRate, frameRate: 30 });
    const encoded: Uint8Array[] = [];
    const t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < FRAMES; i++) encoded.push(encoder.encode(sources[i % DISTINCT]!));
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    encoder.close();
    const decoder = createVideoDecoder(codec);
    const scores: number[] = [];
    encoded.forEach((frame, i) => {
      const decoded = decoder.decode(frame);
      if (!decoded.ok) throw new Error(`${codec} frame ${i}: ${decoded.error}`);
      if (i % 10 === 9) scores.push(ssim(sources[i % DISTINCT]!, decoded.value));
    });
    decoder.close();
    const bytes = encoded.reduce((n, f) => n + f.length, 0);
    rows.push([
      `${codec} ${width}x${height}`,
      bitRate / 1000,
      FRAMES / seconds,
      FRAMES / cpuSeconds,
      (cpuSeconds / FRAMES) * 1000,
      (bytes * 8 * 30) / FRAMES / 1000,
      Math.min(...scores).toFixed(3),
    ]);
  }
}
console.log(table(['codec', 'asked kbit/s', 'encode fps', 'fps per CPU s', 'CPU ms/frame', 'kbit/s @30fps', 'min SSIM'], rows));

// The bench's movie goal offline: the test guest's own movie (bench/guest-movie.ts) full screen
// at 1920x1080 and the 30 fps it aims for (under TCG it draws ~11), with its latency marker
// (a new colour every 137 ms), through H.264 at the bit rate a stream starts with (the red-worker's
// initialBitRate with no net test, capped by bitsPerPixelCap, as streams.ts does). Per frame:
// SSIM against the source, and whether the decoded marker shows the colour drawn or is still
// nearer the previous one (a stale region, what users would see as a frozen spot).
const MOVIE_FRAMES = Number(process.env.BENCH_MOVIE_FRAMES ?? 90);
{
  const [width, height, fps] = [1920, 1080, 30];
  const bitRate = Math.min(initialBitRate(null, 1), bitsPerPixelCap.h264 * width * height * fps);
  const movie = new GuestMovie(width, height);
  const encoder = createVideoEncoder('h264', { width, height, bitRate, frameRate: fps });
  const decoder = createVideoDecoder('h264');
  const inside = markerInside(width);
  const markerAt = (t: number) => 1 + Math.floor((t * 1000) / fps / 137);
  const scores: number[] = [];
  let [bytes, stale, changes] = [0, 0, 0];
  for (let t = 0; t < MOVIE_FRAMES; t++) {
    const marker = markerAt(t);
    const source = movie.frame(t, marker);
    const frame = encoder.encode(source);
    bytes += frame.length;
    const decoded = decoder.decode(frame);
    if (!decoded.ok) throw new Error(`guest movie frame ${t}: ${decoded.error}`);
    scores.push(ssim(source, decoded.value));
    if (t > 0 && marker !== markerAt(t - 1)) changes++;
    const mean = squareMean(decoded.value, inside);
    if (colourError(mean, markerRgb(marker - 1)) < colourError(mean, markerRgb(marker))) stale++;
  }
  encoder.close();
  decoder.close();
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  console.log(
    `\nguest movie ${width}x${height} @${fps} fps, H.264 at ${(bitRate / 1000).toFixed(0)} kbit/s asked, ${MOVIE_FRAMES} frames (${changes} marker changes):`,
  );
  console.log(
    table(
      ['kbit/s', 'SSIM mean', 'SSIM worst', 'frames with a stale marker'],
      [[(bytes * 8 * fps) / MOVIE_FRAMES / 1000, mean.toFixed(4), Math.min(...scores).toFixed(4), `${stale}/${MOVIE_FRAMES}`]],
    ),
  );
}
