import test from 'ava';
import { QuicBitReader } from '../../../codecs/image/quic/bit-reader.js';
import { prng } from '../../helpers/prng.js';
import { bitsOf, streamOf } from './bits.js';

test('words are read little-endian, bits from the top of each', (t) => {
  const r = new QuicBitReader(Uint8Array.of(0, 0, 0, 0x80, 0x44, 0x33, 0x22, 0x91));
  t.is(r.window, 0x80000000);
  // The next word's top bits come in below as the window moves (a window zeroed or not refilled fails).
  r.skip(1);
  t.is(r.window, 0x00000001);
  r.skip(3);
  t.is(r.window, 0x00000009);
  r.skip(28);
  t.is(r.window, 0x91223344);
});

test('random codes read back through the window, across word boundaries', (t) => {
  const next = prng(7);
  const codes: Array<[number, number]> = [];
  for (let i = 0; i < 20000; i++) {
    const len = 1 + Math.floor(next() * 31);
    codes.push([Math.floor(next() * 2 ** len), len]);
  }
  const r = new QuicBitReader(streamOf(codes.map(([value, len]) => bitsOf(value, len)).join('')));
  const wrong = codes.findIndex(([value, len]) => {
    const read = r.window >>> (32 - len);
    r.skip(len);
    return read !== value;
  });
  t.is(wrong, -1, wrong < 0 ? '' : `code ${wrong}: expected ${codes[wrong]![0]} in ${codes[wrong]![1]} bits`);
  t.false(r.overrun, 'the trailing zero word covers the last look-ahead');
  t.is(r.window, 0);
});

test('reading past the last word gives zeros and flags the overrun', (t) => {
  const r = new QuicBitReader(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x12, 0x34, 0x56, 0x78, 0x9a));
  t.is(r.window, 0xffffffff);
  r.skip(16);
  r.skip(16);
  t.is(r.window, 0x78563412, 'the 9th byte, not a whole word, is ignored');
  t.false(r.overrun);
  r.skip(8);
  t.true(r.overrun);
  t.is(r.window, 0x56341200);
  t.true(new QuicBitReader(new Uint8Array(3)).overrun, 'less than one word');
});

test('a stream that does not start on a 4-byte boundary reads the same', (t) => {
  const words = Array.from({ length: 10 }, (_, i) => (0x01020304 * (i + 1)) >>> 0);
  const bytes = streamOf(words.map((w) => bitsOf(w, 32)).join(''));
  const backing = new Uint8Array(bytes.length + 1);
  backing.set(bytes, 1);
  const a = new QuicBitReader(bytes);
  const b = new QuicBitReader(backing.subarray(1));
  // Both read the words written, not merely the same thing.
  t.deepEqual(
    words.map(() => b.take32()),
    words,
  );
  t.deepEqual(
    words.map(() => a.take32()),
    words,
  );
});
