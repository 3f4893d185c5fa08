import test from 'ava';
import type { Bitmap32 } from '../../codecs/image/bitmap.js';
import { ssim } from '../../codecs/image/ssim.js';
import { createVideoDecoder } from '../../codecs/video/decoder.js';
import { createVideoEncoder, type VideoCodec } from '../../codecs/video/encoder.js';
import { movieFrame } from '../../codecs/video/fixtures/movie.js';
import { gstDecode } from '../helpers/gstreamer.js';

// Each codec on the generated moving picture, decoded by our decoder and by GStreamer's (the
// decoders spice-gtk uses): every frame must look like its source (SSIM >= 0.95) at a bit rate
// a stream of that size gets on a LAN.

const codecs: VideoCodec[] = ['mjpeg', 'vp8', 'h264'];
const sizes = [
  { width: 640, height: 360, bitRate: 3_000_000 },
  { width: 1280, height: 720, bitRate: 8_000_000 },
];
const FRAMES = 12;

function minimum(values: readonly number[]): number {
  return values.reduce((a, b) => Math.min(a, b), 1);
}

for (const codec of codecs) {
  for (const { width, height, bitRate } of sizes) {
    test(`${codec} ${width}x${height} at ${bitRate / 1e6} Mbit/s: ours and GStreamer decode every frame with SSIM >= 0.95`, async (t) => {
      const encoder = createVideoEncoder(codec, { width, height, bitRate, frameRate: 30 });
      const decoder = createVideoDecoder(codec);
      const sources: Bitmap32[] = [];
      const frames: Uint8Array[] = [];
      const ours: number[] = [];
      for (let i = 0; i < FRAMES; i++) {
        const source = movieFrame(width, height, i * 2);
        const frame = encoder.encode(source);
        const decoded = decoder.decode(frame);
        if (!decoded.ok) return t.fail(`frame ${i}: ${decoded.error}`);
        t.deepEqual([decoded.value.width, decoded.value.height], [width, height]);
        sources.push(source);
        frames.push(frame);
        ours.push(ssim(source, decoded.value));
      }
      encoder.close();
      decoder.close();
      const theirs = (await gstDecode(codec, frames, width, height)).map((picture, i) => ssim(sources[i]!, picture));
      const kbits = (frames.reduce((n, f) => n + f.length, 0) * 8 * 30) / FRAMES / 1000;
      t.log(`${Math.round(kbits)} kbit/s at 30 fps; SSIM ours >= ${minimum(ours).toFixed(3)}, GStreamer >= ${minimum(theirs).toFixed(3)}`);
      t.true(minimum(ours) >= 0.95, `ours: ${ours.map((s) => s.toFixed(3))}`);
      t.true(minimum(theirs) >= 0.95, `GStreamer: ${theirs.map((s) => s.toFixed(3))}`);
    });
  }
}
