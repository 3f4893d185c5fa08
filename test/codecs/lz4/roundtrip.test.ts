import test from 'ava';
import type { Bitmap32, Bitmap32Format } from '../../../codecs/image/bitmap.js';
import { decodeLz4 } from '../../../codecs/image/lz4/decoder.js';
import { encodeLz4 } from '../../../codecs/image/lz4/encoder.js';
import { corpus } from '../../../codecs/image/fixtures/corpus.js';
import { gradient, makeBitmap, noise, packed, repeatingNoise, solid } from '../../helpers/images.js';

function roundTrips(t: import('ava').ExecutionContext, bitmap: Bitmap32, format: Bitmap32Format, label: string): Uint8Array {
  const data = encodeLz4(bitmap, format);
  const decoded = decodeLz4(data, bitmap.width, bitmap.height);
  if (!decoded.ok) {
    t.fail(`${label} ${format}: ${decoded.error}`);
    return data;
  }
  const want = packed(bitmap, format);
  const got = decoded.value.pixels;
  const same = Buffer.compare(Buffer.from(got), Buffer.from(want)) === 0;
  const i = same ? -1 : want.findIndex((v, k) => v !== got[k]);
  t.true(same, `${label} ${format}: first difference at byte ${i}: got ${got[i]}, want ${want[i]}`);
  t.is(decoded.value.format, format);
  return data;
}

test('every corpus image round-trips as rgb32 and rgba; text and desktop compress', (t) => {
  for (const { name, bitmap } of corpus()) {
    const data = roundTrips(t, bitmap, 'rgb32', name);
    roundTrips(t, bitmap, 'rgba', name);
    if (/^(text|desktop)/.test(name)) t.true(data.length < bitmap.width * bitmap.height, `${name}: ${data.length} bytes`);
  }
});

const generated: [string, Bitmap32][] = [
  ['1x1', solid(1, 1)],
  ['3x7 noise', noise(3, 7, 1)],
  ['1x300 column', makeBitmap(1, 300, (_, y) => [y & 7, 0, 0, y & 1])],
  // Wider than a 256 KiB block holds: one row a block.
  ['70000x2 wide', makeBitmap(70000, 2, (x, y) => [x & 0xff, x >> 8, y, 255])],
  ['one colour, many blocks', solid(1024, 700)],
  ['stride > width*4, many blocks', noise(300, 400, 4, 12)],
  ['stride not a multiple of 4', noise(37, 11, 4, 3)],
  ['gradient', gradient(300, 200)],
  ['far repeats', repeatingNoise(1000, 90, 9000, 5)],
];

for (const [name, bitmap] of generated) {
  test(`round trip: ${name}`, (t) => {
    roundTrips(t, bitmap, 'rgb32', name);
    roundTrips(t, bitmap, 'rgba', name);
  });
}

test('the header: top-down, 32BIT or RGBA; then big-endian block lengths that add up', (t) => {
  const b = solid(1024, 700);
  const data = encodeLz4(b, 'rgb32');
  t.deepEqual([data[0], data[1]], [1, 8]);
  t.is(encodeLz4(b, 'rgba')[1], 9);
  let at = 2;
  let blocks = 0;
  while (at < data.length) {
    at += 4 + new DataView(data.buffer, data.byteOffset + at).getUint32(0);
    blocks++;
  }
  t.is(at, data.length);
  // 256 KiB of rows a block: 64 rows of 4 KiB.
  t.is(blocks, Math.ceil(700 / 64));
});

test('a later block reaches back into the one before it (one LZ4 stream)', (t) => {
  // One row of noise (16 KiB) repeated over 4 blocks of 16 rows: only the first row is literals,
  // each block's first row a match into the block before it.
  const row = noise(4096, 1, 7).pixels;
  const image = makeBitmap(4096, 64, (x) => [...row.subarray(x * 4, x * 4 + 4)]);
  const data = encodeLz4(image, 'rgba');
  // Independent blocks would cost 4 rows of literals; long match lengths cost 1 byte per 255.
  t.true(data.length < row.length * 1.5, `${data.length} bytes`);
  roundTrips(t, image, 'rgba', 'repeated row');
});

test('the decoder refuses hostile input with a reason, never throwing', (t) => {
  const good = encodeLz4(noise(40, 30, 3), 'rgb32');
  const cases: [string, Uint8Array, RegExp][] = [
    ['empty', new Uint8Array(0), /missing header/],
    ['bad format', Uint8Array.of(1, 3), /bitmap format 3/],
    ['no blocks', Uint8Array.of(1, 8), /0 bytes decoded/],
    ['truncated length', good.subarray(0, 4), /truncated block length/],
    ['block longer than the data', good.subarray(0, good.length - 1), /longer than the data/],
    ['match before the start', Uint8Array.of(1, 8, 0, 0, 0, 4, 0x10, 0xaa, 0x05, 0x00), /before the start/],
    ['literals past the block', Uint8Array.of(1, 8, 0, 0, 0, 5, 0xf0, 0xff, 0xff, 0xff, 0x00), /literals past the block/],
  ];
  for (const [name, data, reason] of cases) {
    const r = decodeLz4(data, 40, 30);
    t.false(r.ok, name);
    if (!r.ok) t.regex(r.error, reason, name);
  }
  t.false(decodeLz4(good, 40, 31).ok, 'size other than the descriptor');
  // Every truncation and a byte flipped anywhere: an error or an image, never an exception.
  for (let n = 0; n < good.length; n += 7) t.notThrows(() => decodeLz4(good.subarray(0, n), 40, 30));
  for (let i = 0; i < good.length; i += 5) {
    const bad = good.slice();
    bad[i]! ^= 0x5a;
    t.notThrows(() => decodeLz4(bad, 40, 30));
  }
});
