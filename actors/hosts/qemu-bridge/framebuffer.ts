/**
 * The bridge's copy of QEMU's console surface, in the device's xRGB, tightly packed. QEMU sends
 * each change once and never again, so this copy is what the device is fed from whenever it
 * cannot take a change at once, and what a new surface is filled from after a resize.
 */
import type { Bitmap32 } from '../../../codecs/image/bitmap.js';
import { copyRows, type ByteOrder } from './pixman.js';
import type { Box } from '../../../codecs/box.js';

export class Framebuffer implements Bitmap32 {
  width = 0;
  height = 0;
  stride = 0;
  pixels = new Uint8Array(0);

  get bounds(): Box {
    return { left: 0, top: 0, right: this.width, bottom: this.height };
  }

  /** Takes a new size, keeping what overlaps the old one (the rest is black until drawn). */
  resize(width: number, height: number): void {
    if (width === this.width && height === this.height) return;
    const next = new Uint8Array(width * height * 4);
    const keep = Math.min(width, this.width) * 4;
    for (let y = 0; y < Math.min(height, this.height); y++)
      next.set(this.pixels.subarray(y * this.stride, y * this.stride + keep), y * width * 4);
    this.width = width;
    this.height = height;
    this.stride = width * 4;
    this.pixels = next;
  }

  /**
   * Writes a rectangle of pixels whose rows are `stride` apart in `data` (checked by the
   * listener to hold them); the part outside the surface is dropped. Returns what was written.
   */
  write(r: Box, stride: number, order: ByteOrder, data: Uint8Array): Box | undefined {
    const x0 = Math.max(0, r.left);
    const y0 = Math.max(0, r.top);
    const x1 = Math.min(this.width, r.right);
    const y1 = Math.min(this.height, r.bottom);
    if (x1 <= x0 || y1 <= y0) return undefined;
    const from = (y0 - r.top) * stride + (x0 - r.left) * 4;
    copyRows(this.pixels, y0 * this.stride + x0 * 4, this.stride, data.subarray(from), stride, x1 - x0, y1 - y0, order);
    return { left: x0, top: y0, right: x1, bottom: y1 };
  }
}
