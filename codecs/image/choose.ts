import type { Bitmap32 } from './bitmap.js';
import { type GradualityLevel, gradualityLevel } from './graduality.js';

/** The image-compression setting (spice-server's SpiceImageCompression, lower-cased). */
export type ImageCompressionMode = 'auto_glz' | 'auto_lz' | 'quic' | 'glz' | 'lz' | 'lz4' | 'off';

/** What an image is sent as. */
export type ImageEncoding = 'raw' | 'quic' | 'lz' | 'glz' | 'lz4' | 'jpeg';

export interface ChooseImageEncodingInput {
  readonly mode: ImageCompressionMode;
  readonly bitmap: Bitmap32;
  /** The client announced DISPLAY_CAP_LZ4_COMPRESSION. */
  readonly clientHasLz4: boolean;
  /** A graduality already known for this image (spice-server caches it per drawable); measured when absent. */
  readonly graduality?: GradualityLevel;
  /** The window, in pixels, of the client's GLZ dictionary; absent when there is none to encode against (GLZ goes as LZ). */
  readonly glzWindowPixels?: number;
  /** This image may go lossy (`jpeg-wan-compression` on for this client and the caller tracks it): JPEG where QUIC would be. */
  readonly jpeg?: boolean;
}

/** Below this many bytes (height * stride) an image goes raw. */
export const MIN_SIZE_TO_COMPRESS = 54;
/** QUIC needs at least 3x3 pixels. */
export const MIN_DIMENSION_TO_QUIC = 3;
/**
 * GLZ only from this many pixels: its 33-byte header and 3 bytes a literal pixel are then always
 * below the raw bitmap, so a GLZ image (whose id the client must see) is never replaced by raw.
 */
export const MIN_PIXELS_TO_GLZ = 64;

/**
 * spice-server's `get_compression_for_bitmap` plus the LZ4 capability check of
 * `dcc_compress_image`, for 32-bit bitmaps, in the same order of checks. One divergence: there,
 * rows with padding (stride > width*4) cannot be LZ-coded and go QUIC or raw; our encoders read
 * rows at any stride, so padding changes nothing here.
 * GLZ is sent as LZ when there is no dictionary (spice-server does the same whenever an image
 * has no drawable), when the image is not smaller than the window, as spice-server, or when it
 * is so small that GLZ could come out larger than raw.
 * Then spice-server's last step: where QUIC is chosen and the image may be lossy, JPEG (the
 * encoder makes JPEG_ALPHA of an RGBA bitmap).
 */
export function chooseImageEncoding(input: ChooseImageEncodingInput): ImageEncoding {
  const lossless = chooseLossless(input);
  return lossless === 'quic' && input.jpeg ? 'jpeg' : lossless;
}

function chooseLossless({ mode, bitmap, clientHasLz4, graduality, glzWindowPixels }: ChooseImageEncodingInput): ImageEncoding {
  const pixels = bitmap.width * bitmap.height;
  const glzOrLz = glzWindowPixels !== undefined && pixels < glzWindowPixels && pixels >= MIN_PIXELS_TO_GLZ ? 'glz' : 'lz';
  if (bitmap.height * bitmap.stride < MIN_SIZE_TO_COMPRESS) return 'raw';
  const quicPossible = bitmap.width >= MIN_DIMENSION_TO_QUIC && bitmap.height >= MIN_DIMENSION_TO_QUIC;
  switch (mode) {
    case 'off':
      return 'raw';
    case 'quic':
      return quicPossible ? 'quic' : 'raw';
    case 'auto_glz':
    case 'auto_lz':
      if (quicPossible && (graduality ?? gradualityLevel(bitmap)) === 'high') return 'quic';
      return mode === 'auto_glz' ? glzOrLz : 'lz';
    case 'glz':
      return glzOrLz;
    case 'lz':
      return 'lz';
    case 'lz4':
      return clientHasLz4 ? 'lz4' : 'lz';
  }
}
