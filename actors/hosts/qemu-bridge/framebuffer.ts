/**
 * QEMU's pixels written into a surface in the device's xRGB: the device's own surface (the one
 * copy of the screen), or a staging bitmap while the device has no surface of the console's size
 * yet (it is full, or a resize has to keep what the old surface showed).
 */
import type { Bitmap32 } from '../../../codecs/image/bitmap.js';
import { copyRows, NATIVE, type ByteOrder } from './pixman.js';
import { boxAt, type Box } from '../../../codecs/box.js';

/** A black bitmap, tightly packed. */
export const blank = (width: number, height: number): Bitmap32 => ({
  width,
  height,
  stride: width * 4,
  pixels: new Uint8Array(width * height * 4),
});

/** The whole of a bitmap, as a box. */
export const boundsOf = (b: { readonly width: number; readonly height: number }): Box => boxAt(0, 0, b.width, b.height);

/**
 * Writes a rectangle of pixels whose rows are `stride` apart in `data` (checked by the
 * listener to hold them) into `target`; the part outside it is dropped. Returns what was written.
 */
export function writeRect(target: Bitmap32, r: Box, stride: number, order: ByteOrder, data: Uint8Array): Box | undefined {
  const x0 = Math.max(0, r.left);
  const y0 = Math.max(0, r.top);
  const x1 = Math.min(target.width, r.right);
  const y1 = Math.min(target.height, r.bottom);
  if (x1 <= x0 || y1 <= y0) return undefined;
  const from = (y0 - r.top) * stride + (x0 - r.left) * 4;
  copyRows(target.pixels, y0 * target.stride + x0 * 4, target.stride, data.subarray(from), stride, x1 - x0, y1 - y0, order);
  return { left: x0, top: y0, right: x1, bottom: y1 };
}

/** `dst` gets what `src` has where both are (their common top-left part). */
export const copyOverlap = (dst: Bitmap32, src: Bitmap32): void => void writeRect(dst, boundsOf(src), src.stride, NATIVE, src.pixels);
