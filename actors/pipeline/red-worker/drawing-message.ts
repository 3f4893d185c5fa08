import type { Compressed } from '../../../codecs/image/compress-job.js';
import type { displayProtocol } from '../../../codecs/protocol/channels/display.js';
import {
  BitmapFlags,
  BitmapFormat,
  BrushType,
  ClipType,
  ImageType,
  JpegAlphaFlags,
  Ropd,
  SurfaceFlags,
  SurfaceFormat,
} from '../../../codecs/protocol/enums.js';
import type { Clip, Image } from '../../../codecs/protocol/structs.js';
import type { MessageOf } from '../../../codecs/protocol/table.js';
import type { Box } from '../../../codecs/box.js';
import type { Drawing } from './pipe.js';
import { videoCodecType } from '../../../codecs/video/codec-list.js';

export type DisplayMessage = MessageOf<(typeof displayProtocol)['server']['defs']>;

const rect = (b: Box) => ({ top: b.top, left: b.left, bottom: b.bottom, right: b.right });
const clipOf = (clip?: readonly Box[] | null): Clip =>
  clip ? { type: ClipType.rects, rects: { rects: clip.map(rect) } } : { type: ClipType.none, rects: undefined };
const base = (box: Box, clip?: readonly Box[]) => ({ surface_id: 0, box: rect(box), clip: clipOf(clip) });
const noMask = { flags: 0, pos: { x: 0, y: 0 }, bitmap: null };

const imageType = { quic: ImageType.quic, lz: ImageType.lzRgb, lz4: ImageType.lz4, glz: ImageType.glzRgb, jpeg: ImageType.jpeg } as const;

/**
 * What stands for an image drawing's pixels: the pool's result under a fresh id (with the
 * pixmap cache's CACHE_ME / CACHE_REPLACE_ME flags when it is to be kept), or a hit in the
 * client's pixmap cache (FROM_CACHE, or FROM_CACHE_LOSSLESS when `lossless`).
 */
export type ImageSource =
  | { readonly id: bigint; readonly result: Compressed; readonly flags?: number }
  | { readonly id: bigint; readonly fromCache: { readonly lossless: boolean } };

/** The SpiceImage for a snapshot and what stands for its pixels. */
function image(bitmap: { width: number; height: number; pixels: Uint8Array }, source: ImageSource): Image {
  const descriptor = { id: source.id, flags: 0, width: bitmap.width, height: bitmap.height };
  if ('fromCache' in source) {
    const type = source.fromCache.lossless ? ImageType.fromCacheLossless : ImageType.fromCache;
    return { descriptor: { ...descriptor, type }, data: undefined } as Image;
  }
  const c = source.result;
  descriptor.flags = source.flags ?? 0;
  if (c.encoding === 'raw') {
    return {
      descriptor: { ...descriptor, type: ImageType.bitmap },
      data: {
        format: BitmapFormat.bit32,
        flags: BitmapFlags.topDown,
        x: bitmap.width,
        y: bitmap.height,
        stride: bitmap.width * 4,
        palette_id: undefined,
        palette: null,
        data: bitmap.pixels.subarray(0, bitmap.width * bitmap.height * 4),
      },
    } as Image;
  }
  if (c.encoding === 'jpeg-alpha') {
    const data = { flags: JpegAlphaFlags.topDown, jpeg_size: c.jpegBytes, data: c.data };
    return { descriptor: { ...descriptor, type: ImageType.jpegAlpha }, data } as Image;
  }
  if (c.encoding === 'zlib-glz') {
    return { descriptor: { ...descriptor, type: ImageType.zlibGlzRgb }, data: { glz_data_size: c.glzBytes, data: c.data } } as Image;
  }
  return { descriptor: { ...descriptor, type: imageType[c.encoding] }, data: { data: c.data } } as Image;
}

/** SPICE_STREAM_FLAGS_TOP_DOWN: frames are BGRX rows from the top. */
const streamTopDown = 1;

/**
 * The display message for a drawing; an image drawing needs what stands for its pixels, a
 * stream frame its encoded bytes and multi-media time.
 */
export function drawingMessage(d: Drawing, compressed?: ImageSource | { frame: Uint8Array; mmTime: number }): DisplayMessage {
  switch (d.kind) {
    case 'image': {
      const { width, height } = d.bitmap;
      return {
        name: 'draw_copy',
        body: {
          base: base(d.box, d.clip),
          data: {
            src_bitmap: image(d.bitmap, compressed as ImageSource),
            src_area: { top: 0, left: 0, bottom: height, right: width },
            rop_descriptor: Ropd.opPut,
            scale_mode: 0,
            mask: noMask,
          },
        },
      };
    }
    case 'fill':
      return {
        name: 'draw_fill',
        body: {
          base: base(d.box, d.clip),
          data: {
            brush: { type: BrushType.solid, color: d.color & 0xffffff, pattern: undefined },
            rop_descriptor: Ropd.opPut,
            mask: noMask,
          },
        },
      };
    case 'copy-bits':
      return { name: 'copy_bits', body: { base: base(d.box, d.clip), src_pos: { x: d.srcX, y: d.srcY } } };
    case 'surface-create':
      return {
        name: 'surface_create',
        body: { surface_id: 0, width: d.width, height: d.height, format: SurfaceFormat.xrgb32, flags: SurfaceFlags.primary },
      };
    case 'surface-destroy':
      return { name: 'surface_destroy', body: { surface_id: 0 } };
    case 'monitors':
      return {
        name: 'monitors_config',
        body: { max_allowed: 1, heads: [{ monitor_id: 0, surface_id: 0, width: d.width, height: d.height, x: 0, y: 0, flags: 0 }] },
      };
    case 'mark':
      return { name: 'mark', body: {} };
    case 'reset':
      return { name: 'reset', body: {} };
    case 'stream-create': {
      const width = d.dest.right - d.dest.left;
      const height = d.dest.bottom - d.dest.top;
      return {
        name: 'stream_create',
        body: {
          surface_id: 0,
          id: d.id,
          flags: streamTopDown,
          codec_type: videoCodecType[d.codec],
          stamp: 0n,
          stream_width: width,
          stream_height: height,
          src_width: width,
          src_height: height,
          dest: rect(d.dest),
          clip: clipOf(d.clip),
        },
      };
    }
    case 'stream-frame': {
      const { frame, mmTime } = compressed as { frame: Uint8Array; mmTime: number };
      const base = { id: d.id, multi_media_time: mmTime >>> 0 };
      return d.sized
        ? {
            name: 'stream_data_sized',
            body: { base, width: d.bitmap.width, height: d.bitmap.height, dest: rect(d.box), data: frame },
          }
        : { name: 'stream_data', body: { base, data: frame } };
    }
    case 'stream-clip':
      return { name: 'stream_clip', body: { id: d.id, clip: clipOf(d.clip) } };
    case 'stream-destroy':
      return { name: 'stream_destroy', body: { id: d.id } };
    case 'stream-destroy-all':
      return { name: 'stream_destroy_all', body: {} };
    case 'stream-activate-report':
      // spice-server's window and timeout (RED_STREAM_CLIENT_REPORT_WINDOW, _TIMEOUT).
      return { name: 'stream_activate_report', body: { stream_id: d.id, unique_id: d.uniqueId, max_window_size: 5, timeout_ms: 1000 } };
  }
}
