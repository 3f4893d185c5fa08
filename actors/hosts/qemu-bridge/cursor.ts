/**
 * QEMU's cursor (CursorDefine, MouseSet) as the QXL device takes it. QEMU's shape is ARGB32
 * words, little-endian (bytes B, G, R, A), premultiplied as DRM cursors are: exactly SPICE's
 * ALPHA cursor data, so it is passed through. QEMU gives no id, so the id is a hash of the
 * shape: a guest switching between a few shapes sends the same ids again, and clients use
 * their cache.
 */
import { createHash } from 'node:crypto';
import type { CursorImage } from '../../../native/qxl/device.js';
import type { CursorShape } from './dbus/display1-listener.js';

/** The cursor channel's limit (actors/channels/cursor/shape.ts). */
const MAX_SIDE = 512;
const CURSOR_TYPE_ALPHA = 0;

/** The device's cursor for a CursorDefine, or an error string for one no client may show. */
export function cursorImage(c: CursorShape): CursorImage | string {
  if (c.width < 1 || c.height < 1 || c.width > MAX_SIDE || c.height > MAX_SIDE) return `cursor of ${c.width}x${c.height}`;
  // The hot spot must lie on the image: clamped, as a pointer that points just off it looks the same.
  const hotX = Math.min(Math.max(c.hotX, 0), c.width - 1);
  const hotY = Math.min(Math.max(c.hotY, 0), c.height - 1);
  const data = c.data.slice();
  const header = new Uint32Array([c.width, c.height, hotX, hotY]);
  const digest = createHash('sha256').update(new Uint8Array(header.buffer)).update(data).digest();
  // Zero means "not cacheable" to SPICE: never produce it.
  const unique = digest.readBigUInt64LE(0) || 1n;
  return { unique, type: CURSOR_TYPE_ALPHA, width: c.width, height: c.height, hotX, hotY, data };
}

/**
 * The pointer position SPICE wants (the hot spot) from MouseSet's. QEMU reports where the
 * image's top-left is (virtio-gpu: the guest's DRM cursor plane position), so the hot spot is
 * added. Devices without a hardware cursor (std VGA) never call MouseSet.
 */
export const pointerPosition = (x: number, y: number, shape: CursorImage | undefined): { x: number; y: number } => ({
  x: x + (shape?.hotX ?? 0),
  y: y + (shape?.hotY ?? 0),
});
