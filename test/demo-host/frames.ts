import type { Bitmap32 } from '../../codecs/image/bitmap.js';
import { area as boxArea, type Box } from '../../codecs/box.js';

/** A zeroed target of w x h with `padding` bytes of 0xa5 after each row, to catch writes outside the picture. */
export function target(width: number, height: number, padding = 0): Bitmap32 {
  const stride = width * 4 + padding;
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) pixels.fill(0xa5, y * stride + width * 4, (y + 1) * stride);
  return { width, height, stride, pixels };
}

export const copyOf = (b: Bitmap32): Bitmap32 => ({ ...b, pixels: b.pixels.slice() });

const inside = (boxes: readonly Box[], x: number, y: number): boolean =>
  boxes.some((r) => x >= r.left && y >= r.top && x < r.right && y < r.bottom);

/** Pixels (all 4 bytes) that differ between `a` and `b` outside every one of `boxes`. */
export function changedOutside(a: Bitmap32, b: Bitmap32, boxes: readonly Box[]): { x: number; y: number }[] {
  const out: { x: number; y: number }[] = [];
  for (let y = 0; y < a.height; y++) {
    const row = y * a.stride;
    for (let x = 0; x < a.width; x++) {
      const o = row + x * 4;
      if (
        a.pixels[o] === b.pixels[o] &&
        a.pixels[o + 1] === b.pixels[o + 1] &&
        a.pixels[o + 2] === b.pixels[o + 2] &&
        a.pixels[o + 3] === b.pixels[o + 3]
      )
        continue;
      if (!inside(boxes, x, y)) out.push({ x, y });
    }
  }
  return out;
}

export const area = (boxes: readonly Box[]): number => boxes.reduce((n, r) => n + boxArea(r), 0);

/** Byte equality for whole frames (ava's deepEqual takes seconds on megabytes). */
export const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;
