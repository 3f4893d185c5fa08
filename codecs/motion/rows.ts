import type { Bitmap32 } from '../image/bitmap.js';
import type { Box } from '../box.js';
import { rgbMask as rgb, words } from '../image/words.js';
import { nativeRowHashes, nativeRowsEqual } from '../../native/index.js';

/** A picture's words with a box's top-left at x,y. */
export interface View {
  readonly w: Uint32Array;
  readonly stride: number;
  readonly x: number;
  readonly y: number;
}

/** `box` of `before`, and the update's pixels for it in `next` from `nextX`,`nextY`; null when either is not word-aligned. */
export function boxViews(before: Bitmap32, box: Box, next: Bitmap32, nextX: number, nextY: number): { old: View; now: View } | null {
  const oldW = words(before);
  const newW = words(next);
  if (!oldW || !newW) return null;
  return {
    old: { w: oldW, stride: before.stride >>> 2, x: box.left, y: box.top },
    now: { w: newW, stride: next.stride >>> 2, x: nextX, y: nextY },
  };
}

/** A 32-bit hash of each of `height` rows of `width` pixels from x,y (a filter only: matches are compared in full). In C++: the hash of a 1080p box was 2.7 ms in JS, 0.6 there. */
export function rowHashes(w: Uint32Array, stride: number, x: number, y: number, width: number, height: number): Int32Array {
  const out = new Int32Array(height);
  nativeRowHashes(w, stride, x, y, width, height, out);
  return out;
}

/** Compares of at least this many pixels are made in C++ (4x faster); below, a call costs more than the loop. */
const nativeCompareFrom = 256;

/** Whether the `height` rows (one unless given) of `width` pixels from ax,ay of a and from bx,by of b show the same colours. */
export function rowsEqual(
  a: Uint32Array,
  aStride: number,
  ax: number,
  ay: number,
  b: Uint32Array,
  bStride: number,
  bx: number,
  by: number,
  width: number,
  height = 1,
): boolean {
  if (width * height >= nativeCompareFrom) return nativeRowsEqual(a, aStride, ax, ay, b, bStride, bx, by, width, height);
  for (let r = 0; r < height; r++) {
    const i0 = (ay + r) * aStride + ax;
    const d = (by + r) * bStride + bx - i0;
    for (let i = i0; i < i0 + width; i++) if (((a[i]! ^ b[i + d]!) & rgb) !== 0) return false;
  }
  return true;
}

/** The 0x00RRGGBB colour of a box whose pixels all show it, else null. */
export function uniformColor(w: Uint32Array, stride: number, x: number, y: number, width: number, height: number): number | null {
  const first = w[y * stride + x]! & rgb;
  for (let row = y; row < y + height; row++)
    for (let i = row * stride + x; i < row * stride + x + width; i++) if ((w[i]! & rgb) !== first) return null;
  return first;
}

/** How many of the `width` x `height` pixels from the top-left of a and b differ in colour. */
export function differingPixels(a: Uint32Array, aStride: number, b: Uint32Array, bStride: number, width: number, height: number): number {
  let n = 0;
  for (let y = 0; y < height; y++) {
    const ai = y * aStride;
    const bi = y * bStride;
    for (let x = 0; x < width; x++) if (((a[ai + x]! ^ b[bi + x]!) & rgb) !== 0) n++;
  }
  return n;
}
