import test from 'ava';
import type { Bitmap32, Bitmap32Format } from '../../../codecs/image/bitmap.js';
import { decodeQuic } from '../../../codecs/image/quic/decoder.js';
import { encodeQuic } from '../../../codecs/image/quic/encoder.js';
import { corpus } from '../../../codecs/image/fixtures/corpus.js';
import { noise, packed, solid } from '../../helpers/images.js';
import { blocks, firstDifference, gradient, image, padded, shifted } from './images.js';

const formats: readonly Bitmap32Format[] = ['rgb32', 'rgba'];

function roundTrip(t: import('ava').ExecutionContext, bmp: Bitmap32, format: Bitmap32Format, what: string): Uint8Array {
  const stream = encodeQuic(bmp, format);
  t.is(stream.length % 4, 0, `${what}: whole words`);
  const decoded = decodeQuic(stream);
  if (!decoded.ok) {
    t.fail(`${what}: ${decoded.error}`);
    return stream;
  }
  const { bitmap, format: got } = decoded.value;
  t.is(got, format, what);
  t.deepEqual([bitmap.width, bitmap.height, bitmap.stride], [bmp.width, bmp.height, bmp.width * 4], what);
  t.is(firstDifference(bitmap.pixels, packed(bmp, format)), -1, `${what}: pixels differ`);
  return stream;
}

const generated: Array<[string, Bitmap32]> = [
  ['1x1', solid(1, 1, [7, 7, 7, 7])],
  ['3x3', image(3, 3, (x, y, c) => x * 50 + y * 20 + c * 7)],
  ['2x5', noise(2, 5, 1)],
  ['5x7 odd', noise(5, 7, 2)],
  ['17x3 odd', gradient(17, 3)],
  ['1x300 column', gradient(1, 300)],
  ['300x1 row', noise(300, 1, 3)],
  ['2047x3 around a wait-mask step', blocks(2047, 3, 4)],
  ['2049x2 around a wait-mask step', noise(2049, 2, 5)],
  ['4096x4 wide', image(4096, 4, (x, y, c) => ((x >> 4) * (c + 1) + y * 3) & 0xff)],
  ['4096x4 wide flat', solid(4096, 4, [1, 2, 3, 4])],
  // Runs long enough to take MELCODE to its last state.
  ['70000x2 flat', solid(70000, 2, [5, 6, 7, 8])],
  ['flat 64x64', solid(64, 64, [200, 100, 50, 0])],
  ['noise 97x61', noise(97, 61, 6)],
  ['gradient 256x128', gradient(256, 128)],
  ['blocks 333x222', blocks(333, 222, 7)],
  ['blocks 640x40', blocks(640, 40, 8)],
];

for (const format of formats) {
  test(`${format}: generated images come back exactly`, (t) => {
    for (const [what, bmp] of generated) roundTrip(t, bmp, format, what);
  });
}

test('the corpus comes back exactly, as rgb32 and as rgba', (t) => {
  const images = corpus();
  for (const { name, bitmap } of images) {
    for (const format of formats) roundTrip(t, bitmap, format, `${name} ${format}`);
  }
  t.true(images.length >= 6, `${images.length} corpus images`);
});

test('rows wider than the image and unaligned buffers encode as the packed image', (t) => {
  for (const format of formats) {
    const bmp = blocks(123, 45, 9);
    const reference = encodeQuic(bmp, format);
    for (const [what, variant] of [
      ['stride + 4', padded(bmp, 4)],
      ['stride + 3', padded(bmp, 3)],
      ['stride + 64', padded(bmp, 64)],
      ['byte offset 1', shifted(bmp, 1)],
      ['byte offset 2 and stride + 5', shifted(padded(bmp, 5), 2)],
    ] as const) {
      t.deepEqual(encodeQuic(variant, format), reference, `${format} ${what}`);
      roundTrip(t, variant, format, `${format} ${what}`);
    }
  }
});

test('rgb32 ignores the 4th byte; rgba carries it', (t) => {
  const bmp = noise(40, 30, 10);
  const zeroed = { ...bmp, pixels: packed(bmp, 'rgb32') };
  t.deepEqual(encodeQuic(bmp, 'rgb32'), encodeQuic(zeroed, 'rgb32'));
  t.notDeepEqual(encodeQuic(bmp, 'rgba'), encodeQuic(zeroed, 'rgba'));
});

test('known answer: a 1x1 grey pixel', (t) => {
  // Header words "QUIC", 0, type 4, 1, 1; then R, G, B residual 14 (7 folded) each sent with
  // the initial best code 7 as 1 + 7 bits (0x8e), padded; then the zero word.
  const stream = encodeQuic(solid(1, 1, [7, 7, 7, 99]), 'rgb32');
  t.is(Buffer.from(stream).toString('hex'), '51554943' + '00000000' + '04000000' + '01000000' + '01000000' + '008e8e8e' + '00000000');
});

test('flat areas cost a few bits per row; noise costs more than raw', (t) => {
  t.true(encodeQuic(solid(1024, 1024, [1, 2, 3, 0]), 'rgb32').length < 16_000);
  const raw = 256 * 256 * 4;
  t.true(encodeQuic(noise(256, 256, 11), 'rgba').length > raw, 'random bytes do not compress');
});

test('the encoder refuses bitmaps that break their own invariants', (t) => {
  const ok = solid(4, 4, [0, 0, 0, 0]);
  t.throws(() => encodeQuic({ ...ok, width: 0 }, 'rgb32'), { instanceOf: RangeError });
  t.throws(() => encodeQuic({ ...ok, height: -1 }, 'rgb32'), { instanceOf: RangeError });
  t.throws(() => encodeQuic({ ...ok, stride: 12 }, 'rgb32'), { instanceOf: RangeError });
  t.throws(() => encodeQuic({ ...ok, pixels: ok.pixels.subarray(1) }, 'rgb32'), { instanceOf: RangeError });
});
