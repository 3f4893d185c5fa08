import type { Bitmap32 } from '../../../codecs/image/bitmap.js';
import { solid } from '../../helpers/images.js';
import { prng } from '../../helpers/prng.js';

/** A packed bitmap whose byte c (0 B, 1 G, 2 R, 3 X/A) of pixel (x, y) is f(x, y, c). */
export function image(width: number, height: number, f: (x: number, y: number, c: number) => number): Bitmap32 {
  const pixels = new Uint8Array(width * height * 4);
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++) for (let c = 0; c < 4; c++) pixels[i++] = f(x, y, c) & 0xff;
  }
  return { width, height, stride: width * 4, pixels };
}

export const gradient = (w: number, h: number) =>
  image(
    w,
    h,
    (x, y, c) =>
      [Math.floor((x * 255) / Math.max(1, w - 1)), Math.floor((y * 255) / Math.max(1, h - 1)), (x + y) >> 1, 255 - ((x * y) & 0xff)][c]!,
  );

/** Flat rectangles of random colours with a few noisy ones: runs, run breaks and escapes together. */
export function blocks(w: number, h: number, seed: number): Bitmap32 {
  const next = prng(seed);
  const bmp = solid(w, h, [30, 60, 90, 255]);
  for (let n = 0; n < 40; n++) {
    const x0 = Math.floor(next() * w),
      y0 = Math.floor(next() * h);
    const x1 = Math.min(w, x0 + 1 + Math.floor((next() * w) / 3)),
      y1 = Math.min(h, y0 + 1 + Math.floor((next() * h) / 3));
    const colour = [0, 1, 2, 3].map(() => Math.floor(next() * 256));
    const noisy = next() < 0.2;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        for (let c = 0; c < 4; c++) bmp.pixels[(y * w + x) * 4 + c] = noisy ? Math.floor(next() * 256) : colour[c]!;
      }
    }
  }
  return bmp;
}

/** The same image with `extra` garbage bytes after every row (stride > width * 4). */
export function padded(bmp: Bitmap32, extra: number, seed = 1): Bitmap32 {
  const next = prng(seed);
  const stride = bmp.width * 4 + extra;
  const pixels = new Uint8Array(stride * bmp.height).map(() => Math.floor(next() * 256));
  for (let y = 0; y < bmp.height; y++) pixels.set(bmp.pixels.subarray(y * bmp.stride, y * bmp.stride + bmp.width * 4), y * stride);
  return { width: bmp.width, height: bmp.height, stride, pixels };
}

/** The same image starting `shift` bytes into its buffer (not 4-byte aligned). */
export function shifted(bmp: Bitmap32, shift: number): Bitmap32 {
  const buffer = new Uint8Array(bmp.pixels.length + shift);
  buffer.set(bmp.pixels, shift);
  return { ...bmp, pixels: buffer.subarray(shift) };
}

/** Index of the first differing byte, or -1: a readable assertion on megabyte buffers. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}
