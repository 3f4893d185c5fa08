import { Subject } from 'rxjs';
import type { Bitmap32 } from '../codecs/image/bitmap.js';
import type { Box } from '../codecs/box.js';
import { Canvas } from '../codecs/image/canvas.js';
import { GlzWindow } from '../codecs/image/glz/decoder.js';
import { unwrapZlibGlz } from '../codecs/image/glz/zlib.js';
import { decodeJpegAlpha, decodeJpegImage } from '../codecs/image/jpeg/decoder.js';
import { decodeLz } from '../codecs/image/lz/decoder.js';
import { decodeLz4 } from '../codecs/image/lz4/decoder.js';
import { writePpm } from '../codecs/image/ppm.js';
import { decodeQuic } from '../codecs/image/quic/decoder.js';
import type { displayProtocol } from '../codecs/protocol/channels/display.js';
import {
  BitmapFlags,
  BitmapFormat,
  BrushType,
  ClipType,
  ImageFlags,
  ImageType,
  JpegAlphaFlags,
  ResourceType,
  SurfaceFlags,
} from '../codecs/protocol/enums.js';
import type { Clip, Image } from '../codecs/protocol/structs.js';
import type { MessageOf } from '../codecs/protocol/table.js';
import type { ClientChannel } from './channel.js';
import { createVideoDecoder, type VideoDecoder } from '../codecs/video/decoder.js';
import { videoCodecs, videoCodecType } from '../codecs/video/codec-list.js';
import { ClientPixmapCache } from './pixmap-cache.js';
import type { MmClock } from './mm-clock.js';
import { StreamReports } from './stream-reports.js';

type Display = typeof displayProtocol;
export type DisplayChannel = ClientChannel<Display['server']['defs'], Display['client']['defs']>;
type DisplayMessage = MessageOf<Display['server']['defs']>;

const clipBoxes = (c: Clip): Box[] | undefined => (c.type === ClipType.rects ? c.rects!.rects : undefined);
const codecOfType = (type: number) => videoCodecs.find((c) => videoCodecType[c] === type);

export type ImageTypeName = keyof typeof ImageType;
const imageTypeNames = new Map(Object.entries(ImageType).map(([name, type]) => [type as number, name as ImageTypeName]));

/**
 * What the display channel brought, counted as it arrived (for benches): images by type with
 * their payload bytes (FROM_CACHE: hits of the client's pixmap cache, no payload), COPY_BITS
 * and DRAW_FILL.
 */
export interface DisplayTally {
  readonly images: Partial<Record<ImageTypeName, { count: number; bytes: number }>>;
  copyBits: number;
  fills: number;
}

/** An image's payload bytes (what its compression made of it). */
function payloadBytes(image: Image): number {
  const data = image.data as { data?: Uint8Array } | undefined;
  return data?.data?.length ?? 0;
}

/** A video stream the server created: where its frames go, what of them shows, and its decoder. */
interface ClientStream {
  dest: Box;
  clip: Box[] | undefined;
  readonly decoder: VideoDecoder;
}

/** What DISPLAY_INIT offers: the pixmap cache's id and size in pixels, the GLZ dictionary's id and window in pixels. */
export type DisplayInit = Extract<MessageOf<Display['client']['defs']>, { name: 'init' }>['body'];

/** spice-gtk's DISPLAY_INIT: pixmap cache of 80 MiB in pixels, GLZ dictionary 1 with a 16 MiB window. */
export const spiceGtkDisplayInit: DisplayInit = {
  pixmap_cache_id: 1,
  pixmap_cache_size: 20_971_520n,
  glz_dictionary_id: 1,
  glz_dictionary_window_size: 4_194_304,
};

/** Decodes a SpiceImage to pixels, or says why it cannot; GLZ images against the session's window. */
export function decodeImage(image: Image, glz?: GlzWindow): Bitmap32 | string {
  const { type, width, height } = image.descriptor;
  const data = image.data as { data: Uint8Array } & { format: number; flags: number; x: number; y: number; stride: number } & {
    jpeg_size: number;
    glz_data_size: number;
  };
  switch (type) {
    case ImageType.bitmap: {
      if (data.format !== BitmapFormat.bit32 && data.format !== BitmapFormat.rgba) return `bitmap format ${data.format}`;
      if (data.x !== width || data.y !== height) return 'bitmap size differs from its descriptor';
      if (data.flags & BitmapFlags.topDown) return { width, height, stride: data.stride, pixels: data.data };
      // Bottom-up: the first row in the data is the bottom line.
      const pixels = new Uint8Array(width * height * 4);
      for (let y = 0; y < height; y++)
        pixels.set(data.data.subarray((height - 1 - y) * data.stride, (height - 1 - y) * data.stride + width * 4), y * width * 4);
      return { width, height, stride: width * 4, pixels };
    }
    case ImageType.quic: {
      const r = decodeQuic(data.data);
      return r.ok ? r.value.bitmap : r.error;
    }
    case ImageType.lzRgb: {
      const r = decodeLz(data.data);
      return r.ok ? r.value : r.error;
    }
    case ImageType.glzRgb: {
      if (!glz) return 'a GLZ image without a GLZ window';
      const r = glz.decode(data.data);
      return r.ok ? r.value : r.error;
    }
    case ImageType.lz4: {
      const r = decodeLz4(data.data, width, height);
      return r.ok ? r.value : r.error;
    }
    case ImageType.zlibGlzRgb: {
      if (!glz) return 'a ZLIB_GLZ image without a GLZ window';
      // GLZ never takes 4 bytes a pixel (3 a literal, a control byte per 32): a larger size is hostile.
      const inflated = unwrapZlibGlz(data.data, data.glz_data_size, width * height * 4 + 64);
      if (!inflated.ok) return inflated.error;
      const r = glz.decode(inflated.value);
      return r.ok ? r.value : r.error;
    }
    case ImageType.jpeg:
    case ImageType.jpegAlpha: {
      const r =
        type === ImageType.jpeg
          ? decodeJpegImage(data.data)
          : decodeJpegAlpha(data.data, data.jpeg_size, (data.flags & JpegAlphaFlags.topDown) !== 0);
      if (!r.ok) return r.error;
      return r.value.width === width && r.value.height === height ? r.value : 'JPEG size differs from its descriptor';
    }
    default:
      return `image type ${type} is not decoded by this client`;
  }
}

/**
 * The client side of a display channel: sends DISPLAY_INIT, keeps the primary surface and
 * draws what the server sends on it, as spice-gtk's canvas does for the operations this server
 * uses (DRAW_COPY with BITMAP, QUIC, LZ, LZ4, GLZ, ZLIB_GLZ and JPEG images, DRAW_FILL, COPY_BITS, with clips).
 */
export class ClientDisplay {
  surface: Canvas | null = null;
  marked = false;
  monitors: Extract<DisplayMessage, { name: 'monitors_config' }>['body'] | null = null;
  resets = 0;
  /** Drawings applied to the primary surface. */
  draws = 0;
  /** Video streams by id, and frames drawn from them. */
  readonly streams = new Map<number, ClientStream>();
  streamFrames = 0;
  /** The box of each drawing once it is on the primary surface (for a probe that reads pixels there). */
  readonly drawn$ = new Subject<Box>();
  /**
   * When the first drawing was on the primary surface (epoch ms, `performance.timeOrigin +
   * performance.now()`): the session draws as soon as its display channel links, before a watcher
   * that waits for every channel's link can subscribe to `drawn$`.
   */
  firstDrawnAt: number | null = null;
  error: string | null = null;
  /** The GLZ window (one display here: spice-gtk keeps one per session). */
  readonly glz = new GlzWindow();
  readonly tally: DisplayTally = { images: {}, copyBits: 0, fills: 0 };
  /** Told each DRAW_COPY's decoded image before it is drawn (the surface still shows what was there). */
  beforeCopy: ((dest: Box, image: Bitmap32, srcX: number, srcY: number, payloadBytes: number) => void) | null = null;
  /**
   * The pixmap cache, of the size DISPLAY_INIT offers: this display's own, where spice-gtk shares
   * one by cache id (so a second display in one session gives another id, and the server keeps
   * their caches apart).
   */
  readonly pixmaps: ClientPixmapCache;
  /** Messages applied, by name (draw_copy, copy_bits, draw_fill, inval_list, ...). */
  readonly received = new Map<string, number>();

  /** The STREAM_REPORTs this client sends once the server activates them (never without a session clock). */
  private readonly reports = new StreamReports();
  /** STREAM_REPORTs sent. */
  reportsSent = 0;

  constructor(
    readonly channel: DisplayChannel,
    init: DisplayInit = spiceGtkDisplayInit,
    /** The session's multi-media clock: with it, frames are timed and activated reports answered. */
    private readonly clock: MmClock | null = null,
  ) {
    this.pixmaps = new ClientPixmapCache(Math.max(0, Number(init.pixmap_cache_size)));
    channel.messages$.subscribe((m) => this.apply(m));
    for (const m of channel.history) this.apply(m);
    channel.send({ name: 'init', body: init });
  }

  /** The primary surface as a P6 PPM. */
  ppm(): Uint8Array {
    if (!this.surface) throw new Error('no primary surface');
    return writePpm(this.surface.bitmap);
  }

  private apply(m: DisplayMessage): void {
    this.received.set(m.name, (this.received.get(m.name) ?? 0) + 1);
    switch (m.name) {
      case 'surface_create':
        if (m.body.flags & SurfaceFlags.primary) this.surface = new Canvas(m.body.width, m.body.height);
        return;
      case 'surface_destroy':
        if (m.body.surface_id === 0) this.surface = null;
        return;
      case 'mark':
        this.marked = true;
        return;
      case 'reset':
        // As spice-gtk: the picture is cleared and not shown until the next MARK.
        this.surface?.bitmap.pixels.fill(0);
        this.marked = false;
        this.resets++;
        return;
      case 'monitors_config':
        this.monitors = m.body;
        return;
      case 'draw_copy': {
        const s = this.target(m.body.base.surface_id);
        const src = m.body.data.src_bitmap;
        if (!s || !src) return;
        const bytes = payloadBytes(src);
        this.count(src.descriptor.type, bytes);
        const img = this.image(src);
        if (typeof img === 'string') return this.fail(img);
        const a = m.body.data.src_area;
        this.beforeCopy?.(m.body.base.box, img, a.left, a.top, bytes);
        s.copy(m.body.base.box, img, a.left, a.top, clipBoxes(m.body.base.clip));
        return this.drew(m.body.base.box);
      }
      case 'draw_fill': {
        const s = this.target(m.body.base.surface_id);
        if (!s) return;
        const brush = m.body.data.brush;
        if (brush.type !== BrushType.solid) return this.fail(`fill brush type ${brush.type}`);
        this.tally.fills++;
        s.fill(m.body.base.box, brush.color!, clipBoxes(m.body.base.clip));
        return this.drew(m.body.base.box);
      }
      case 'copy_bits': {
        const s = this.target(m.body.base.surface_id);
        if (!s) return;
        this.tally.copyBits++;
        s.copyBits(m.body.base.box, m.body.src_pos.x, m.body.src_pos.y, clipBoxes(m.body.base.clip));
        return this.drew(m.body.base.box);
      }
      case 'inval_list':
        for (const r of m.body.resources) {
          if (r.type !== ResourceType.pixmap) return this.fail(`INVAL_LIST of resource type ${r.type}`);
          this.pixmaps.remove(r.id);
        }
        return;
      case 'inval_all_pixmaps':
        // One channel here: nothing else to wait for.
        this.pixmaps.clear();
        return;
      case 'stream_create': {
        const codec = codecOfType(m.body.codec_type);
        if (!codec) return this.fail(`stream codec type ${m.body.codec_type}`);
        this.streams.get(m.body.id)?.decoder.close();
        this.reports.end(m.body.id);
        this.streams.set(m.body.id, { dest: m.body.dest, clip: clipBoxes(m.body.clip), decoder: createVideoDecoder(codec) });
        return;
      }
      case 'stream_activate_report':
        if (this.clock && this.streams.has(m.body.stream_id)) this.reports.activate(m.body);
        return;
      case 'stream_data':
      case 'stream_data_sized': {
        const st = this.streams.get(m.body.base.id);
        if (!st) return this.fail(`frame of stream ${m.body.base.id}, which does not exist`);
        if (m.name === 'stream_data_sized') st.dest = m.body.dest;
        // Counted as it arrives, before it is decoded, as spice-gtk does (its decoder runs on a thread of its own).
        this.report(m.body.base.id, m.body.base.multi_media_time);
        const frame = st.decoder.decode(m.body.data);
        if (!frame.ok) return this.fail(`stream ${m.body.base.id}: ${frame.error}`);
        // Shown at once: this client keeps no media clock (spice-gtk waits for the frame's multi-media time).
        const s = this.target(0);
        if (!s) return;
        if (frame.value.width !== st.dest.right - st.dest.left || frame.value.height !== st.dest.bottom - st.dest.top)
          return this.fail(`stream ${m.body.base.id}: a ${frame.value.width}x${frame.value.height} frame for a scaled destination`);
        s.copy(st.dest, frame.value, 0, 0, st.clip);
        this.streamFrames++;
        return this.drew(st.dest);
      }
      case 'stream_clip': {
        const st = this.streams.get(m.body.id);
        if (st) st.clip = clipBoxes(m.body.clip);
        return;
      }
      case 'stream_destroy':
        this.streams.get(m.body.id)?.decoder.close();
        this.streams.delete(m.body.id);
        this.reports.end(m.body.id);
        return;
      case 'stream_destroy_all':
        for (const st of this.streams.values()) st.decoder.close();
        this.streams.clear();
        this.reports.end();
        return;
      default:
        return;
    }
  }

  /** Counts a frame into its stream's report window, and sends the report when it is due. */
  private report(streamId: number, frameMm: number): void {
    if (!this.clock) return;
    const report = this.reports.frame(streamId, frameMm, this.clock.now(), performance.now());
    if (!report) return;
    this.channel.send({ name: 'stream_report', body: report });
    this.reportsSent++;
  }

  private count(type: number, bytes: number): void {
    const name = imageTypeNames.get(type);
    if (!name) return;
    const t = (this.tally.images[name] ??= { count: 0, bytes: 0 });
    t.count++;
    t.bytes += bytes;
  }

  /** A drawing's image: decoded (and kept when the server says so) or taken from the pixmap cache; the reason when neither works. */
  private image(src: Image): Bitmap32 | string {
    const { type, id, flags } = src.descriptor;
    if (type === ImageType.fromCache || type === ImageType.fromCacheLossless)
      return this.pixmaps.get(id) ?? `FROM_CACHE of pixmap ${id}, which the cache does not hold`;
    const img = decodeImage(src, this.glz);
    if (typeof img === 'string' || !(flags & (ImageFlags.cacheMe | ImageFlags.cacheReplaceMe))) return img;
    return this.pixmaps.put(id, img) ?? img;
  }

  private drew(r: Box): void {
    if (this.draws++ === 0) this.firstDrawnAt = performance.timeOrigin + performance.now();
    if (this.drawn$.observed) this.drawn$.next(r);
  }

  private target(surfaceId: number): Canvas | null {
    if (surfaceId !== 0) {
      this.fail(`drawing on surface ${surfaceId}`);
      return null;
    }
    return this.surface;
  }

  private fail(why: string): void {
    this.error ??= why;
  }
}
