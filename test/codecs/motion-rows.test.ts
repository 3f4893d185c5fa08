import test from 'ava';
import { rowHashes, rowsEqual } from '../../codecs/motion/rows.js';
import { nativeRowHashes, nativeRowsEqual } from '../../native/index.js';

function picture(width: number, height: number, seed: number): Uint32Array {
  const w = new Uint32Array(new SharedArrayBuffer(width * height * 4));
  let s = seed;
  for (let i = 0; i < w.length; i++) w[i] = s = (Math.imul(s, 1103515245) + 12345) >>> 0;
  return w;
}

test('row hashes: rows with the same colours hash alike wherever they are, whatever their 4th bytes; a changed pixel changes the hash', (t) => {
  for (const width of [1, 7, 8, 9, 300, 1921]) {
    const w = picture(width + 5, 6, width);
    // Row 3 is row 1 shifted: the same pixels from x 2 at row 1 and from x 2 at row 3, with other 4th bytes.
    for (let i = 0; i < width; i++) w[3 * (width + 5) + 2 + i] = (w[width + 5 + 2 + i]! & 0xffffff) | 0x5a000000;
    const h = rowHashes(w, width + 5, 2, 0, width, 6);
    t.is(h[3], h[1], `${width} wide`);
    t.not(h[2], h[1]);
    w[3 * (width + 5) + 2 + (width >> 1)]! ^= 0x010000;
    t.not(rowHashes(w, width + 5, 2, 3, width, 1)[0], h[1], 'one pixel of another red');
    t.true(rowsEqual(w, width + 5, 2, 1, w, width + 5, 2, 1, width));
    t.false(rowsEqual(w, width + 5, 2, 3, w, width + 5, 2, 1, width), `${width} wide: the changed pixel found`);
  }
});

test('row compares: the short (JS) and long (C++) paths agree, the 4th byte ignored, a difference found at any column', (t) => {
  const width = 600;
  const a = picture(width, 2, 7);
  const b = a.slice();
  for (let i = 0; i < b.length; i++) b[i] = (b[i]! & 0xffffff) | 0xff000000;
  for (const cols of [1, 255, 256, 600]) t.true(rowsEqual(a, width, 0, 1, b, width, 0, 1, cols), `${cols} columns`);
  for (const at of [0, 63, 64, 255, 256, 599]) {
    const c = b.slice();
    c[width + at]! ^= 0x000100;
    t.false(rowsEqual(a, width, 0, 1, c, width, 0, 1, width), `differs at ${at}`);
    t.is(rowsEqual(a, width, 0, 1, c, width, 0, 1, 200), at >= 200, `200 columns, differs at ${at}`);
  }
});

test('the native row passes refuse rows outside the pixels and wrong arguments', (t) => {
  const w = picture(10, 10, 1);
  const out = new Int32Array(10);
  t.throws(() => nativeRowHashes(w, 10, 1, 0, 10, 10, out), { instanceOf: RangeError });
  t.throws(() => nativeRowHashes(w, 10, 0, 0, 10, 11, new Int32Array(11)), { instanceOf: RangeError });
  t.throws(() => nativeRowHashes(w, 10, 0, 0, 10, 10, new Int32Array(9)), { instanceOf: RangeError });
  t.throws(() => nativeRowHashes(w, 10, -1, 0, 10, 10, out), { instanceOf: TypeError });
  t.throws(() => nativeRowsEqual(w, 10, 0, 9, w, 10, 1, 9, 10), { instanceOf: RangeError });
  t.throws(() => nativeRowsEqual(new Uint8Array(40) as unknown as Uint32Array, 10, 0, 0, w, 10, 0, 0, 1), { instanceOf: TypeError });
  t.throws(() => nativeRowsEqual(w, 10, 0, 5, w, 10, 0, 0, 10, 6), { instanceOf: RangeError }, 'a block past the last row');
  t.throws(() => nativeRowsEqual(w, 10, 0, 0, w, 10, 0, 0, 10, -1), { instanceOf: TypeError });
});

test('block compares (a motion tile in one call): the JS (under 256 pixels) and C++ paths agree, each row from its own corner, a difference found in any row', (t) => {
  const stride = 50;
  const a = picture(stride, 40, 3);
  // b holds a's 20x20 block from (5, 7) at (25, 13), with other 4th bytes.
  const b = picture(stride, 40, 4);
  for (let r = 0; r < 20; r++)
    for (let i = 0; i < 20; i++) b[(13 + r) * stride + 25 + i] = (a[(7 + r) * stride + 5 + i]! & 0xffffff) | 0x77000000;
  for (const [w, h] of [
    [15, 15],
    [16, 16],
    [20, 20],
    [3, 20],
  ] as const) {
    t.true(rowsEqual(a, stride, 5, 7, b, stride, 25, 13, w, h), `${w}x${h}`);
    t.false(rowsEqual(a, stride, 5, 7, b, stride, 25, 12, w, h), `${w}x${h}, one row off`);
    const c = b.slice();
    c[(13 + h - 1) * stride + 25 + w - 1]! ^= 0x000001;
    t.false(rowsEqual(a, stride, 5, 7, c, stride, 25, 13, w, h), `${w}x${h}: its last pixel differs`);
    t.true(rowsEqual(a, stride, 5, 7, c, stride, 25, 13, w, h - 1), `${w}x${h - 1}: the rows above it are the same`);
  }
});
