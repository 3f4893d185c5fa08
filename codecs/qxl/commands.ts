import { Point, Point16, Rect } from '../protocol/structs.js';
import { fixedBytes, i32, struct, u16, u32, u64, u8, type TypeOf } from '../protocol/wire.js';

/**
 * The QXL command structs of spice-protocol's qxl_dev.h (packed, little-endian), described once:
 * the host writes them into device memory with these descriptions and the red-worker reads them
 * back. A QXLPHYSICAL is a u64 memory-slot address (native/qxl/memslots.ts). C unions keep their
 * fixed size here as raw bytes (`u`), read by the variant the type field names.
 */

export const QxlDrawType = {
  nop: 0,
  fill: 1,
  opaque: 2,
  copy: 3,
  copyBits: 4,
  blend: 5,
  blackness: 6,
  whiteness: 7,
  invers: 8,
  rop3: 9,
  stroke: 10,
  text: 11,
  transparent: 12,
  alphaBlend: 13,
  composite: 14,
} as const;
export const QxlEffect = {
  blend: 0,
  opaque: 1,
  revertOnDup: 2,
  blacknessOnDup: 3,
  whitenessOnDup: 4,
  nopOnDup: 5,
  nop: 6,
  opaqueBrush: 7,
} as const;
export const QxlSurfaceCmdType = { create: 0, destroy: 1 } as const;
export const QxlCursorCmdType = { set: 0, move: 1, hide: 2, trail: 3 } as const;
export const QxlBitmapFlags = { direct: 1, unstable: 2, topDown: 4 } as const;
export const QxlImageGroup = { driver: 0, device: 1, red: 2, driverDontCache: 3 } as const;
export const QxlClipType = { none: 0, rects: 1 } as const;
export const QxlBrushType = { none: 0, solid: 1, pattern: 2 } as const;

/** QXLClip: type, then the rects' QXLClipRects address. */
export const QxlClip = struct('QXLClip', { type: u32, data: u64 });
/** QXLBrush: type and a 16-byte union (SOLID: u32 color first; PATTERN: QXLPattern). */
export const QxlBrush = struct('QXLBrush', { type: u32, u: fixedBytes(16) });
export const QxlQMask = struct('QXLQMask', { flags: u8, pos: Point, bitmap: u64 });

export const QxlDrawableHeader = struct('QXLDrawable', {
  release_info: u64,
  surface_id: u32,
  effect: u8,
  type: u8,
  self_bitmap: u8,
  self_bitmap_area: Rect,
  bbox: Rect,
  clip: QxlClip,
  mm_time: u32,
  surfaces_dest: fixedBytes(12),
  surfaces_rects: fixedBytes(48),
});
/** Where QXLDrawable's union starts. */
export const qxlDrawableUnionOffset = 8 + 4 + 3 + 16 + 16 + 12 + 4 + 12 + 48;

export const QxlFill = struct('QXLFill', { brush: QxlBrush, rop_descriptor: u16, mask: QxlQMask });
export const QxlCopy = struct('QXLCopy', { src_bitmap: u64, src_area: Rect, rop_descriptor: u16, scale_mode: u8, mask: QxlQMask });
export const QxlCopyBits = struct('QXLCopyBits', { src_pos: Point });
export type QxlFill = TypeOf<typeof QxlFill>;
export type QxlCopy = TypeOf<typeof QxlCopy>;

/** QXLDataChunk: a piece of a chunked buffer (clip rects, cursor shapes), its data following at once. */
export const QxlDataChunk = struct('QXLDataChunk', { data_size: u32, prev_chunk: u64, next_chunk: u64 });
export const qxlDataChunkHeaderSize = 20;
export const QxlClipRects = struct('QXLClipRects', { num_rects: u32, chunk: QxlDataChunk });

export const QxlImageDescriptor = struct('QXLImageDescriptor', { id: u64, type: u8, flags: u8, width: u32, height: u32 });
/** QXLImage of type BITMAP: the descriptor, then QXLBitmap. With QXL_BITMAP_DIRECT, `data` addresses the pixels themselves. */
export const QxlBitmapImage = struct('QXLImage', {
  descriptor: QxlImageDescriptor,
  format: u8,
  flags: u8,
  x: u32,
  y: u32,
  stride: u32,
  palette: u64,
  data: u64,
});
export type QxlBitmapImage = TypeOf<typeof QxlBitmapImage>;
/** QXLImage of type SURFACE: the descriptor, then the id of the surface whose pixels are the source. */
export const QxlSurfaceImage = struct('QXLImage.surface', { descriptor: QxlImageDescriptor, surface_id: u32 });

export const QxlSurfaceCmd = struct('QXLSurfaceCmd', {
  release_info: u64,
  surface_id: u32,
  type: u8,
  flags: u32,
  format: u32,
  width: u32,
  height: u32,
  stride: i32,
  data: u64,
});
export type QxlSurfaceCmd = TypeOf<typeof QxlSurfaceCmd>;

export const QxlUpdateCmd = struct('QXLUpdateCmd', { release_info: u64, area: Rect, update_id: u32, surface_id: u32 });

/** QXLCursorCmd: type, then a 13-byte union read by type. */
export const QxlCursorCmdHeader = struct('QXLCursorCmd', { release_info: u64, type: u8 });
export const qxlCursorCmdUnionOffset = 9;
export const QxlCursorSet = struct('QXLCursorCmd.set', { position: Point16, visible: u8, shape: u64 });
export const QxlCursorTrail = struct('QXLCursorCmd.trail', { length: u16, frequency: u16 });
export const QxlCursorMove = struct('QXLCursorCmd.position', { position: Point16 });
export const qxlCursorCmdSize = qxlCursorCmdUnionOffset + 13;

/** QXLCursor: the header, the total data size, then the first chunk (shape bytes follow its header). */
export const QxlCursor = struct('QXLCursor', {
  unique: u64,
  type: u16,
  width: u16,
  height: u16,
  hot_spot_x: u16,
  hot_spot_y: u16,
  data_size: u32,
  chunk: QxlDataChunk,
});
export const qxlCursorHeaderSize = 18 + 4 + qxlDataChunkHeaderSize;
