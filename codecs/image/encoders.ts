import type { Bitmap32, Bitmap32Format } from './bitmap.js';
import type { ImageEncoding } from './choose.js';
import { encodeJpegImage } from './jpeg/encoder.js';
import { encodeLz } from './lz/encoder.js';
import { encodeLz4 } from './lz4/encoder.js';
import { encodeQuic } from './quic/encoder.js';

/** An encoding that produces bytes ('raw' sends the bitmap itself). */
export type CompressedEncoding = Exclude<ImageEncoding, 'raw'>;

/**
 * Encodes a whole bitmap. The result owns its buffer (no scratch view): the compressor pool
 * transfers it to the caller.
 */
export type ImageEncoder = (bitmap: Bitmap32, format: Bitmap32Format) => Uint8Array;

/**
 * The image encoders this build has, by the encoding they produce; adding one is one line here.
 * LZ is required: it is what every client decodes, the fallback for an encoder not written yet.
 */
export const imageEncoders: Readonly<{ lz: ImageEncoder } & Partial<Record<CompressedEncoding, ImageEncoder>>> = {
  lz: encodeLz,
  quic: encodeQuic,
  lz4: encodeLz4,
  // An RGB32 bitmap's; the pool makes JPEG_ALPHA of an RGBA one (jpeg/encoder.ts).
  jpeg: encodeJpegImage,
};
