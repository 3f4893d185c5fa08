import test from 'ava';
import type { Bitmap32, Bitmap32Format } from '../../../codecs/image/bitmap.js';
import { decodeLz } from '../../../codecs/image/lz/decoder.js';
import { encodeLz } from '../../../codecs/image/lz/encoder.js';
import { MAX_FAR_DISTANCE } from '../../../codecs/image/lz/format.js';
import { corpus } from '../../../codecs/image/fixtures/corpus.js';
import { gradient, makeBitmap, noise, packed, repeatingNoise, solid } from '../../helpers/images.js';

function roundTrips(t: import('ava').ExecutionContext, bitmap: Bitmap32, format: Bitmap32Format, label: string): Uint8Array {
  const stream = encodeLz(bitmap, format);
  const decoded = decodeLz(stream);
  if (!decoded.ok) {
    t.fail(`${label} ${format}: ${decoded.error}`);
    return stream;
  }
  const { value } = decoded;
  t.deepEqual([value.width, value.height, value.stride, value.format], [bitmap.width, bitmap.height, bitmap.width * 4, format], label);
  // Buffer.compare: one assertion over megabytes, and a readable failure below.
  const want = packed(bitmap, format);
  const same = Buffer.compare(Buffer.from(value.pixels), Buffer.from(want)) === 0;
  const i = same ? -1 : want.findIndex((v, k) => v !== value.pixels[k]);
  t.true(same, `${label} ${format}: first difference at byte ${i} (pixel ${i >> 2}): got ${value.pixels[i]}, want ${want[i]}`);
  return stream;
}

const images = corpus();

test('every corpus image round-trips as rgb32 and rgba', (t) => {
  for (const { name, bitmap } of images) {
    roundTrips(t, bitmap, 'rgb32', name);
    roundTrips(t, bitmap, 'rgba', name);
  }
});

const generated: [string, Bitmap32][] = [
  ['1x1', solid(1, 1)],
  ['2x1', makeBitmap(2, 1, (x) => [x, 2, 3, 4])],
  ['1x2', makeBitmap(1, 2, (_, y) => [y, 2, 3, 4])],
  ['3x7 noise', noise(3, 7, 1)],
  ['1023x5 noise', noise(1023, 5, 2)],
  ['1x300 column', makeBitmap(1, 300, (_, y) => [y & 7, 0, 0, y & 1])],
  ['4096x4 wide', makeBitmap(4096, 4, (x, y) => [x & 0xff, x >> 4, y * 40, 255 - (x & 0x3f)])],
  ['all one colour', solid(640, 480)],
  ['noise 257x33', noise(257, 33, 3)],
  ['stride > width*4', noise(37, 11, 4, 12)],
  // Rows or pixels not on 4-byte boundaries: the encoder reads bytes instead of words.
  ['stride not a multiple of 4', noise(37, 11, 4, 3)],
  [
    'pixels at an odd byte offset',
    (() => {
      const b = noise(20, 5, 8);
      const buf = new Uint8Array(b.pixels.length + 1);
      buf.set(b.pixels, 1);
      return { ...b, pixels: buf.subarray(1) };
    })(),
  ],
  ['stride > width*4, one colour', makeBitmap(50, 20, () => [1, 2, 3, 4], 8)],
  ['gradient', gradient(300, 200)],
  // Runs longer than the length escape carries in one byte, and a run crossing rows.
  [
    'runs of every length',
    makeBitmap(2000, 3, (x, y) => {
      const r = Math.floor(Math.sqrt(x + y * 2000));
      return [r & 0xff, r >> 8, 0, r & 1 ? 255 : 0];
    }),
  ],
  // Repeats 9000 and 70000 pixels back: only the 16-bit far distance reaches them.
  ['far repeats', repeatingNoise(1000, 90, 9000, 5)],
  ['repeat at the farthest distance', repeatingNoise(1000, 148, MAX_FAR_DISTANCE, 6)],
];

for (const [name, bitmap] of generated) {
  test(`round trip: ${name}`, (t) => {
    roundTrips(t, bitmap, 'rgb32', name);
    roundTrips(t, bitmap, 'rgba', name);
  });
}

test('runs and repeats compress; noise stays within the literal bound', (t) => {
  const flat = encodeLz(solid(640, 480), 'rgb32');
  t.true(flat.length < 28 + 1300, `one colour: ${flat.length} bytes`);
  const far = encodeLz(generated.find(([n]) => n === 'far repeats')![1], 'rgb32');
  t.true(far.length < 9000 * 3.2 + 5000, `9000-pixel tile repeated: ${far.length} bytes`);
  const farthestRepeat = encodeLz(repeatingNoise(1000, 148, MAX_FAR_DISTANCE, 6), 'rgb32');
  t.true(farthestRepeat.length < MAX_FAR_DISTANCE * 3.2 + 5000, `73725-pixel tile repeated: ${farthestRepeat.length} bytes`);
  const n = 257 * 33;
  const rough = encodeLz(noise(257, 33, 3), 'rgba');
  t.true(rough.length <= 28 + n * 4 + 2 * Math.ceil(n / 32), `noise: ${rough.length} bytes`);
});

test('the header is the spice-common layout, big-endian, top-down', (t) => {
  const s = encodeLz(noise(3, 2, 9, 4), 'rgba');
  t.deepEqual([...s.subarray(0, 28)], [0x20, 0x20, 0x5a, 0x4c, 0, 1, 0, 1, 0, 0, 0, 9, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 12, 0, 0, 0, 1]);
});

test('a 2x1 image is one literal run of 2 B,G,R pixels', (t) => {
  const s = encodeLz(
    makeBitmap(2, 1, (x) => [10 + x, 20 + x, 30 + x, 99]),
    'rgb32',
  );
  t.deepEqual([...s.subarray(28)], [1, 10, 20, 30, 11, 21, 31]);
});

test('a run is a distance-1 match: 40 pixels of one colour', (t) => {
  const s = encodeLz(solid(40, 1, [5, 6, 7, 8]), 'rgb32');
  // Literal of 1, then a match of 39 pixels at distance 1: length field 7 + escape byte 32, low distance byte 0.
  t.deepEqual([...s.subarray(28)], [0, 5, 6, 7, 7 << 5, 39 - 7, 0]);
});

test('the encoder refuses bitmaps that are inconsistent or larger than clients decode', (t) => {
  t.throws(() => encodeLz({ width: 0, height: 1, stride: 0, pixels: new Uint8Array(0) }, 'rgb32'), { instanceOf: RangeError });
  t.throws(() => encodeLz({ width: 4, height: 2, stride: 12, pixels: new Uint8Array(24) }, 'rgb32'), { instanceOf: RangeError });
  t.throws(() => encodeLz({ width: 4, height: 2, stride: 16, pixels: new Uint8Array(31) }, 'rgb32'), { instanceOf: RangeError });
  // Only the length is read before the size check: a stand-in avoids allocating a GiB.
  const huge = { width: 16384, height: 16384, stride: 65536, pixels: { length: 2 ** 30 } as Uint8Array };
  t.throws(() => encodeLz(huge, 'rgb32'), { instanceOf: RangeError, message: /larger than SPICE clients decode/ });
});
