import { deflateSync, inflateSync } from 'node:zlib';
import { type Decoded, decodeError } from '../bitmap.js';

/** spice-server wraps only GLZ output at least this long (MIN_GLZ_SIZE_FOR_ZLIB). */
export const MIN_GLZ_BYTES_FOR_ZLIB = 100;
/** spice-server's zlib level (`zlib_level`, reds.cpp's default). */
export const ZLIB_GLZ_LEVEL = 3;

/** A ZLIB_GLZ_RGB image's data: a GLZ_RGB payload deflated, and its length before (the wire's `glz_data_size`). */
export interface ZlibGlzImage {
  readonly data: Uint8Array;
  readonly glzBytes: number;
}

/**
 * GLZ output deflated (zlib-wrapped, as spice-server's zlib-encoder.c and spice-gtk's
 * decode-zlib.c's inflateInit expect); null when it is too short to try or does not shrink,
 * as spice-server keeps the GLZ then. node:zlib rather than zlib1g in the addon: the same zlib,
 * and a call's overhead is small beside deflating a GLZ image (README has the figures).
 */
export function wrapGlzInZlib(glz: Uint8Array): ZlibGlzImage | null {
  if (glz.length < MIN_GLZ_BYTES_FOR_ZLIB) return null;
  const deflated = deflateSync(glz, { level: ZLIB_GLZ_LEVEL });
  if (deflated.length >= glz.length) return null;
  return { data: deflated, glzBytes: glz.length };
}

/** The GLZ payload of a ZLIB_GLZ_RGB image, inflated to exactly `glzBytes` (bounded: never more is allocated). */
export function unwrapZlibGlz(data: Uint8Array, glzBytes: number, maxBytes = 2 ** 30): Decoded<Uint8Array> {
  if (!(Number.isSafeInteger(glzBytes) && glzBytes > 0 && glzBytes <= maxBytes))
    return decodeError(`zlib-glz: glz size ${glzBytes} refused`);
  try {
    const glz = inflateSync(data, { maxOutputLength: glzBytes });
    if (glz.length !== glzBytes) return decodeError(`zlib-glz: inflated to ${glz.length} bytes, ${glzBytes} announced`);
    return { ok: true, value: new Uint8Array(glz.buffer, glz.byteOffset, glz.length) };
  } catch (error) {
    return decodeError(`zlib-glz: ${error instanceof Error ? error.message : String(error)}`);
  }
}
