import test from 'ava';
import type { Bitmap32, Bitmap32Format } from '../../../codecs/image/bitmap.js';
import { decodeQuic } from '../../../codecs/image/quic/decoder.js';
import { encodeQuic } from '../../../codecs/image/quic/encoder.js';
import { QuicImageType } from '../../../codecs/image/quic/format.js';
import { corpus } from '../../../codecs/image/fixtures/corpus.js';
import { noise, packed, solid } from '../../helpers/images.js';
import { prng } from '../../helpers/prng.js';
import { blocks, firstDifference, gradient, image } from './images.js';
import { loadSpiceHtml5Quic } from './spice-html5-quic.js';

// spice-html5's quic.js is a separate port of quic.c's decoder (model buckets, wait masks,
// MELCODE): our streams decoding there pixel for pixel is the evidence that the model evolves
// as in spice-gtk. Its one known divergence, MELCODE state 32 on runs of tens of thousands of
// pixels, is out of reach of these images.
const quicJs = loadSpiceHtml5Quic();

/** A crop of a bitmap, to keep the oracle (a slow decoder) to some ten thousand pixels each. */
function crop(bmp: Bitmap32, x: number, y: number, w: number, h: number): Bitmap32 {
  return { width: w, height: h, stride: bmp.stride, pixels: bmp.pixels.subarray(y * bmp.stride + x * 4) };
}

const images: Array<[string, Bitmap32]> = [
  ['1x1', solid(1, 1, [7, 8, 9, 10])],
  ['3x3', image(3, 3, (x, y, c) => x * 50 + y * 20 + c * 7)],
  ['5x7 noise', noise(5, 7, 2)],
  ['2049x3 blocks, across a wait-mask step', blocks(2049, 3, 4)],
  ['4096x4 wide', image(4096, 4, (x, y, c) => ((x >> 4) * (c + 1) + y * 3) & 0xff)],
  ['160x100 gradient', gradient(160, 100)],
  ['233x122 blocks', blocks(233, 122, 7)],
  ['97x61 noise', noise(97, 61, 6)],
  ['flat 1000x50', solid(1000, 50, [9, 9, 9, 255])],
  ...corpus().map(({ name, bitmap }): [string, Bitmap32] => [`${name} 240x150 crop`, crop(bitmap, 520, 320, 240, 150)]),
];

for (const format of ['rgb32', 'rgba'] as const satisfies readonly Bitmap32Format[]) {
  test(`spice-html5 decodes our ${format} streams to the same pixels`, (t) => {
    for (const [what, bmp] of images) {
      const seen = quicJs.decode(encodeQuic(bmp, format));
      if (!seen) {
        t.fail(`${what}: quic.js refused the stream`);
        continue;
      }
      t.deepEqual(
        [seen.type, seen.width, seen.height],
        [format === 'rgba' ? QuicImageType.RGBA : QuicImageType.RGB32, bmp.width, bmp.height],
      );
      t.is(firstDifference(seen.pixels, packed(bmp, format)), -1, `${what}: pixels differ`);
    }
  });
}

test('the oracle notices a stream that is off by one bit', (t) => {
  const bmp = blocks(64, 64, 12);
  const stream = encodeQuic(bmp, 'rgb32');
  stream[40]! ^= 0x10;
  const seen = quicJs.decode(stream);
  t.true(!seen || firstDifference(seen.pixels, packed(bmp, 'rgb32')) !== -1);
});

// The other direction has no encoder to draw on, so the two decoders are compared on streams
// no encoder wrote: valid streams with bits flipped, and random payloads under a valid header.
// Wherever our decoder accepts such a stream and quic.js decodes it too, the pixels must agree.
test('on damaged and random streams both decoders agree wherever both decode', (t) => {
  const next = prng(2024);
  const seeds = [blocks(48, 40, 1), gradient(40, 30), noise(20, 20, 3), blocks(200, 12, 4)].flatMap((bmp) =>
    (['rgb32', 'rgba'] as const).map((format) => encodeQuic(bmp, format)),
  );
  let compared = 0;
  for (let round = 0; round < 500; round++) {
    const stream = round % 3 === 2 ? randomPayload(next) : flipBits(seeds[round % seeds.length]!, next);
    const ours = decodeQuic(stream);
    if (!ours.ok) continue;
    const theirs = quicJs.decode(stream);
    if (!theirs) continue;
    compared++;
    if (firstDifference(theirs.pixels, ours.value.bitmap.pixels) !== -1) return t.fail(`round ${round}: decoders disagree`);
  }
  t.log(`${compared} streams decoded by both`);
  t.true(compared >= 100, 'enough streams exercised both decoders');
});

function flipBits(stream: Uint8Array, next: () => number): Uint8Array {
  const copy = stream.slice();
  const flips = 1 + Math.floor(next() * 3);
  for (let i = 0; i < flips; i++) {
    // Past the 20-byte header, so that the image stays the same shape.
    const bit = 160 + Math.floor(next() * (copy.length * 8 - 160));
    copy[bit >> 3]! ^= 1 << (bit & 7);
  }
  return copy;
}

/** A valid header over random bits, biased towards zeros some of the time to reach escape codes. */
function randomPayload(next: () => number): Uint8Array {
  const width = 1 + Math.floor(next() * 40);
  const height = 1 + Math.floor(next() * 20);
  const type = next() < 0.5 ? QuicImageType.RGB32 : QuicImageType.RGBA;
  const words = new Uint32Array(5 + width * height * 2 + 16);
  words.set([0x43495551, 0, type, width, height]);
  const zeros = next() < 0.5 ? 0.5 : 0.9;
  for (let i = 5; i < words.length; i++) {
    let word = 0;
    for (let b = 0; b < 32; b++) word = (word << 1) | (next() < zeros ? 0 : 1);
    words[i] = word >>> 0;
  }
  return new Uint8Array(words.buffer);
}
