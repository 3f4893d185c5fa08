import type { Box } from '../box.js';
import { ClipType, BrushType, CompositeFlags, CursorFlags, ImageType, BitmapFlags, LineFlags, StringFlags } from './enums.js';
import {
  array,
  counted,
  dependent,
  fixedBytes,
  i16,
  i32,
  lengthOf,
  ptr,
  rest,
  select,
  struct,
  u16,
  u32,
  u64,
  u8,
  when,
  type Codec,
  type TypeOf,
} from './wire.js';

// The structures of spice.proto that messages share, one description each.

export const Point = struct('Point', { x: i32, y: i32 });
export const Point16 = struct('Point16', { x: i16, y: i16 });
/** Top, left, bottom, right: the protocol's order, not x, y, w, h. Decoded, it is a Box. */
export const Rect: Codec<Box> = struct('Rect', { top: i32, left: i32, bottom: i32, right: i32 });

export const ClipRects = struct('ClipRects', { rects: array(u32, Rect) });
/** Inline, never a pointer. */
export const Clip = struct('Clip', {
  type: u8,
  rects: select('Clip', (b) => b.type as number, [[ClipType.rects, ClipRects]], [ClipType.none]),
});
export type Clip = TypeOf<typeof Clip>;

export const DisplayBase = struct('DisplayBase', { surface_id: u32, box: Rect, clip: Clip });

export const ResourceId = struct('ResourceID', { type: u8, id: u64 });
export const ChannelWait = struct('ChannelWait', { channel_type: u8, channel_id: u8, message_serial: u64 });
export const ChannelId = struct('ChannelId', { type: u8, id: u8 });

export const Palette = struct('Palette', { unique: u64, ents: array(u16, u32) });

/** Bytes per row of `width` pixels at `bits` per pixel, as image_size() counts them. */
const rowBytes = (bits: number, width: number): number => Math.floor((bits * width + 7) / 8);

/** Pixels are exactly stride * y bytes (the protocol's `image_size(8, stride, y)`). */
export const BitmapData = struct('BitmapData', {
  format: u8,
  flags: u8,
  x: u32,
  y: u32,
  stride: u32,
  palette_id: when((b) => ((b.flags as number) & BitmapFlags.palFromCache) !== 0, u64),
  palette: when((b) => ((b.flags as number) & BitmapFlags.palFromCache) === 0, ptr(Palette)),
  data: dependent('BitmapData.data', (b) => fixedBytes((b.stride as number) * (b.y as number))),
});

/** QUIC, LZ_RGB, GLZ_RGB, JPEG, LZ4: the compressed bytes after their size. */
export const BinaryData = struct('BinaryData', { data: counted(u32) });

export const LzPltData = struct('LZPLTData', {
  flags: u8,
  data_size: lengthOf('data', u32),
  palette_id: when((b) => ((b.flags as number) & BitmapFlags.palFromCache) !== 0, u64),
  palette: when((b) => ((b.flags as number) & BitmapFlags.palFromCache) === 0, ptr(Palette)),
  data: dependent('LZPLTData.data', (b) => fixedBytes(b.data_size as number)),
});

export const ZlibGlzRgbData = struct('ZlibGlzRGBData', {
  glz_data_size: u32,
  data_size: lengthOf('data', u32),
  data: dependent('ZlibGlzRGBData.data', (b) => fixedBytes(b.data_size as number)),
});

export const JpegAlphaData = struct('JPEGAlphaData', {
  flags: u8,
  jpeg_size: u32,
  data_size: lengthOf('data', u32),
  data: dependent('JPEGAlphaData.data', (b) => fixedBytes(b.data_size as number)),
});

export const ImageDescriptor = struct('ImageDescriptor', { id: u64, type: u8, flags: u8, width: u32, height: u32 });

const imageData = [
  [ImageType.bitmap, BitmapData],
  [[ImageType.quic, ImageType.lzRgb, ImageType.glzRgb, ImageType.jpeg, ImageType.lz4], BinaryData],
  [ImageType.lzPlt, LzPltData],
  [ImageType.zlibGlzRgb, ZlibGlzRgbData],
  [ImageType.jpegAlpha, JpegAlphaData],
  [ImageType.surface, struct('Surface', { surface_id: u32 })],
] as const;

export const Image = struct('Image', {
  descriptor: ImageDescriptor,
  data: select<TypeOf<(typeof imageData)[number][1]>>(
    'Image',
    (b) => (b.descriptor as { type: number }).type,
    imageData as unknown as ReadonlyArray<readonly [number | readonly number[], Codec<TypeOf<(typeof imageData)[number][1]>>]>,
    [ImageType.fromCache, ImageType.fromCacheLossless],
  ),
});
export type Image = TypeOf<typeof Image>;

export const Pattern = struct('Pattern', { pat: ptr(Image), pos: Point });
export const Brush = struct('Brush', {
  type: u8,
  color: when((b) => b.type === BrushType.solid, u32),
  pattern: when((b) => b.type === BrushType.pattern, Pattern),
});
export type Brush = TypeOf<typeof Brush>;

export const QMask = struct('QMask', { flags: u8, pos: Point, bitmap: ptr(Image) });
export type QMask = TypeOf<typeof QMask>;

export const PathSegment = struct('PathSegment', { flags: u8, points: array(u32, Point) });
/** An array of pointers to segments (`@ptr_array`). */
export const Path = struct('Path', { segments: array(u32, ptr(PathSegment)) });

export const LineAttr = struct('LineAttr', {
  flags: u8,
  style_nseg: when((b) => ((b.flags as number) & LineFlags.styled) !== 0, u8),
  style: when(
    (b) => ((b.flags as number) & LineFlags.styled) !== 0,
    dependent('LineAttr.style', (b) => ptr(sizedFixed(b.style_nseg as number))),
  ),
});

/** `n` fixed28_4 values. */
function sizedFixed(n: number): Codec<number[]> {
  return { name: `fixed28_4[${n}]`, read: (r) => Array.from({ length: n }, () => r.i32()), write: (w, v) => v.forEach((x) => w.i32(x)) };
}

const glyph = (bits: number) =>
  struct(`RasterGlyphA${bits}`, {
    render_pos: Point,
    glyph_origin: Point,
    width: u16,
    height: u16,
    data: dependent('RasterGlyph.data', (b) => fixedBytes(rowBytes(bits, b.width as number) * (b.height as number))),
  });
const glyphBits = (flags: number): number =>
  flags & StringFlags.rasterA1 ? 1 : flags & StringFlags.rasterA4 ? 4 : flags & StringFlags.rasterA8 ? 8 : 0;

export const SpiceString = struct('String', {
  length: lengthOf('glyphs', u16),
  flags: u8,
  glyphs: dependent('String.glyphs', (b) => {
    const bits = glyphBits(b.flags as number);
    if (bits === 0) return null;
    const g = ptr(glyph(bits));
    const n = b.length as number;
    return { name: 'glyphs', read: (r) => Array.from({ length: n }, () => g.read(r)), write: (w, v) => v.forEach((e) => g.write(w, e)) };
  }),
});

export const Transform = struct('Transform', { t00: u32, t01: u32, t02: u32, t10: u32, t11: u32, t12: u32 });

export const Composite = struct('Composite', {
  flags: u32,
  src_bitmap: ptr(Image),
  mask_bitmap: when((b) => ((b.flags as number) & CompositeFlags.hasMask) !== 0, ptr(Image)),
  src_transform: when((b) => ((b.flags as number) & CompositeFlags.hasSrcTransform) !== 0, Transform),
  mask_transform: when((b) => ((b.flags as number) & CompositeFlags.hasMaskTransform) !== 0, Transform),
  src_origin: Point16,
  mask_origin: Point16,
});

export const Head = struct('Head', { monitor_id: u32, surface_id: u32, width: u32, height: u32, x: u32, y: u32, flags: u32 });
export type Head = TypeOf<typeof Head>;

export const CursorHeader = struct('CursorHeader', { unique: u64, type: u8, width: u16, height: u16, hot_spot_x: u16, hot_spot_y: u16 });
export type CursorHeader = TypeOf<typeof CursorHeader>;
/** The shape data runs to the end of the message. */
export const Cursor = struct('Cursor', {
  flags: u16,
  header: when((b) => ((b.flags as number) & CursorFlags.none) === 0, CursorHeader),
  data: rest,
});
export type Cursor = TypeOf<typeof Cursor>;

/** A NUL-terminated string pointed to, its size (with the NUL) stored before. */
const pointedString = (sizeField: string) => dependent(`${sizeField}*`, (b) => ptr(fixedBytes(b[sizeField] as number)));

export const DstInfo = struct('DstInfo', {
  port: u16,
  sport: u16,
  host_size: lengthOf('host_data', u32),
  host_data: pointedString('host_size'),
  cert_subject_size: lengthOf('cert_subject_data', u32),
  cert_subject_data: pointedString('cert_subject_size'),
});

export const StreamDataHeader = struct('StreamDataHeader', { id: u32, multi_media_time: u32 });
