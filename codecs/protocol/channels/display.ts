import {
  Brush,
  ChannelWait,
  Clip,
  Composite,
  DisplayBase,
  Head,
  Image,
  LineAttr,
  Path,
  Point,
  QMask,
  Rect,
  ResourceId,
  SpiceString,
  StreamDataHeader,
} from '../structs.js';
import { channelProtocol } from '../table.js';
import {
  array,
  counted,
  empty,
  i32,
  i64,
  lengthOf,
  ptr,
  rest,
  sizedBy,
  struct,
  u16,
  u32,
  u64,
  u8,
  type Codec,
  type TypeOf,
} from '../wire.js';
import { baseClient, baseServer } from './base.js';

/** A drawing message: the DisplayBase, then the operation's own fields. */
const draw = <T>(name: string, data: Codec<T>) => struct(name, { base: DisplayBase, data });

const Copy = struct('Copy', { src_bitmap: ptr(Image), src_area: Rect, rop_descriptor: u16, scale_mode: u8, mask: QMask });
const maskOnly = struct('MaskOnly', { mask: QMask });

/** The client's figures of one stream's last frames (answering STREAM_ACTIVATE_REPORT). */
const StreamReport = struct('stream_report', {
  stream_id: u32,
  unique_id: u32,
  start_frame_mm_time: u32,
  end_frame_mm_time: u32,
  num_frames: u32,
  num_drops: u32,
  last_frame_delay: i32,
  audio_delay: u32,
});
export type StreamReport = TypeOf<typeof StreamReport>;

export const displayProtocol = channelProtocol(
  'display',
  {
    ...baseServer,
    mode: [101, struct('mode', { x_res: u32, y_res: u32, bits: u32 })],
    mark: [102, empty],
    reset: [103, empty],
    copy_bits: [104, struct('copy_bits', { base: DisplayBase, src_pos: Point })],
    inval_list: [105, struct('inval_list', { resources: array(u16, ResourceId) })],
    inval_all_pixmaps: [106, struct('inval_all_pixmaps', { wait_list: array(u8, ChannelWait) })],
    inval_palette: [107, struct('inval_palette', { id: u64 })],
    inval_all_palettes: [108, empty],
    stream_create: [
      122,
      struct('stream_create', {
        surface_id: u32,
        id: u32,
        flags: u8,
        codec_type: u8,
        stamp: u64,
        stream_width: u32,
        stream_height: u32,
        src_width: u32,
        src_height: u32,
        dest: Rect,
        clip: Clip,
      }),
    ],
    stream_data: [123, struct('stream_data', { base: StreamDataHeader, data: counted(u32) })],
    stream_clip: [124, struct('stream_clip', { id: u32, clip: Clip })],
    stream_destroy: [125, struct('stream_destroy', { id: u32 })],
    stream_destroy_all: [126, empty],
    draw_fill: [302, draw('draw_fill', struct('Fill', { brush: Brush, rop_descriptor: u16, mask: QMask }))],
    draw_opaque: [
      303,
      draw(
        'draw_opaque',
        struct('Opaque', { src_bitmap: ptr(Image), src_area: Rect, brush: Brush, rop_descriptor: u16, scale_mode: u8, mask: QMask }),
      ),
    ],
    draw_copy: [304, draw('draw_copy', Copy)],
    draw_blend: [305, draw('draw_blend', Copy)],
    draw_blackness: [306, draw('draw_blackness', maskOnly)],
    draw_whiteness: [307, draw('draw_whiteness', maskOnly)],
    draw_invers: [308, draw('draw_invers', maskOnly)],
    draw_rop3: [
      309,
      draw('draw_rop3', struct('Rop3', { src_bitmap: ptr(Image), src_area: Rect, brush: Brush, rop3: u8, scale_mode: u8, mask: QMask })),
    ],
    draw_stroke: [
      310,
      draw('draw_stroke', struct('Stroke', { path: ptr(Path), attr: LineAttr, brush: Brush, fore_mode: u16, back_mode: u16 })),
    ],
    draw_text: [
      311,
      draw(
        'draw_text',
        struct('Text', { str: ptr(SpiceString), back_area: Rect, fore_brush: Brush, back_brush: Brush, fore_mode: u16, back_mode: u16 }),
      ),
    ],
    draw_transparent: [
      312,
      draw('draw_transparent', struct('Transparent', { src_bitmap: ptr(Image), src_area: Rect, src_color: u32, true_color: u32 })),
    ],
    draw_alpha_blend: [
      313,
      draw('draw_alpha_blend', struct('AlphaBlend', { alpha_flags: u8, alpha: u8, src_bitmap: ptr(Image), src_area: Rect })),
    ],
    surface_create: [314, struct('surface_create', { surface_id: u32, width: u32, height: u32, format: u32, flags: u32 })],
    surface_destroy: [315, struct('surface_destroy', { surface_id: u32 })],
    stream_data_sized: [
      316,
      struct('stream_data_sized', { base: StreamDataHeader, width: u32, height: u32, dest: Rect, data: counted(u32) }),
    ],
    monitors_config: [317, struct('monitors_config', { count: lengthOf('heads', u16), max_allowed: u16, heads: sizedBy('count', Head) })],
    draw_composite: [318, draw('draw_composite', Composite)],
    stream_activate_report: [
      319,
      struct('stream_activate_report', { stream_id: u32, unique_id: u32, max_window_size: u32, timeout_ms: u32 }),
    ],
    // The dma-buf fd travels beside the message (SCM_RIGHTS); the body holds the rest.
    gl_scanout_unix: [320, struct('gl_scanout_unix', { width: u32, height: u32, stride: u32, drm_fourcc_format: u32, flags: u32 })],
    gl_draw: [321, struct('gl_draw', { x: u32, y: u32, w: u32, h: u32 })],
    quality_indicator: [322, struct('quality_indicator', { data: rest })],
  },
  {
    ...baseClient,
    init: [101, struct('init', { pixmap_cache_id: u8, pixmap_cache_size: i64, glz_dictionary_id: u8, glz_dictionary_window_size: i32 })],
    stream_report: [102, StreamReport],
    preferred_compression: [103, struct('preferred_compression', { image_compression: u8 })],
    gl_draw_done: [104, empty],
    preferred_video_codec_type: [105, struct('preferred_video_codec_type', { codecs: array(u8, u8) })],
  },
);
