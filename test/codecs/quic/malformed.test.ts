import test from 'ava';
import { decodeQuic } from '../../../codecs/image/quic/decoder.js';
import { encodeQuic } from '../../../codecs/image/quic/encoder.js';
import { QUIC_MAX_PIXELS } from '../../../codecs/image/quic/format.js';
import { packed } from '../../helpers/images.js';
import { prng } from '../../helpers/prng.js';
import { blocks, firstDifference, gradient } from './images.js';

/** A stream with its five header words replaced. */
function withHeader(stream: Uint8Array, header: readonly number[]): Uint8Array {
  const copy = stream.slice();
  const view = new DataView(copy.buffer);
  header.forEach((word, i) => view.setUint32(i * 4, word >>> 0, true));
  return copy;
}

const error = (stream: Uint8Array, options?: { maxPixels?: number }) => {
  const r = decodeQuic(stream, options);
  return r.ok ? 'decoded' : r.error;
};

const sample = encodeQuic(blocks(30, 20, 1), 'rgba');

test('header checks: magic, version, type, size', (t) => {
  t.regex(error(withHeader(sample, [0x43495552])), /bad magic/);
  t.regex(error(withHeader(sample, [0x43495551, 1])), /unsupported version/);
  t.regex(error(withHeader(sample, [0x43495551, 0x10000])), /unsupported version/);
  for (const type of [0, 6, 0xffffffff]) t.regex(error(withHeader(sample, [0x43495551, 0, type])), /bad image type/);
  for (const type of [1, 2]) t.regex(error(withHeader(sample, [0x43495551, 0, type])), /not decoded to 32-bit/);
  for (const [w, h] of [
    [0, 20],
    [30, 0],
    [2 ** 31, 1],
    [1, 0xffffffff],
  ]) {
    t.regex(error(withHeader(sample, [0x43495551, 0, 5, w!, h!])), /invalid size/);
  }
  t.regex(error(withHeader(sample, [0x43495551, 0, 5, 65536, 8192])), /image too large/, '512 Mi pixels');
  t.true(65536 * 8192 > QUIC_MAX_PIXELS);
  t.regex(error(withHeader(sample, [0x43495551, 0, 5, 16384, 8192])), /over the 67108864-pixel limit/, 'the default cap');
  t.regex(error(sample, { maxPixels: 599 }), /over the 599-pixel limit/);
  t.is(error(sample, { maxPixels: 600 }), 'decoded');
});

test('an RGB24 stream is the RGB32 bitstream and decodes to rgb32', (t) => {
  const bmp = gradient(33, 17);
  const r = decodeQuic(withHeader(encodeQuic(bmp, 'rgb32'), [0x43495551, 0, 3]));
  t.true(r.ok && r.value.format === 'rgb32' && firstDifference(r.value.bitmap.pixels, packed(bmp, 'rgb32')) === -1);
});

test('a large image in a tiny stream is refused before its pixels are allocated', (t) => {
  t.regex(error(withHeader(sample, [0x43495551, 0, 4, 8000, 8000])), /too short for its image size/);
});

test('every prefix of a stream is refused or, if only the zero tail is cut, decodes the same', (t) => {
  for (const format of ['rgb32', 'rgba'] as const) {
    const bmp = blocks(23, 11, 2);
    const stream = encodeQuic(bmp, format);
    let refused = 0;
    for (let cut = 0; cut < stream.length; cut++) {
      const r = decodeQuic(stream.subarray(0, cut));
      if (!r.ok) refused++;
      else {
        t.true(cut >= stream.length - 4, `${format}: only the last word may go (cut at ${cut})`);
        t.is(firstDifference(r.value.bitmap.pixels, packed(bmp, format)), -1);
      }
    }
    t.true(refused >= stream.length - 4, `${format}: ${refused} of ${stream.length} prefixes refused`);
  }
});

test('seeded random damage gives a clean result or a clean error', (t) => {
  const next = prng(99);
  const streams = [sample, encodeQuic(gradient(40, 9), 'rgb32'), encodeQuic(blocks(300, 4, 3), 'rgb32')];
  let refused = 0;
  for (let round = 0; round < 3000; round++) {
    const copy = streams[round % streams.length]!.slice();
    const edits = 1 + Math.floor(next() * 8);
    for (let i = 0; i < edits; i++) copy[Math.floor(next() * copy.length)] = Math.floor(next() * 256);
    const r = decodeQuic(copy);
    if (!r.ok) {
      refused++;
      continue;
    }
    const { width, height, stride, pixels } = r.value.bitmap;
    t.true(width > 0 && height > 0 && stride === width * 4 && pixels.length === stride * height);
  }
  t.log(`${refused} of 3000 damaged streams refused`);
  t.true(refused > 0);
});

test('runs that overshoot their segment are refused, not written past it', (t) => {
  // A flat image is almost all runs; ones written over the run coding make the runs too long.
  const stream = encodeQuic(blocks(64, 8, 5), 'rgb32');
  let overshoots = 0;
  for (let at = 24; at < stream.length - 4; at++) {
    const copy = stream.slice();
    copy[at] = 0xff;
    const r = decodeQuic(copy);
    if (!r.ok && /run past the end/.test(r.error)) overshoots++;
  }
  t.true(overshoots > 0);
});
