import type { Bitmap32 } from '../../codecs/image/bitmap.js';
import { prng } from './prng.js';

/** A bitmap whose pixel (x, y) is `pixel(x, y)` = [b, g, r, a]; `padding` extra bytes a row, filled with junk. */
export function makeBitmap(width: number, height: number, pixel: (x: number, y: number) => readonly number[], padding = 0): Bitmap32 {
  const stride = width * 4 + padding;
  const pixels = new Uint8Array(stride * height).fill(0xa5);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) pixels.set(pixel(x, y), y * stride + x * 4);
  }
  return { width, height, stride, pixels };
}

export const solid = (width: number, height: number, bgra: readonly number[] = [30, 60, 90, 255]) => makeBitmap(width, height, () => bgra);

export function noise(width: number, height: number, seed: number, padding = 0): Bitmap32 {
  const rnd = prng(seed);
  return makeBitmap(width, height, () => [rnd() * 256, rnd() * 256, rnd() * 256, rnd() * 256].map(Math.floor), padding);
}

/** Smooth in both directions, every pixel different from its neighbours: what QUIC is for. */
export const gradient = (width: number, height: number) =>
  makeBitmap(width, height, (x, y) => [(x * 255) / width, (y * 255) / height, ((x + y) * 127) / (width + height), 255].map(Math.floor));

/** Pixels as a tight B,G,R,X/A array: the 4th byte kept ('rgba') or zeroed ('rgb32'), as a decoder returns them. */
export function packed(b: Bitmap32, format: 'rgb32' | 'rgba'): Uint8Array {
  const out = new Uint8Array(b.width * b.height * 4);
  for (let y = 0; y < b.height; y++) out.set(b.pixels.subarray(y * b.stride, y * b.stride + b.width * 4), y * b.width * 4);
  if (format === 'rgb32') for (let i = 3; i < out.length; i += 4) out[i] = 0;
  return out;
}

/** Random pixels that repeat every `period` pixels in row-major order: matches at exactly that distance. */
export function repeatingNoise(width: number, height: number, period: number, seed: number): Bitmap32 {
  const rnd = prng(seed);
  const tile = Array.from({ length: period }, () => [rnd() * 256, rnd() * 256, rnd() * 256, rnd() * 256].map(Math.floor));
  return makeBitmap(width, height, (x, y) => tile[(x + y * width) % period]!);
}

/** The pixel at x,y as 0xRRGGBB. */
export function rgbAt(image: Bitmap32, x: number, y: number): number {
  if (x < 0 || y < 0 || x >= image.width || y >= image.height) throw new RangeError(`${x},${y} outside ${image.width}x${image.height}`);
  const o = y * image.stride + x * 4;
  return (image.pixels[o + 2]! << 16) | (image.pixels[o + 1]! << 8) | image.pixels[o]!;
}
