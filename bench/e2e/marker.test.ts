/**
 * The marker reader on lossy frames: the guest's movie (bench/guest-movie.ts) with its latency
 * marker, encoded by our MJPEG, VP8 and H.264 encoders and decoded again, is read as the marker
 * drawn, as nothing, or as one drawn shortly before (a starved codec leaves the old square a few
 * frames), never as one not drawn yet or long gone.
 */
import test from 'ava';
import type { Bitmap32 } from '../../codecs/image/bitmap.js';
import { createVideoDecoder } from '../../codecs/video/decoder.js';
import { createVideoEncoder, type VideoCodec } from '../../codecs/video/encoder.js';
import { GuestMovie } from '../guest-movie.js';
import { MarkerReader, markerBox, markerRgb } from './marker.js';

const width = 640;
const height = 360;
const movie = new GuestMovie(width, height);
const FRAMES = 90;
/** The marker over frame f: the guest's marker steps every 137 ms, frames come every 33. */
const markerAt = (f: number) => 300 + Math.floor((f * 1000) / 30 / 137);

/**
 * `drawn`: the share of frames whose marker must read as drawn. At a working rate nearly all: a
 * stale square is a frozen spot for users too (openh264's background detection left it 18
 * frames of 90 at 3 Mbit/s). Starved, the codecs smear most: a reading is still never wrong,
 * most frames read as some marker (`read`), and more as the one drawn than as an older one.
 */
const cases: Array<{ codec: VideoCodec; bitRate: number; drawn: number; read: number }> = [
  { codec: 'mjpeg', bitRate: 3_000_000, drawn: 0.9, read: 0.9 },
  { codec: 'vp8', bitRate: 3_000_000, drawn: 0.9, read: 0.9 },
  { codec: 'h264', bitRate: 3_000_000, drawn: 0.9, read: 0.9 },
  { codec: 'vp8', bitRate: 300_000, drawn: 0, read: 0.6 },
  { codec: 'h264', bitRate: 300_000, drawn: 0, read: 0.6 },
];

for (const { codec, bitRate, drawn, read } of cases) {
  test(`${codec} at ${bitRate / 1e6} Mbit/s: the marker reads as drawn, as one shortly before, or not at all`, (t) => {
    const encoder = createVideoEncoder(codec, { width, height, bitRate, frameRate: 30 });
    const decoder = createVideoDecoder(codec);
    const reader = new MarkerReader();
    // The client's first marker comes as a lossless image, before the stream starts.
    t.is(reader.read(movie.frame(0, markerAt(0) - 1)), markerAt(0) - 1);
    let right = 0;
    let behind = 0;
    for (let f = 0; f < FRAMES; f++) {
      const decoded = decoder.decode(encoder.encode(movie.frame(f, markerAt(f))));
      if (!decoded.ok) return t.fail(decoded.error);
      const n = reader.read(decoded.value);
      if (n === markerAt(f)) right++;
      else if (n !== null && n < markerAt(f) && n >= markerAt(f - 10)) behind++;
      else if (n !== null) t.fail(`frame ${f}: read ${n}, drawn ${markerAt(f)}`);
    }
    encoder.close();
    decoder.close();
    t.log(`${right} read as drawn, ${behind} as one before, ${FRAMES - right - behind} not read, of ${FRAMES}`);
    t.true(right >= FRAMES * drawn, `${right} of ${FRAMES} read as drawn`);
    t.true(right + behind >= FRAMES * read, `${right + behind} of ${FRAMES} read`);
    t.true(right > behind, `${behind} read as an older marker, ${right} as drawn`);
  });
}

const square = (rgb: (x: number, y: number) => number): Bitmap32 => {
  const bmp = movie.frame(5, 1000);
  const b = markerBox(width);
  for (let y = b.top; y < b.bottom; y++)
    for (let x = b.left; x < b.right; x++) {
      const i = y * bmp.stride + x * 4;
      const c = rgb(x - b.left, y - b.top);
      [bmp.pixels[i], bmp.pixels[i + 1], bmp.pixels[i + 2]] = [c & 0xff, (c >> 8) & 0xff, (c >> 16) & 0xff];
    }
  return bmp;
};
const mix = (a: number, b: number, k: number) =>
  [16, 8, 0].reduce((c, s) => c | (Math.round(((a >> s) & 0xff) * (1 - k) + ((b >> s) & 0xff) * k) << s), 0);

test('misreadings count as nothing: not flat, between two markers, behind, far ahead, before any exact reading', (t) => {
  t.is(new MarkerReader().read(square(() => mix(markerRgb(1001), 0, 0.01))), null, 'lossy before an exact one');
  const reader = new MarkerReader();
  t.is(reader.read(square(() => markerRgb(1000))), 1000);
  t.is(reader.read(square((x) => (x < 8 ? markerRgb(1001) : 0x808080))), null, 'half drawn');
  t.is(reader.read(square(() => mix(markerRgb(1001), markerRgb(1002), 0.5))), null, 'halfway between two');
  t.is(reader.read(square(() => markerRgb(999))), null, 'an older marker');
  t.is(reader.read(square(() => mix(markerRgb(1200), 0, 0.01))), null, 'far ahead, lossy');
  t.is(reader.read(square(() => mix(markerRgb(1003), 0xffffff, 0.02))), 1003, 'lossy, a few ahead');
  t.is(reader.read(square(() => markerRgb(1200))), 1200, 'far ahead, exact');
});
