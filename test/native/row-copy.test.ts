import test from 'ava';
import { copyRows } from '../../native/index.js';

const bytes = (n: number, shared = false) => {
  const a = new Uint8Array(shared ? new SharedArrayBuffer(n) : new ArrayBuffer(n));
  for (let i = 0; i < n; i++) a[i] = (i * 7 + 3) & 0xff;
  return a;
};

/** The same copy, a byte at a time. */
function reference(
  dst: Uint8Array,
  dOff: number,
  dStride: number,
  src: Uint8Array,
  sOff: number,
  sStride: number,
  row: number,
  rows: number,
) {
  const from = src.slice();
  for (let y = 0; y < rows; y++) for (let x = 0; x < row; x++) dst[dOff + y * dStride + x] = from[sOff + y * sStride + x]!;
}

test('copyRows copies rows between strides, into and out of shared memory, as a byte loop does', (t) => {
  for (const [dShared, sShared] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    const src = bytes(4000, sShared);
    const dst = bytes(5000, dShared).fill(0);
    const want = dst.slice();
    copyRows(dst, 13, 120, src, 7, 100, 64, 30);
    reference(want, 13, 120, src, 7, 100, 64, 30);
    t.deepEqual(dst, want);
    // Packed rows on both sides: one move.
    copyRows(dst, 0, 64, src, 0, 64, 64, 50);
    t.deepEqual(dst.subarray(0, 3200), src.subarray(0, 3200));
  }
});

test('copyRows within one buffer reads each row before it is overwritten, moving down or up', (t) => {
  for (const [dOff, sOff] of [
    [300, 0],
    [0, 300],
  ] as const) {
    const a = bytes(3000, true);
    const want = a.slice();
    copyRows(a, dOff, 100, a, sOff, 100, 80, 20);
    reference(want, dOff, 100, want, sOff, 100, 80, 20);
    t.deepEqual(a, want);
  }
});

test('copyRows refuses rows that do not fit either buffer, and wrong arguments, touching nothing', (t) => {
  const src = bytes(1000);
  const dst = new Uint8Array(1000);
  t.throws(() => copyRows(dst, 0, 100, src, 0, 100, 100, 11), { instanceOf: RangeError });
  t.throws(() => copyRows(dst, 901, 100, src, 0, 100, 100, 1), { instanceOf: RangeError });
  t.throws(() => copyRows(dst, 0, 100, src, 0, 100, 101, 10), { instanceOf: RangeError });
  t.throws(() => copyRows(dst, -1, 100, src, 0, 100, 10, 1), { instanceOf: TypeError });
  t.throws(() => copyRows(dst, 0.5, 100, src, 0, 100, 10, 1), { instanceOf: TypeError });
  t.throws(() => copyRows(new Uint16Array(10) as unknown as Uint8Array, 0, 2, src, 0, 2, 2, 1), { instanceOf: TypeError });
  t.true(dst.every((b) => b === 0));
  // Nothing to copy is no error, wherever it points.
  copyRows(dst, 5000, 0, src, 5000, 0, 0, 3);
  copyRows(dst, 5000, 0, src, 5000, 0, 10, 0);
});
