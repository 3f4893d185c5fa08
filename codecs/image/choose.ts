import type { Bitmap32 } from './bitmap.js';
import { type GradualityLevel, gradualityLevel } from './graduality.js';

/** The image-compression setting (spice-server's SpiceImageCompression, lower-cased). */
export type ImageCompressionMode = 'auto_glz' | 'auto_lz' | 'quic' | 'glz' | 'lz' | 'lz4' | 'off';

/** What an image is sent as. */
export type ImageEncoding = 'raw' | 'quic' | 'lz' | 'lz4';

export interface ChooseImageEncodingInput {
  readonly mode: ImageCompressionMode;
  readonly bitmap: Bitmap32;
  /** The client announced DISPLAY_CAP_LZ4_COMPRESSION. */
  readonly clientHasLz4: boolean;
  /** A graduality already known for this image (spice-server caches it per drawable); measured when absent. */
  readonly graduality?: GradualityLevel;
}

/** Below this many bytes (height * stride) an image goes raw. */
export const MIN_SIZE_TO_COMPRESS = 54;
/** QUIC needs at least 3x3 pixels. */
export const MIN_DIMENSION_TO_QUIC = 3;

/**
 * spice-server's `get_compression_for_bitmap` plus the LZ4 capability check of
 * `dcc_compress_image`, for 32-bit bitmaps, in the same order of checks. One divergence: there,
 * rows with padding (stride > width*4) cannot be LZ-coded and go QUIC or raw; our encoders read
 * rows at any stride, so padding changes nothing here.
 * GLZ is sent as LZ until the GLZ encoder exists (spice-server does the same whenever an image
 * has no drawable).
 */
export function chooseImageEncoding({ mode, bitmap, clientHasLz4, graduality }: ChooseImageEncodingInput): ImageEncoding {
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
      return 'lz';
    case 'glz':
    case 'lz':
      return 'lz';
    case 'lz4':
      return clientHasLz4 ? 'lz4' : 'lz';
  }
}
