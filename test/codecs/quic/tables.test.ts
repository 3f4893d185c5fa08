import test from 'ava';
import { QuicBitReader } from '../../../codecs/image/quic/bit-reader.js';
import { QuicBitWriter } from '../../../codecs/image/quic/bit-writer.js';
import { CODES, family8, golombDecode } from '../../../codecs/image/quic/family.js';
import { Melcode } from '../../../codecs/image/quic/melcode.js';

// Expected values worked out by hand from quic.c family_init(8, DEFmaxclen = 26) and
// find_model_params with DEFevol 3.
test('the 8-bit family has quic.c code parameters', (t) => {
  t.deepEqual([...family8.grCount], [18, 36, 72, 144, 240, 224, 192, 128]);
  t.deepEqual([...family8.escapeLen], [26, 26, 26, 25, 19, 12, 9, 8]);
  t.deepEqual([...family8.bucketStart], [0, 1, 3, 7, 15, 31, 63, 127, 256], 'buckets of 1, 2, 4, ... contexts, the last one taking the rest');
  t.is(family8.buckets, 8);
  t.is(Math.max(...family8.codeLen), 26, 'DEFmaxclen');
});

test('every codeword of every code decodes back to its value and length', (t) => {
  for (let l = 0; l < 8; l++) {
    let kraft = 0;
    for (let n = 0; n < 256; n++) {
      const codeword = family8.codeword[n * CODES + l]!;
      const len = codeword & 31;
      t.is(len, family8.codeLen[n * CODES + l]);
      kraft += 2 ** -len;
      const window = ((codeword >>> 5) * 2 ** (32 - len)) >>> 0;
      const read = golombDecode(family8, l, window);
      if (read !== ((len << 8) | n)) return t.fail(`code ${l} value ${n}`);
    }
    t.true(kraft <= 1, `code ${l} is a prefix code`);
  }
});

test('residual folding maps 0, -1, 1, -2, ... to 0, 1, 2, 3, ... and back', (t) => {
  t.deepEqual([...family8.fold.subarray(0, 3)], [0, 2, 4]);
  t.deepEqual([family8.fold[255], family8.fold[254], family8.fold[128]], [1, 3, 255]);
  for (let s = 0; s < 256; s++) t.is(family8.unfold[family8.fold[s]!], s);
});

test('MELCODE runs read back with the expectation moving the same way on both sides', (t) => {
  const runs = [0, 1, 5, 100, 3, 70000, 0, 2, 40000, 1, 0, 0, 7, 1 << 20, 12];
  const writer = new QuicBitWriter(4);
  const out = new Melcode();
  for (const run of runs) out.encode(writer, run);
  const reader = new QuicBitReader(writer.finish());
  const back = new Melcode();
  t.deepEqual(runs.map(() => back.decode(reader)), runs);
  t.false(reader.overrun);
});

test('MELCODE: a first run of 0 is one 0 bit, a run of 1 is a hit then 0', (t) => {
  const writer = new QuicBitWriter(1);
  const m = new Melcode();
  m.encode(writer, 0);
  m.encode(writer, 1);
  t.is(Buffer.from(writer.finish()).toString('hex'), '00000040' + '00000000', 'bits 0, 1, 0');
});
