import type { Bitmap32 } from '../../../codecs/image/bitmap.js';
import { BitmapFormat, ImageType, SurfaceFormat } from '../../../codecs/protocol/enums.js';
import { Rect } from '../../../codecs/protocol/structs.js';
import { decode, type Codec } from '../../../codecs/protocol/wire.js';
import {
  QxlBitmapFlags,
  QxlBitmapImage,
  QxlBrushType,
  QxlClipRects,
  QxlClipType,
  QxlCopy,
  QxlCopyBits,
  QxlCursor,
  QxlCursorCmdHeader,
  QxlCursorCmdType,
  QxlCursorMove,
  QxlCursorSet,
  QxlCursorTrail,
  QxlDrawableHeader,
  QxlDrawType,
  QxlEffect,
  QxlFill,
  QxlImageDescriptor,
  QxlSurfaceCmd,
  QxlSurfaceCmdType,
  QxlSurfaceImage,
  QxlUpdateCmd,
  qxlCursorCmdUnionOffset,
  qxlCursorHeaderSize,
  qxlDataChunkHeaderSize,
  qxlDrawableUnionOffset,
} from '../../../codecs/qxl/commands.js';
import { QxlCmd, type QxlCommand, type QxlPhysical } from '../../../native/qxl/layout.js';
import type { MemSlots } from '../../../native/qxl/memslots.js';
import type { Box } from '../../../codecs/box.js';

/**
 * A QXL command as the red-worker acts on it; pixel views point into the device memory until the
 * command is released (a surface's, until its create command is: the red-worker holds that one
 * while the surface lives).
 */
export type QxlWork =
  | { readonly kind: 'surface-create'; readonly width: number; readonly height: number; readonly pixels: Bitmap32 }
  | { readonly kind: 'surface-destroy' }
  | {
      readonly kind: 'copy';
      readonly box: Box;
      readonly clip?: readonly Box[];
      readonly src: Bitmap32;
      readonly srcX: number;
      readonly srcY: number;
    }
  /** The host wrote the box's pixels into the surface itself (a DRAW_COPY from surface 0 onto the same place). */
  /** The host wrote `box` itself, in writes up to `generation`. */
  | { readonly kind: 'written'; readonly box: Box; readonly generation: number; readonly clip?: readonly Box[] }
  | { readonly kind: 'fill'; readonly box: Box; readonly clip?: readonly Box[]; readonly color: number }
  | { readonly kind: 'copy-bits'; readonly box: Box; readonly clip?: readonly Box[]; readonly srcX: number; readonly srcY: number }
  /** A COPY_BITS the host did itself in its write of `generation` (a hint: the surface already shows it). */
  | { readonly kind: 'moved'; readonly box: Box; readonly srcX: number; readonly srcY: number; readonly generation: number }
  | { readonly kind: 'update' }
  | { readonly kind: 'cursor-set'; readonly x: number; readonly y: number; readonly visible: boolean; readonly shape: CursorShapeView }
  | { readonly kind: 'cursor-move'; readonly x: number; readonly y: number }
  | { readonly kind: 'cursor-hide' }
  | { readonly kind: 'cursor-trail'; readonly length: number; readonly frequency: number };

export interface CursorShapeView {
  readonly unique: bigint;
  readonly type: number;
  readonly width: number;
  readonly height: number;
  readonly hotX: number;
  readonly hotY: number;
  readonly data: Uint8Array;
}

export type ReadResult = QxlWork | { readonly error: string };

/** Largest surface a host may create. */
export const maxSurfaceSide = 16384;
/** spice-server's MAX_DATA_CHUNK and its clip-rect bound. */
const maxClipRects = 4096;

class Bad extends Error {}

/**
 * Reads QXL commands out of the device memory, checking every address against the memory
 * slots and every size against the memory: a bad command is an error value (the red-worker
 * logs it and releases the command), never a read outside the device memory.
 */
export class QxlReader {
  constructor(
    private readonly memory: Uint8Array,
    private readonly slots: MemSlots,
  ) {}

  read(cmd: QxlCommand): ReadResult {
    try {
      switch (cmd.type) {
        case QxlCmd.Surface:
          return this.surface(cmd.data);
        case QxlCmd.Draw:
          return this.drawable(cmd.data);
        case QxlCmd.Update:
          this.struct(QxlUpdateCmd, cmd.data);
          return { kind: 'update' };
        case QxlCmd.Cursor:
          return this.cursor(cmd.data);
        default:
          return { error: `QXL command type ${cmd.type} is not handled` };
      }
    } catch (err) {
      if (err instanceof Bad) return { error: err.message };
      throw err;
    }
  }

  /** The bytes from `address` to the end of its slot. */
  private view(address: QxlPhysical | bigint, what: string): Uint8Array {
    const at = this.slots.available(address as QxlPhysical);
    if ('error' in at) throw new Bad(`${what}: ${at.problem} address 0x${address.toString(16)}`);
    return this.memory.subarray(at.offset, at.offset + at.length);
  }

  private struct<T>(codec: Codec<T>, address: QxlPhysical | bigint, skip = 0): T {
    const r = decode(codec, this.view(address, codec.name).subarray(skip));
    if (!r.ok) throw new Bad(r.error);
    return r.value;
  }

  private surface(address: QxlPhysical): ReadResult {
    const s = this.struct(QxlSurfaceCmd, address);
    if (s.surface_id !== 0) return { error: `surface ${s.surface_id}: only the primary surface is supported` };
    if (s.type === QxlSurfaceCmdType.destroy) return { kind: 'surface-destroy' };
    if (s.type !== QxlSurfaceCmdType.create) return { error: `surface command type ${s.type}` };
    if (!(s.width >= 1 && s.width <= maxSurfaceSide && s.height >= 1 && s.height <= maxSurfaceSide))
      return { error: `surface of ${s.width}x${s.height}` };
    if (s.format !== SurfaceFormat.xrgb32) return { error: `surface format ${s.format}` };
    if (s.stride < s.width * 4) return { error: `surface stride ${s.stride} for ${s.width} pixels` };
    const bytes = s.stride * (s.height - 1) + s.width * 4;
    const memory = this.view(s.data, 'surface memory');
    if (memory.length < bytes) return { error: `surface of ${bytes} bytes runs out of its memory slot` };
    const pixels = { width: s.width, height: s.height, stride: s.stride, pixels: memory.subarray(0, bytes) };
    return { kind: 'surface-create', width: s.width, height: s.height, pixels };
  }

  private drawable(address: QxlPhysical): ReadResult {
    const d = this.struct(QxlDrawableHeader, address);
    if (d.surface_id !== 0) return { error: `drawing on surface ${d.surface_id}: only the primary surface is supported` };
    const box = d.bbox;
    const clip = this.clip(d.clip.type, d.clip.data);
    switch (d.type) {
      case QxlDrawType.copy: {
        const c = this.struct(QxlCopy, address, qxlDrawableUnionOffset);
        if (d.effect !== QxlEffect.opaque) return { error: `copy with effect ${d.effect}` };
        const a = c.src_area;
        if (this.struct(QxlImageDescriptor, c.src_bitmap).type === ImageType.surface) {
          const s = this.struct(QxlSurfaceImage, c.src_bitmap);
          if (s.surface_id !== 0) return { error: `copy from surface ${s.surface_id}: only the primary surface is supported` };
          if (a.right - a.left !== box.right - box.left || a.bottom - a.top !== box.bottom - box.top)
            return { error: 'copy source area does not fit its box' };
          const clipped = clip ? { clip } : {};
          // From the surface onto itself: in place, what the host wrote; elsewhere, a move of its pixels.
          return a.left === box.left && a.top === box.top
            ? { kind: 'written', box, generation: d.mm_time, ...clipped }
            : { kind: 'copy-bits', box, ...clipped, srcX: a.left, srcY: a.top };
        }
        const src = this.bitmap(c.src_bitmap);
        if (
          a.left < 0 ||
          a.top < 0 ||
          a.right > src.width ||
          a.bottom > src.height ||
          a.right - a.left !== box.right - box.left ||
          a.bottom - a.top !== box.bottom - box.top
        ) {
          return { error: 'copy source area does not fit its bitmap or its box' };
        }
        return { kind: 'copy', box, ...(clip ? { clip } : {}), src, srcX: a.left, srcY: a.top };
      }
      case QxlDrawType.fill: {
        const f = this.struct(QxlFill, address, qxlDrawableUnionOffset);
        if (f.brush.type !== QxlBrushType.solid) return { error: `fill with brush type ${f.brush.type}` };
        const color = new DataView(f.brush.u.buffer, f.brush.u.byteOffset, 4).getUint32(0, true);
        return { kind: 'fill', box, ...(clip ? { clip } : {}), color };
      }
      case QxlDrawType.copyBits: {
        const c = this.struct(QxlCopyBits, address, qxlDrawableUnionOffset);
        if (d.effect === QxlEffect.nop) {
          if (clip) return { error: 'moved rows with a clip' };
          return { kind: 'moved', box, srcX: c.src_pos.x, srcY: c.src_pos.y, generation: d.mm_time };
        }
        return { kind: 'copy-bits', box, ...(clip ? { clip } : {}), srcX: c.src_pos.x, srcY: c.src_pos.y };
      }
      default:
        return { error: `drawable type ${d.type} is not handled` };
    }
  }

  private clip(type: number, address: bigint): Box[] | undefined {
    if (type === QxlClipType.none) return undefined;
    if (type !== QxlClipType.rects) throw new Bad(`clip type ${type}`);
    const head = this.struct(QxlClipRects, address);
    if (head.num_rects > maxClipRects) throw new Bad(`${head.num_rects} clip rects`);
    // The rects must sit in the first chunk: a chained clip is rare and not followed here.
    if (head.chunk.data_size !== head.num_rects * 16) throw new Bad('clip rects span more than one chunk');
    const rects = this.view(address, 'clip rects').subarray(4 + qxlDataChunkHeaderSize);
    return Array.from({ length: head.num_rects }, (_, i) => {
      const r = decode(Rect, rects.subarray(16 * i, 16 * i + 16));
      if (!r.ok) throw new Bad(`clip rect ${i}: ${r.error}`);
      return r.value;
    });
  }

  private bitmap(address: bigint): Bitmap32 {
    const img = this.struct(QxlBitmapImage, address);
    if (img.descriptor.type !== 0) throw new Bad(`image type ${img.descriptor.type}: only bitmaps`);
    if (img.format !== BitmapFormat.bit32 && img.format !== BitmapFormat.rgba) throw new Bad(`bitmap format ${img.format}`);
    if ((img.flags & QxlBitmapFlags.direct) === 0) throw new Bad('chunked bitmap data is not supported');
    if ((img.flags & QxlBitmapFlags.topDown) === 0) throw new Bad('bottom-up bitmap');
    if (!(img.x >= 1 && img.x <= maxSurfaceSide && img.y >= 1 && img.y <= maxSurfaceSide && img.stride >= img.x * 4))
      throw new Bad(`bitmap ${img.x}x${img.y} stride ${img.stride}`);
    const bytes = img.stride * (img.y - 1) + img.x * 4;
    const pixels = this.view(img.data, 'bitmap data');
    if (pixels.length < bytes) throw new Bad(`bitmap data of ${bytes} bytes runs out of its memory slot`);
    return { width: img.x, height: img.y, stride: img.stride, pixels: pixels.subarray(0, bytes) };
  }

  private cursor(address: QxlPhysical): ReadResult {
    const c = this.struct(QxlCursorCmdHeader, address);
    switch (c.type) {
      case QxlCursorCmdType.set: {
        const s = this.struct(QxlCursorSet, address, qxlCursorCmdUnionOffset);
        const shape = this.struct(QxlCursor, s.shape);
        if (shape.chunk.data_size !== shape.data_size || shape.chunk.next_chunk !== 0n)
          throw new Bad('cursor shape spans more than one chunk');
        const data = this.view(s.shape, 'cursor shape').subarray(qxlCursorHeaderSize);
        if (data.length < shape.data_size) throw new Bad('cursor shape runs out of its memory slot');
        return {
          kind: 'cursor-set',
          x: s.position.x,
          y: s.position.y,
          visible: s.visible !== 0,
          shape: {
            unique: shape.unique,
            type: shape.type,
            width: shape.width,
            height: shape.height,
            hotX: shape.hot_spot_x,
            hotY: shape.hot_spot_y,
            data: data.subarray(0, shape.data_size),
          },
        };
      }
      case QxlCursorCmdType.move: {
        const m = this.struct(QxlCursorMove, address, qxlCursorCmdUnionOffset);
        return { kind: 'cursor-move', x: m.position.x, y: m.position.y };
      }
      case QxlCursorCmdType.hide:
        return { kind: 'cursor-hide' };
      case QxlCursorCmdType.trail: {
        const t = this.struct(QxlCursorTrail, address, qxlCursorCmdUnionOffset);
        return { kind: 'cursor-trail', length: t.length, frequency: t.frequency };
      }
      default:
        return { error: `cursor command type ${c.type}` };
    }
  }
}
