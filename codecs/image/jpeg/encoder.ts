import { jpegEncode, lzAlphaEncode } from '../../../native/index.js';
import type { Bitmap32 } from '../bitmap.js';
import { checkEncodable } from '../encodable.js';

/** spice-server's JPEG quality for images (`jpeg_quality`, reds.cpp). */
export const JPEG_IMAGE_QUALITY = 85;

/**
 * A JPEG image: a complete baseline JPEG of the bitmap's B,G,R (libturbojpeg, in the addon),
 * always top-down, as spice-server's jpeg-encoder.c makes it and spice-gtk's decode-jpeg.c reads.
 */
export function encodeJpegImage(bitmap: Bitmap32): Uint8Array {
  checkEncodable('encodeJpegImage', bitmap);
  return jpegEncode(bitmap.pixels, bitmap.width, bitmap.height, bitmap.stride, JPEG_IMAGE_QUALITY);
}

/** A JPEG_ALPHA image's data: the JPEG, then directly the alpha plane as an LZ stream of type XXXA (top-down). */
export interface JpegAlphaImage {
  readonly data: Uint8Array;
  /** Bytes of `data` that are the JPEG (the wire's `jpeg_size`). */
  readonly jpegBytes: number;
}

export function encodeJpegAlpha(bitmap: Bitmap32): JpegAlphaImage {
  const jpeg = encodeJpegImage(bitmap);
  const alpha = lzAlphaEncode(bitmap.pixels, bitmap.width, bitmap.height, bitmap.stride);
  const data = new Uint8Array(jpeg.length + alpha.length);
  data.set(jpeg);
  data.set(alpha, jpeg.length);
  return { data, jpegBytes: jpeg.length };
}
