import test from 'ava';
import { QuicBitReader } from '../../../codecs/image/quic/bit-reader.js';
import { CODES, family8, golombDecode } from '../../../codecs/image/quic/family.js';
import { Melcode } from '../../../codecs/image/quic/melcode.js';
import { bitsOf, streamOf } from './bits.js';

// Expected values worked out by hand from quic.c family_init(8, DEFmaxclen = 26) and
// find_model_params with DEFevol 3.
test('the 8-bit family has quic.c code parameters', (t) => {
  t.deepEqual([...family8.grCount], [18, 36, 72, 144, 240, 224, 192, 128]);
  t.deepEqual([...family8.escapeLen], [26, 26, 26, 25, 19, 12, 9, 8]);
  t.deepEqual(
    [...family8.bucketStart],
    [0, 1, 3, 7, 15, 31, 63, 127, 256],
    'buckets of 1, 2, 4, ... contexts, the last one taking the rest',
  );
  t.is(family8.buckets, 8);
  t.is(Math.max(...family8.codeLen), 26, 'DEFmaxclen');
});

test('every codeword of every code decodes back to its value and length', (t) => {
  for (let l = 0; l < 8; l++) {
    let kraft = 0;
    for (let n = 0; n < 256; n++) {
      // As the family's comment defines it: n >> l zeros, a one, l low bits; or the escape.
      const grCount = family8.grCount[l]!;
      const bits = n < grCount ? '0'.repeat(n >>> l) + '1' + bitsOf(n & ((1 << l) - 1), l) : bitsOf(n - grCount, family8.escapeLen[l]!);
      const len = bits.length;
      t.is(len, family8.codeLen[n * CODES + l]);
      kraft += 2 ** -len;
      const window = parseInt(bits.padEnd(32, '0'), 2) >>> 0;
      const read = golombDecode(family8, l, window);
      if (read !== ((len << 8) | n)) return t.fail(`code ${l} value ${n}`);
    }
    t.true(kraft <= 1, `code ${l} is a prefix code`);
  }
});

test('residual unfolding maps 0, 1, 2, 3, ... to 0, -1, 1, -2, ... one to one', (t) => {
  t.deepEqual([...family8.unfold.subarray(0, 5)], [0, 255, 1, 254, 2]);
  t.is(family8.unfold[255], 128);
  t.is(new Set(family8.unfold).size, 256);
});

// Streams worked out by hand from quic.c encode_state_run: a hit per whole expected run (each
// raising the state), a 0, the remainder in J[state] bits; then the state drops by one.
test('MELCODE: a first run of 0 is one 0 bit, a run of 1 is a hit then 0', (t) => {
  const reader = new QuicBitReader(streamOf('0 10'));
  const m = new Melcode();
  t.deepEqual([m.decode(reader), m.decode(reader)], [0, 1]);
});

test('MELCODE: a first run of 100 is 18 hits, then 8 in J[18] = 5 bits; the next expectation is J[17]', (t) => {
  // States 0-3 expect 1 pixel, 4-7 2, 8-11 4, 12-15 8, 16-17 16, 18 32: 4 + 8 + 16 + 32 + 32 = 92 pixels in 18 hits.
  const reader = new QuicBitReader(streamOf('1'.repeat(18) + '0' + '01000' + '1' + '0' + '00011'));
  const m = new Melcode();
  t.deepEqual([m.decode(reader), m.decode(reader)], [100, 16 + 3]);
  t.false(reader.overrun);
});
