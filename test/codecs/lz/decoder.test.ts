import test from 'ava';
import { decodeLz } from '../../../codecs/image/lz/decoder.js';
import { encodeLz } from '../../../codecs/image/lz/encoder.js';
import { LZ_HEADER_SIZE, LzImageType, writeHeader } from '../../../codecs/image/lz/format.js';
import { makeBitmap, noise } from '../../helpers/images.js';

/** A hand-made LZ payload: header fields then stream bytes. */
function stream(
  type: number,
  width: number,
  height: number,
  body: readonly number[],
  opts: { stride?: number; topDown?: number } = {},
): Uint8Array {
  const bpp = type === LzImageType.RGB16 ? 2 : type === LzImageType.RGB24 ? 3 : 4;
  const out = new Uint8Array(LZ_HEADER_SIZE + body.length);
  writeHeader(out, { type, width, height, stride: opts.stride ?? width * bpp, topDown: opts.topDown ?? 1 });
  out.set(body, LZ_HEADER_SIZE);
  return out;
}

const pixelsOf = (s: Uint8Array) => {
  const d = decodeLz(s);
  if (!d.ok) throw new Error(d.error);
  return [...d.value.pixels];
};
const errorOf = (s: Uint8Array, maxPixels?: number) => {
  const d = decodeLz(s, maxPixels === undefined ? {} : { maxPixels });
  return d.ok ? 'ok' : d.error;
};

test('literal runs, a run match and a copy match decode as spice-common reads them', (t) => {
  // 6x1: 2 literals, a run of 2 (distance 1), then a copy of 2 from distance 4.
  const s = stream(LzImageType.RGB32, 6, 1, [1, 1, 2, 3, 4, 5, 6, (2 << 5) | 0, 0, (2 << 5) | 0, 3]);
  t.deepEqual(pixelsOf(s), [1, 2, 3, 0, 4, 5, 6, 0, 4, 5, 6, 0, 4, 5, 6, 0, 1, 2, 3, 0, 4, 5, 6, 0]);
});

test('length escape: field 7 plus 255-continued bytes', (t) => {
  // 1 literal then a run of 7 + 255 + 10 = 272 pixels.
  const s = stream(LzImageType.RGB32, 273, 1, [0, 9, 8, 7, 7 << 5, 255, 10, 0]);
  const px = pixelsOf(s);
  t.is(px.length, 273 * 4);
  t.true(px.every((v, i) => v === [9, 8, 7, 0][i % 4]));
});

test('far distance: high bits 31 and low byte 255 announce a 16-bit distance above 8191', (t) => {
  const lits: number[] = [];
  for (let i = 0; i < 8193; i += 32) {
    const count = Math.min(32, 8193 - i);
    lits.push(count - 1);
    for (let k = 0; k < count; k++) lits.push((i + k) & 0xff, (i + k) >> 8, 1);
  }
  // One pixel copied from 8193 back (biased 8192 = MAX_DISTANCE + 1): pixel 0 again.
  const s = stream(LzImageType.RGB32, 8194, 1, [...lits, (1 << 5) | 31, 255, 0, 1]);
  const px = pixelsOf(s);
  t.deepEqual(px.slice(8193 * 4), [0, 0, 1, 0]);
  t.deepEqual(px.slice(8192 * 4, 8193 * 4), [0, 32, 1, 0]);
});

test('RGB24 streams decode like RGB32; RGB16 literals widen 5 bits to 8 and matches copy field+1 pixels', (t) => {
  t.deepEqual(pixelsOf(stream(LzImageType.RGB24, 2, 1, [1, 1, 2, 3, 4, 5, 6])), [1, 2, 3, 0, 4, 5, 6, 0]);
  // Red 0x7c00 and green 0x03e0, then a match of field 1 (2 pixels) from distance 2.
  const s = stream(LzImageType.RGB16, 4, 1, [1, 0x7c, 0x00, 0x03, 0xe0, (1 << 5) | 0, 1]);
  t.deepEqual(pixelsOf(s), [0, 0, 255, 0, 0, 255, 0, 0, 0, 0, 255, 0, 0, 255, 0, 0]);
  t.deepEqual(pixelsOf(stream(LzImageType.RGB16, 1, 1, [0, 0x04, 0x21])), [8, 8, 8, 0]);
});

test('RGBA: the alpha pass follows the RGB pass, its matches copy field+2 pixels', (t) => {
  const s = stream(LzImageType.RGBA, 4, 1, [3, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 0, 77, (1 << 5) | 0, 0]);
  const d = decodeLz(s);
  t.true(d.ok && d.value.format === 'rgba');
  t.deepEqual(pixelsOf(s), [1, 1, 1, 77, 2, 2, 2, 77, 3, 3, 3, 77, 4, 4, 4, 77]);
});

test('a bottom-up stream comes out top-down', (t) => {
  t.deepEqual(pixelsOf(stream(LzImageType.RGB32, 1, 2, [1, 1, 1, 1, 2, 2, 2], { topDown: 0 })), [2, 2, 2, 0, 1, 1, 1, 0]);
});

test('malformed streams are error values', (t) => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['literal run past the end', stream(LzImageType.RGB32, 1, 1, [1, 1, 1, 1, 2, 2, 2]), /literal run past/],
    ['match before the start', stream(LzImageType.RGB32, 2, 1, [0, 1, 1, 1, (1 << 5) | 0, 1]), /before the start/],
    ['far match before the start', stream(LzImageType.RGB32, 2, 1, [0, 1, 1, 1, (1 << 5) | 31, 255, 0, 0]), /before the start/],
    ['match past the end', stream(LzImageType.RGB32, 2, 1, [0, 1, 1, 1, (2 << 5) | 0, 0]), /match past/],
    ['length escape past the end', stream(LzImageType.RGB32, 300, 1, [0, 1, 1, 1, 7 << 5, 255, 255]), /truncated/],
    ['trailing bytes', stream(LzImageType.RGB32, 1, 1, [0, 1, 2, 3, 0]), /trailing/],
    ['alpha pass missing', stream(LzImageType.RGBA, 1, 1, [0, 1, 2, 3]), /truncated/],
    ['empty stream', stream(LzImageType.RGB32, 1, 1, []), /too short|truncated/],
  ];
  for (const [name, s, error] of cases) t.regex(errorOf(s), error, name);
});

test('bad headers are error values', (t) => {
  const good = encodeLz(noise(4, 3, 1), 'rgb32');
  const patched = (offset: number, word: number) => {
    const s = good.slice();
    new DataView(s.buffer).setUint32(offset, word, false);
    return s;
  };
  const cases: [string, Uint8Array, RegExp][] = [
    ['short header', good.slice(0, 27), /truncated header/],
    ['magic byte-swapped', patched(0, 0x4c5a2020), /bad magic/],
    ['version 1.0', patched(4, 0x00010000), /version/],
    ['type 0', patched(8, 0), /unsupported image type/],
    ['palette type PLT8', patched(8, LzImageType.PLT8), /unsupported image type/],
    ['type 12', patched(8, 12), /unsupported image type/],
    ['width 0', patched(12, 0), /empty/],
    ['height 0', patched(16, 0), /empty/],
    ['width*height overflows 32 bits', patched(12, 0xffffffff), /size limit/],
    ['stride not width*4', patched(20, 20), /stride/],
    ['more pixels than the stream can hold', patched(16, 100000), /too short/],
  ];
  for (const [name, s, error] of cases) t.regex(errorOf(s), error, name);
  t.regex(errorOf(good, 11), /size limit/, 'maxPixels');
  // width*4 wraps to 4 in 32-bit arithmetic; here it must not, whatever the size limit.
  t.regex(errorOf(stream(LzImageType.RGB32, 0x40000001, 1, [0], { stride: 4 }), 2 ** 40), /stride/, 'stride wrap');
  t.is(errorOf(good, 12), 'ok');
});

test('every proper prefix of a stream is an error, never an exception', (t) => {
  const bitmap = makeBitmap(23, 9, (x, y) => [x & 3 ? 10 : x, y, (x * y) & 0x0f, x < 12 ? 255 : x]);
  const decodedPrefixes: string[] = [];
  for (const format of ['rgb32', 'rgba'] as const) {
    const s = encodeLz(bitmap, format);
    t.true(decodeLz(s).ok);
    for (let len = 0; len < s.length; len++) if (decodeLz(s.subarray(0, len)).ok) decodedPrefixes.push(`${format}: ${len} of ${s.length}`);
  }
  t.deepEqual(decodedPrefixes, []);
});
