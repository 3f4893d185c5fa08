import type { Bitmap32 } from './bitmap.js';
import { boxHeight, boxWidth, intersect, isEmpty, type Box } from '../box.js';
import { copyRows } from '../../native/index.js';

/**
 * A surface (B,G,R,X, top-down), drawn as the client draws it: the server's is the primary
 * surface in device memory (what a new client is sent first, and what a slow client's backlog
 * collapses into); the client's is its own.
 */
export class Canvas {
  readonly bitmap: Bitmap32;
  readonly bounds: Box;

  constructor(
    readonly width: number,
    readonly height: number,
    /** The memory to draw in (its rows `stride` apart); a fresh black bitmap when not given. */
    memory?: Bitmap32,
  ) {
    this.bitmap = memory ?? { width, height, stride: width * 4, pixels: new Uint8Array(new SharedArrayBuffer(width * height * 4)) };
    this.bounds = { left: 0, top: 0, right: width, bottom: height };
  }

  /** `dest` gets the pixels of `src` from (`srcX`, `srcY`) on, within `clip` rects (none: all of `dest`). */
  copy(dest: Box, src: Bitmap32, srcX: number, srcY: number, clip?: readonly Box[]): void {
    for (const part of this.parts(dest, clip)) {
      const from = (srcY + part.top - dest.top) * src.stride + (srcX + part.left - dest.left) * 4;
      const { stride, pixels } = this.bitmap;
      copyRows(pixels, part.top * stride + part.left * 4, stride, src.pixels, from, src.stride, boxWidth(part) * 4, boxHeight(part));
    }
  }

  /** `color` is 0x00RRGGBB, as DRAW_FILL carries it. */
  fill(dest: Box, color: number, clip?: readonly Box[]): void {
    const px = new Uint8Array(4);
    new DataView(px.buffer).setUint32(0, color & 0xffffff, true);
    for (const part of this.parts(dest, clip)) {
      const row = this.bitmap.pixels.subarray(
        part.top * this.bitmap.stride + part.left * 4,
        part.top * this.bitmap.stride + part.right * 4,
      );
      for (let i = 0; i < row.length; i += 4) row.set(px, i);
      for (let y = part.top + 1; y < part.bottom; y++)
        this.bitmap.pixels.copyWithin(
          y * this.bitmap.stride + part.left * 4,
          part.top * this.bitmap.stride + part.left * 4,
          part.top * this.bitmap.stride + part.right * 4,
        );
    }
  }

  /** COPY_BITS: `dest` gets what was at (`srcX`, `srcY`) on this surface; overlapping moves are safe. */
  copyBits(dest: Box, srcX: number, srcY: number, clip?: readonly Box[]): void {
    const src = this.region({ left: srcX, top: srcY, right: srcX + boxWidth(dest), bottom: srcY + boxHeight(dest) });
    this.copy(dest, src, 0, 0, clip);
  }

  /** `box` (within the surface) in place, no copy: what it shows changes as the surface is drawn. */
  view(box: Box): Bitmap32 {
    const b = intersect(box, this.bounds);
    const width = Math.max(0, boxWidth(b));
    const height = Math.max(0, boxHeight(b));
    const { stride, pixels } = this.bitmap;
    const from = b.top * stride + b.left * 4;
    return { width, height, stride, pixels: pixels.subarray(from, from + Math.max(0, (height - 1) * stride + width * 4)) };
  }

  /** A copy of `box` (within the surface) as its own bitmap, in shared memory (from `memory` when given) for the compressor pool. */
  region(box: Box, memory?: (byteLength: number) => SharedArrayBuffer): Bitmap32 {
    const b = intersect(box, this.bounds);
    const width = Math.max(0, boxWidth(b));
    const height = Math.max(0, boxHeight(b));
    const bytes = Math.max(4, width * height * 4);
    const pixels = new Uint8Array(memory ? memory(bytes) : new SharedArrayBuffer(bytes), 0, bytes);
    const { stride } = this.bitmap;
    copyRows(pixels, 0, width * 4, this.bitmap.pixels, b.top * stride + b.left * 4, stride, width * 4, height);
    return { width, height, stride: width * 4, pixels };
  }

  private *parts(dest: Box, clip?: readonly Box[]): Generator<Box> {
    const d = intersect(dest, this.bounds);
    if (isEmpty(d)) return;
    if (!clip) {
      yield d;
      return;
    }
    for (const c of clip) {
      const p = intersect(d, c);
      if (!isEmpty(p)) yield p;
    }
  }
}
