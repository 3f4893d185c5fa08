/** SPICE constants (spice-protocol enums.h, spice.proto), by the names the protocol uses. */

export const ChannelType = {
  main: 1,
  display: 2,
  inputs: 3,
  cursor: 4,
  playback: 5,
  record: 6,
  tunnel: 7,
  smartcard: 8,
  usbredir: 9,
  port: 10,
  webdav: 11,
} as const;
export type ChannelTypeName = keyof typeof ChannelType;
const channelTypeNames = Object.fromEntries(Object.entries(ChannelType).map(([k, v]) => [v, k])) as Record<number, ChannelTypeName>;
export const channelTypeName = (type: number): string => channelTypeNames[type] ?? `type ${type}`;

/** Capability bit numbers; a cap N is bit N%32 of word N/32. */
export const CommonCap = { authSelection: 0, authSpice: 1, authSasl: 2, miniHeader: 3 } as const;
export const MainCap = { semiSeamlessMigrate: 0, nameAndUuid: 1, agentConnectedTokens: 2, seamlessMigrate: 3 } as const;
export const DisplayCap = {
  sizedStream: 0,
  monitorsConfig: 1,
  composite: 2,
  a8Surface: 3,
  streamReport: 4,
  lz4Compression: 5,
  prefCompression: 6,
  glScanout: 7,
  multiCodec: 8,
  codecMjpeg: 9,
  codecVp8: 10,
  codecH264: 11,
  prefVideoCodecType: 12,
  codecVp9: 13,
  codecH265: 14,
} as const;
export const InputsCap = { keyScancode: 0 } as const;
export const PlaybackCap = { celt051: 0, volume: 1, latency: 2, opus: 3 } as const;
export const RecordCap = { celt051: 0, volume: 1, opus: 2 } as const;

export const hasCap = (caps: readonly number[], bit: number): boolean => ((caps[bit >>> 5] ?? 0) & (1 << (bit & 31))) !== 0;

/** Cap words with the given bits set. */
export function capWords(bits: readonly number[]): number[] {
  const words: number[] = [];
  for (const b of bits) {
    while (words.length <= b >>> 5) words.push(0);
    words[b >>> 5] = (words[b >>> 5]! | (1 << (b & 31))) >>> 0;
  }
  return words;
}

export const MouseMode = { server: 1, client: 2 } as const;
export const AudioDataMode = { invalid: 0, raw: 1, celt051: 2, opus: 3 } as const;
export const AudioFormat = { invalid: 0, s16: 1 } as const;
export const MouseButton = { left: 1, middle: 2, right: 3, up: 4, down: 5, side: 6, extra: 7 } as const;
export const KeyboardModifier = { scrollLock: 1, numLock: 2, capsLock: 4 } as const;

export const NotifySeverity = { info: 0, warn: 1, error: 2 } as const;
export const NotifyVisibility = { low: 0, medium: 1, high: 2 } as const;

export const ClipType = { none: 0, rects: 1 } as const;
export const BrushType = { none: 0, solid: 1, pattern: 2 } as const;
export const ImageType = {
  bitmap: 0,
  quic: 1,
  lzPlt: 100,
  lzRgb: 101,
  glzRgb: 102,
  fromCache: 103,
  surface: 104,
  jpeg: 105,
  fromCacheLossless: 106,
  zlibGlzRgb: 107,
  jpegAlpha: 108,
  lz4: 109,
} as const;
export const ImageFlags = { cacheMe: 1, highBitsSet: 2, cacheReplaceMe: 4 } as const;
export const BitmapFormat = {
  bit1Le: 1,
  bit1Be: 2,
  bit4Le: 3,
  bit4Be: 4,
  bit8: 5,
  bit16: 6,
  bit24: 7,
  bit32: 8,
  rgba: 9,
  bit8A: 10,
} as const;
export const BitmapFlags = { palCacheMe: 1, palFromCache: 2, topDown: 4 } as const;
export const Ropd = {
  inversSrc: 1,
  inversBrush: 2,
  inversDest: 4,
  opPut: 8,
  opOr: 16,
  opAnd: 32,
  opXor: 64,
  blackness: 128,
  whiteness: 256,
  invers: 512,
  inversRes: 1024,
} as const;
export const ScaleMode = { interpolate: 0, nearest: 1 } as const;
export const SurfaceFormat = { a1: 1, a8: 8, rgb555: 16, xrgb32: 32, rgb565: 80, argb32: 96 } as const;
export const SurfaceFlags = { primary: 1, streamingMode: 2 } as const;
export const StringFlags = { rasterA1: 1, rasterA4: 2, rasterA8: 4, rasterTopDown: 8 } as const;
export const LineFlags = { startWithGap: 4, styled: 8 } as const;
export const CompositeFlags = { hasMask: 1 << 19, hasSrcTransform: 1 << 20, hasMaskTransform: 1 << 21 } as const;
export const ResourceType = { pixmap: 1 } as const;
export const VideoCodec = { mjpeg: 1, vp8: 2, h264: 3, vp9: 4, h265: 5 } as const;
export const StreamFlags = { topDown: 1 } as const;
/** SPICE_JPEG_ALPHA_FLAGS_*: the orientation of a JPEG_ALPHA image's alpha plane. */
export const JpegAlphaFlags = { topDown: 1 } as const;

export const CursorType = { alpha: 0, mono: 1, color4: 2, color8: 3, color16: 4, color24: 5, color32: 6 } as const;
export const CursorFlags = { none: 1, cacheMe: 2, fromCache: 4 } as const;

export const MigrateFlags = { needFlush: 1, needDataTransfer: 2 } as const;

export const SpicevmcCap = { dataCompressLz4: 0 } as const;
export const DataCompression = { none: 0, lz4: 1 } as const;
export const PortEvent = { opened: 0, closed: 1, break: 2 } as const;
