import type { Bitmap32 } from '../codecs/image/bitmap.js';
import { ssim } from '../codecs/image/ssim.js';
import { createVideoDecoder } from '../codecs/video/decoder.js';
import { createVideoEncoder, type VideoCodec } from '../codecs/video/encoder.js';
import { movieFrame } from '../codecs/video/fixtures/movie.js';
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
