import test from 'ava';
import { decodeQuic } from '../../../codecs/image/quic/decoder.js';
import { encodeQuic } from '../../../codecs/image/quic/encoder.js';
import { noise, solid } from '../../helpers/images.js';
import { prng } from '../../helpers/prng.js';
import { blocks, gradient } from './images.js';

/** Time budget of the mutation loop: a bound on the run, not something the test measures. */
const BUDGET_MS = 3000;

const seeds = [
  encodeQuic(blocks(40, 30, 1), 'rgb32'),
  encodeQuic(blocks(40, 30, 2), 'rgba'),
  encodeQuic(gradient(25, 25), 'rgba'),
  encodeQuic(noise(9, 9, 3), 'rgb32'),
  encodeQuic(solid(100, 10, [5, 6, 7, 8]), 'rgba'),
];

type Mutation = (s: Uint8Array, next: () => number) => Uint8Array;
const at = (s: Uint8Array, next: () => number) => Math.floor(next() * s.length);
const mutations: Mutation[] = [
  (s, next) => {
    const c = s.slice();
    const bit = Math.floor(next() * c.length * 8);
    c[bit >> 3]! ^= 1 << (bit & 7);
    return c;
  },
  (s, next) => {
    const c = s.slice();
    c[at(c, next)] = Math.floor(next() * 256);
    return c;
  },
  (s, next) => s.slice(0, at(s, next)),
  (s, next) => {
    const i = at(s, next);
    const n = 1 + Math.floor(next() * 16);
    return Uint8Array.from([...s.subarray(0, i), ...s.subarray(i + n)]);
  },
  (s, next) => {
    const i = at(s, next);
    return Uint8Array.from([
      ...s.subarray(0, i),
      ...Array.from({ length: 1 + Math.floor(next() * 16) }, () => Math.floor(next() * 256)),
      ...s.subarray(i),
    ]);
  },
  (s, next) => {
    const c = s.slice();
    c.fill(next() < 0.5 ? 0 : 0xff, at(c, next), at(c, next));
    return c;
  },
  // Header fields: a size word set to something near the edges, shifted by the 16-bit halves.
  (s, next) => {
    const c = s.slice();
    const v = new DataView(c.buffer);
    const field = 12 + 4 * Math.floor(next() * 2);
    if (c.length >= field + 4) v.setUint32(field, [1, 2, 3, 0xffff, 0x10000, 0x7fffffff, 0x80000000][Math.floor(next() * 7)]!, true);
    return c;
  },
];

test(`mutation fuzz: ${BUDGET_MS} ms of damaged streams never throw`, (t) => {
  const next = prng(0x5eed);
  const end = Date.now() + BUDGET_MS;
  let runs = 0;
  let decoded = 0;
  while (Date.now() < end) {
    let stream = seeds[runs % seeds.length]!;
    const depth = 1 + Math.floor(next() * 4);
    for (let i = 0; i < depth; i++) stream = mutations[Math.floor(next() * mutations.length)]!(stream, next);
    let result;
    try {
      result = decodeQuic(stream);
    } catch (err) {
      return t.fail(`run ${runs} threw: ${String(err)} on ${Buffer.from(stream).toString('hex')}`);
    }
    if (result.ok) {
      decoded++;
      const { width, height, stride, pixels } = result.value.bitmap;
      if (pixels.length !== stride * height || stride !== width * 4) return t.fail(`run ${runs}: inconsistent bitmap`);
    }
    runs++;
  }
  t.log(`${runs} mutated streams, ${decoded} decoded`);
  t.true(runs > 100);
});
