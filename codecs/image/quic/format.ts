import { decodeError, type Decoded } from '../bitmap.js';
import type { QuicBitReader } from './bit-reader.js';

/** "QUIC" when the first stream word is read little-endian. */
export const QUIC_MAGIC = 0x43495551;
/** (major << 16) | minor; spice-common writes and accepts only 0.0. */
export const QUIC_VERSION = 0;

/** Image types of a QUIC stream (spice-common quic.h). */
export const QuicImageType = { GRAY: 1, RGB16: 2, RGB24: 3, RGB32: 4, RGBA: 5 } as const;
export type QuicImageType = (typeof QuicImageType)[keyof typeof QuicImageType];

/** quic.c's SPICE_MAX_IMAGE_SIZE: larger images are refused by every SPICE decoder. */
export const QUIC_MAX_PIXELS = 512 * 1024 * 1024 - 1;

export interface QuicHeader {
  readonly type: QuicImageType;
  readonly width: number;
  readonly height: number;
}

/**
 * Reads and checks the header: magic, version, type, width, height, each 32-bit value sent as
 * two 16-bit halves, high half first (quic.c encode_32). Width and height are ints in quic.c,
 * so values of 2^31 and up are negative there and refused like 0.
 */
export function readHeader(reader: QuicBitReader): Decoded<QuicHeader> {
  const magic = reader.take32();
  const version = reader.take32();
  const type = reader.take32();
  const width = reader.take32();
  const height = reader.take32();
  if (reader.overrun) return decodeError('quic: stream shorter than its header');
  if (magic !== QUIC_MAGIC) return decodeError(`quic: bad magic 0x${magic.toString(16)}`);
  if (version !== QUIC_VERSION) return decodeError(`quic: unsupported version 0x${version.toString(16)}`);
  if (!isImageType(type)) return decodeError(`quic: bad image type ${type}`);
  if (width === 0 || height === 0 || width >= 2 ** 31 || height >= 2 ** 31) {
    return decodeError(`quic: invalid size ${width}x${height}`);
  }
  if (width * height > QUIC_MAX_PIXELS) return decodeError(`quic: image too large (${width}x${height})`);
  return { ok: true, value: { type, width, height } };
}

function isImageType(value: number): value is QuicImageType {
  return value >= QuicImageType.GRAY && value <= QuicImageType.RGBA;
}
