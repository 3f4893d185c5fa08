import test from 'ava';
import { gradualityLevel, gradualityScore } from '../../codecs/image/graduality.js';
import { nativeAnchorHashes, nativeGradualityScore, nativeRollingMatches, nativeTileKinds } from '../../native/index.js';

function picture(width: number, height: number, seed: number): Uint32Array {
  const w = new Uint32Array(width * height);
  let s = seed;
  for (let i = 0; i < w.length; i++) w[i] = s = (Math.imul(s, 1103515245) + 12345) >>> 0;
  return w;
}

/** The anchors' hash of the run of `n` pixels from `from`, as moves.ts gets it. */
function anchorHash(w: Uint32Array, from: number, n: number): number {
  const out = new Int32Array(1);
  nativeAnchorHashes(w, Int32Array.of(from), 1, n, out);
  return out[0]!;
}

test('anchor hashes: h * B + colour over the run, 32 bits, the 4th byte not shown', (t) => {
  const w = Uint32Array.of(0xff000001, 0x00000002, 0x7f000003);
  // ((1 * B) + 2) * B + 3, modulo 2^32, as a signed 32-bit number.
  const B = 0x01000193;
  t.is(anchorHash(w, 0, 3), (Math.imul(Math.imul(1, B) + 2, B) + 3) | 0);
  t.is(anchorHash(w, 0, 3), anchorHash(Uint32Array.of(1, 2, 3), 0, 3));
  t.throws(() => nativeAnchorHashes(w, Int32Array.of(1), 1, 3, new Int32Array(1)), { instanceOf: RangeError }, 'a run past the words');
  t.throws(() => nativeAnchorHashes(w, Int32Array.of(-1), 1, 1, new Int32Array(1)), { instanceOf: RangeError }, 'a run before them');
  t.throws(() => nativeAnchorHashes(w, Int32Array.of(0), 2, 1, new Int32Array(2)), { instanceOf: RangeError }, 'count beyond starts');
  t.throws(() => nativeAnchorHashes(w, new Int32Array(2), 2, 1, new Int32Array(1)), { instanceOf: RangeError }, 'count beyond out');
  // @ts-expect-error: the starts must be an Int32Array
  t.throws(() => nativeAnchorHashes(w, new Uint32Array(1), 1, 1, new Int32Array(1)), { instanceOf: TypeError });
});

test('rolling matches: every run whose hash passes the filter, rolled to the hash the anchors get; rows go on where the room ended', (t) => {
  const stride = 90;
  const w = picture(stride, 30, 5);
  const [x0, y0, width, height, anchor] = [3, 2, 80, 25, 8];
  // Pass everything: each place's hash must be its run's hash.
  const all = new Uint8Array(1 << 16).fill(1);
  const room = new Int32Array(1 + 3 * 200);
  const got: number[][] = [];
  let calls = 0;
  for (let from = 0; from < height; calls++) {
    const next = nativeRollingMatches(w, stride, x0, y0, width, height, anchor, all, from, room);
    t.true(next > from, 'each call takes at least a row');
    for (let m = 0; m < room[0]!; m++) got.push([room[1 + 3 * m]!, room[2 + 3 * m]!, room[3 + 3 * m]!]);
    from = next;
  }
  t.true(calls > 1, 'the room held fewer than all the rows');
  t.is(got.length, (width - anchor + 1) * height);
  for (const [x, y, h] of got) if (h !== anchorHash(w, (y0 + y!) * stride + x0 + x!, anchor)) return t.fail(`hash at ${x},${y}`);
  // A filter with one hash's low bits lets through that run (and only runs sharing those bits).
  const [tx, ty] = [40, 11];
  const want = anchorHash(w, (y0 + ty) * stride + x0 + tx, anchor);
  const one = new Uint8Array(1 << 16);
  one[want & 0xffff] = 1;
  const out = new Int32Array(1 + 3 * width);
  let found = false;
  for (let from = 0; from < height; ) {
    from = nativeRollingMatches(w, stride, x0, y0, width, height, anchor, one, from, out);
    for (let m = 0; m < out[0]!; m++) {
      t.is(out[3 + 3 * m]! & 0xffff, want & 0xffff);
      if (out[1 + 3 * m] === tx && out[2 + 3 * m] === ty) found = true;
    }
  }
  t.true(found);
});

test('rolling matches refuse rows outside the pixels, a filter of another size and too little room', (t) => {
  const w = picture(20, 10, 1);
  const seen = new Uint8Array(1 << 16);
  t.throws(() => nativeRollingMatches(w, 20, 1, 0, 20, 10, 4, seen, 0, new Int32Array(100)), { instanceOf: RangeError });
  t.throws(() => nativeRollingMatches(w, 20, 0, 0, 20, 10, 4, new Uint8Array(100), 0, new Int32Array(100)), { instanceOf: RangeError });
  t.throws(() => nativeRollingMatches(w, 20, 0, 0, 20, 10, 4, seen, 0, new Int32Array(3 * 17)), { instanceOf: RangeError });
  t.throws(() => nativeRollingMatches(w, 20, 0, 0, 20, 10, 4, seen, -1, new Int32Array(100)), { instanceOf: TypeError });
  t.is(nativeRollingMatches(w, 20, 0, 0, 3, 10, 4, seen, 0, new Int32Array(1)), 10, 'runs longer than the rows: done at once');
});

test('tile kinds: moved by the first offset that shows a tile, unchanged, unchanged and also moved, or an image; sources outside the picture never', (t) => {
  const W = 64;
  const H = 48;
  const old = picture(W, H, 9);
  // The new picture of the box (16,16)-(48,48), 32x32 = 2x2 tiles, in its own array at (1, 2).
  const ns = 40;
  const now = picture(ns, 40, 3);
  const put = (tx: number, ty: number, sx: number, sy: number) => {
    for (let r = 0; r < 16; r++) for (let c = 0; c < 16; c++) now[(2 + ty + r) * ns + 1 + tx + c] = old[(sy + r) * W + sx + c]!;
  };
  put(0, 0, 16 - 5, 16 + 3); // tile (0,0): the old picture moved by (-5, +3)
  put(16, 0, 32 + 7, 16); // tile (1,0): moved by (+7, 0), the second offset
  put(0, 16, 16, 32); // tile (0,1): unchanged
  // tile (1,1): new pixels (the picture's own noise)
  const offsets = new Int32Array([-5, 3, 7, 0, -40, 0]);
  const out = new Int8Array(4);
  nativeTileKinds(now, ns, 1, 2, old, W, W, H, 16, 16, 32, 32, 16, offsets, out);
  t.deepEqual([...out], [0, 1, -2, -1]);
  // A flat old picture: an unchanged tile is also every offset's, so it says the first one that fits inside.
  const flat = new Uint32Array(W * H).fill(0x00102030);
  const same = new Uint32Array(32 * 32).fill(0xff102030);
  nativeTileKinds(same, 32, 0, 0, flat, W, W, H, 16, 16, 32, 32, 16, new Int32Array([-40, 0, 0, -10]), out);
  t.deepEqual([...out], [-4, -4, -4, -4], 'offset 0 leads outside the picture: offset 1 (-3 - 1)');
  // Tiles cut short at the box's edges are compared as far as they go.
  const small = new Int8Array(6);
  nativeTileKinds(same.subarray(0, 20 * 40), 20, 0, 0, flat, W, W, H, 0, 0, 20, 40, 16, new Int32Array(0), small);
  t.deepEqual([...small], [-2, -2, -2, -2, -2, -2]);
});

test('tile kinds refuse a box outside the old picture, new pixels that do not fit and too small an output', (t) => {
  const old = picture(32, 32, 1);
  const now = picture(32, 32, 2);
  const out = new Int8Array(4);
  t.throws(() => nativeTileKinds(now, 32, 0, 0, old, 32, 32, 32, 8, 0, 32, 32, 16, new Int32Array(0), out), { instanceOf: RangeError });
  t.throws(() => nativeTileKinds(now, 32, 1, 0, old, 32, 32, 32, 0, 0, 32, 32, 16, new Int32Array(0), out), { instanceOf: RangeError });
  t.throws(() => nativeTileKinds(now, 32, 0, 0, old, 32, 32, 33, 0, 0, 32, 32, 16, new Int32Array(0), out), { instanceOf: RangeError });
  t.throws(() => nativeTileKinds(now, 32, 0, 0, old, 32, 32, 32, 0, 0, 32, 32, 16, new Int32Array(0), new Int8Array(3)), {
    instanceOf: RangeError,
  });
  t.throws(() => nativeTileKinds(now, 32, 0, 0, old, 32, 32, 32, 0, 0, 32, 32, 16, new Int32Array(3), out), { instanceOf: RangeError });
  t.throws(() => nativeTileKinds(now, 32, 0, 0, old, 32, 32, 32, 0, 0, 32, 32, 0, new Int32Array(0), out), { instanceOf: RangeError });
});

test('graduality: flat and sharp pictures score low, smooth ones high, as spice-server walks them; the walk refuses a shape outside its pixels', (t) => {
  const bitmap = (width: number, height: number, at: (x: number, y: number) => number) => {
    const pixels = new Uint8Array(width * height * 4);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) pixels.fill(at(x, y), (y * width + x) * 4, (y * width + x) * 4 + 3);
    return { width, height, stride: width * 4, pixels };
  };
  t.is(gradualityScore(bitmap(64, 64, () => 40)), 0, 'one colour: every square 0');
  t.is(gradualityLevel(bitmap(64, 64, (x) => ((x >> 2) & 1) * 200)), 'low', 'stripes: contrasting pairs');
  t.is(gradualityLevel(bitmap(64, 64, (x, y) => (x + y) & 255)), 'high', 'a gentle gradient: slightly different pairs');
  t.is(gradualityScore(bitmap(1, 9, () => 0)), 1, 'one pixel wide');
  // Every pair of a 2x2 check of 0 and 200 contrasts, but the diagonal (the same colour): (1 + 1 + 0.5) / 3.
  t.is(nativeGradualityScore(bitmap(2, 2, (x, y) => ((x + y) & 1) * 200).pixels, 2, 2, 8, 15), 2.5 / 3);
  t.throws(() => nativeGradualityScore(new Uint8Array(15), 2, 2, 8, 15), { instanceOf: RangeError });
  t.throws(() => nativeGradualityScore(new Uint8Array(16), 2, 2, 8, 0), { instanceOf: TypeError });
});
