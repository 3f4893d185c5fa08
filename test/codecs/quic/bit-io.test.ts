import test from 'ava';
import { QuicBitReader } from '../../../codecs/image/quic/bit-reader.js';
import { QuicBitWriter } from '../../../codecs/image/quic/bit-writer.js';
import { prng } from '../../helpers/prng.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

test('bits fill each word from the top and words are stored little-endian', (t) => {
  const w = new QuicBitWriter(1);
  w.put(1, 1);
  t.is(hex(w.finish()), '00000080' + '00000000');
});

test('the stream ends with the last word padded, then one zero word, as quic.c flush() leaves it', (t) => {
  const full = new QuicBitWriter(1);
  full.put32(0x11223344);
  t.is(hex(full.finish()), '44332211' + '00000000', 'a full word is written, then the zero word');
  const partial = new QuicBitWriter(1);
  partial.put32(0x11223344);
  partial.put(0b101, 3);
  t.is(hex(partial.finish()), '44332211' + '000000a0' + '00000000');
});

test('random codes read back through the window, across word boundaries and buffer growth', (t) => {
  const next = prng(7);
  const codes: Array<[number, number]> = [];
  const w = new QuicBitWriter(1);
  for (let i = 0; i < 20000; i++) {
    const len = 1 + Math.floor(next() * 31);
    const value = Math.floor(next() * 2 ** len);
    codes.push([value, len]);
    w.put(value, len);
  }
  const bytes = w.finish();
  t.is(bytes.length % 4, 0);
  const r = new QuicBitReader(bytes);
  for (const [value, len] of codes) {
    if (r.window >>> (32 - len) !== value) return t.fail(`expected ${value} in ${len} bits`);
    r.skip(len);
  }
  t.false(r.overrun, 'the trailing zero word covers the last look-ahead');
  t.is(r.window, 0);
});

test('putOnes writes any number of one bits', (t) => {
  const w = new QuicBitWriter(1);
  w.putOnes(70);
  w.put(0, 1);
  const r = new QuicBitReader(w.finish());
  let ones = 0;
  while (r.window >>> 31 === 1) {
    ones++;
    r.skip(1);
  }
  t.is(ones, 70);
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
  const w = new QuicBitWriter(1);
  for (let i = 0; i < 10; i++) w.put32(0x01020304 * i);
  const bytes = w.finish();
  const backing = new Uint8Array(bytes.length + 1);
  backing.set(bytes, 1);
  const a = new QuicBitReader(bytes);
  const b = new QuicBitReader(backing.subarray(1));
  for (let i = 0; i < 10; i++) t.is(b.take32(), a.take32());
});
