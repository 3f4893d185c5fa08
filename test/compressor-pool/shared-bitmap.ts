import type { Bitmap32, Bitmap32Format } from '../../codecs/image/bitmap.js';
import type { PixelsRef } from '../../codecs/image/compress-job.js';

/** Copies a bitmap into a fresh SharedArrayBuffer at `byteOffset` (rows kept at its stride): a job's pixel fields. */
export function inSharedMemory(bitmap: Bitmap32, format: Bitmap32Format, byteOffset = 0): PixelsRef {
  const bytes = bitmap.stride * (bitmap.height - 1) + bitmap.width * 4;
  const pixels = new SharedArrayBuffer(byteOffset + bytes);
  new Uint8Array(pixels, byteOffset, bytes).set(bitmap.pixels.subarray(0, bytes));
  return { pixels, byteOffset, width: bitmap.width, height: bitmap.height, stride: bitmap.stride, format };
}

/** The same bitmap in an ArrayBuffer of its own (to be moved to the pool). */
export function inOwnBuffer(bitmap: Bitmap32, format: Bitmap32Format): PixelsRef {
  const pixels = new ArrayBuffer(bitmap.stride * bitmap.height);
  new Uint8Array(pixels).set(bitmap.pixels.subarray(0, pixels.byteLength));
  return { pixels, byteOffset: 0, width: bitmap.width, height: bitmap.height, stride: bitmap.stride, format };
}

/** Rows `top`..`top+height` of a bitmap, as a view on the same pixels. */
export function rows(bitmap: Bitmap32, top: number, height: number): Bitmap32 {
  return { ...bitmap, height, pixels: bitmap.pixels.subarray(top * bitmap.stride, (top + height) * bitmap.stride) };
}
