/**
 * QEMU's pixel formats (pixman format codes) turned into the device's 32-bit xRGB, whose bytes
 * are B, G, R, X. A code is `(bpp << 24) | (type << 16) | (a << 12) | (r << 8) | (g << 4) | b`.
 * The 2D D-Bus listener only ever gets 32 bpp surfaces (QEMU shadows the others), and guests on
 * virtio-gpu pick among the 8-bit-channel orders below; anything else is refused.
 */
import type { PixmanFormat } from './dbus/display1-listener.js';
import { copyRows as copyByteRows } from '../../../native/index.js';

/** Where R, G and B sit in a pixel's 4 bytes (little-endian memory order). */
export interface ByteOrder {
  readonly r: number;
  readonly g: number;
  readonly b: number;
}

/** x8r8g8b8 / a8r8g8b8: already the device's order, copied as is. */
export const NATIVE: ByteOrder = { r: 2, g: 1, b: 0 };

const TYPE_ARGB = 2;
const TYPE_ABGR = 3;
const TYPE_BGRA = 8;
const TYPE_RGBA = 9;

/** The byte order of a 32 bpp, 8-bit-channel pixman format, or undefined for any other. */
export function byteOrderOf(format: PixmanFormat): ByteOrder | undefined {
  const bpp = format >>> 24;
  const type = (format >>> 16) & 0xff;
  const a = (format >>> 12) & 0xf;
  const rgb = format & 0xfff;
  if (bpp !== 32 || rgb !== 0x888 || (a !== 0 && a !== 8)) return undefined;
  switch (type) {
    case TYPE_ARGB: // word 0xAARRGGBB
      return NATIVE;
    case TYPE_ABGR: // word 0xAABBGGRR
      return { r: 0, g: 1, b: 2 };
    case TYPE_BGRA: // word 0xBBGGRRAA
      return { r: 1, g: 2, b: 3 };
    case TYPE_RGBA: // word 0xRRGGBBAA
      return { r: 3, g: 2, b: 1 };
    default:
      return undefined;
  }
}

/**
 * Copies `height` rows of `width` pixels from `src` (rows `srcStride` apart, in `order`) to
 * `dst` at byte offset `dstOffset` (rows `dstStride` apart), as B, G, R, 0. The caller has
 * checked that both ranges fit.
 */
export function copyRows(
  dst: Uint8Array,
  dstOffset: number,
  dstStride: number,
  src: Uint8Array,
  srcStride: number,
  width: number,
  height: number,
  order: ByteOrder,
): void {
  const rowBytes = width * 4;
  if (order === NATIVE) return copyByteRows(dst, dstOffset, dstStride, src, 0, srcStride, rowBytes, height);
  const { r, g, b } = order;
  for (let y = 0; y < height; y++) {
    let s = y * srcStride;
    let d = dstOffset + y * dstStride;
    for (const end = s + rowBytes; s < end; s += 4, d += 4) {
      dst[d] = src[s + b]!;
      dst[d + 1] = src[s + g]!;
      dst[d + 2] = src[s + r]!;
      dst[d + 3] = 0;
    }
  }
}
