/**
 * The SPICE LZ stream (spice-common `lz.c`, `lz_common.h`): the payload of a SpiceImage of type
 * LZ_RGB after its `u32 data_size`. A header of 7 big-endian u32 — magic, version, type, width,
 * height, stride, top_down — then the compressed pixels (see encoder.ts / decoder.ts).
 */

/** Written big-endian, so the wire bytes are 20 20 5A 4C ("LZ  " is the little-endian view). */
export const LZ_MAGIC = 0x20205a4c;
/** Major 1, minor 1. */
export const LZ_VERSION = 0x00010001;
export const LZ_HEADER_SIZE = 7 * 4;

/** spice-common `LzImageType`. */
export const LzImageType = {
  PLT1_LE: 1,
  PLT1_BE: 2,
  PLT4_LE: 3,
  PLT4_BE: 4,
  PLT8: 5,
  RGB16: 6,
  RGB24: 7,
  RGB32: 8,
  RGBA: 9,
  XXXA: 10,
  A8: 11,
} as const;
export type LzImageType = (typeof LzImageType)[keyof typeof LzImageType];

/** The SpiceImage type that carries an RGB LZ stream. */
export const SPICE_IMAGE_TYPE_LZ_RGB = 101;

/** Bytes a pixel occupies in the image the header's `stride` describes (`RGB_BYTES_PER_PIXEL`). */
export const RGB_BYTES_PER_PIXEL: Readonly<Partial<Record<LzImageType, number>>> = {
  [LzImageType.RGB16]: 2,
  [LzImageType.RGB24]: 3,
  [LzImageType.RGB32]: 4,
  [LzImageType.RGBA]: 4,
  [LzImageType.XXXA]: 4,
  [LzImageType.A8]: 1,
};

// Control bytes. Below MAX_COPY: a literal run of ctrl+1 pixels. Otherwise a match: 3 bits of
// length, 5 high bits of the biased distance, then its low byte.
export const MAX_COPY = 32;
/** Length field 7 means "more length bytes follow, each 255 continues". */
export const LEN_ESCAPE = 7;
/**
 * Distances are stored biased (distance - 1). Biased values below MAX_DISTANCE take the 13-bit
 * form; high bits 31 with low byte 255 (= MAX_DISTANCE) escape to a 16-bit value that is added
 * to MAX_DISTANCE. So a pixel distance up to MAX_DISTANCE is near, beyond it far.
 */
export const MAX_DISTANCE = 8191;
/** The farthest pixel distance the encoder uses (spice-common's MAX_FARDISTANCE; the form reaches 2 pixels further). */
export const MAX_FAR_DISTANCE = 65535 + MAX_DISTANCE - 1;

/**
 * A match whose length field (3 bits, plus the escape bytes) reads `f` copies `f + bias` pixels:
 * the shortest match worth coding differs per pixel size, so the field starts there.
 */
export const MATCH_LENGTH_BIAS = { rgb: 0, rgb16: 1, alpha: 2 } as const;

/** Header fields as read from or written to the wire. */
export interface LzHeader {
  readonly type: number;
  readonly width: number;
  readonly height: number;
  readonly stride: number;
  readonly topDown: number;
}

export function writeHeader(out: Uint8Array, h: LzHeader): void {
  const view = new DataView(out.buffer, out.byteOffset, LZ_HEADER_SIZE);
  const words = [LZ_MAGIC, LZ_VERSION, h.type, h.width, h.height, h.stride, h.topDown];
  words.forEach((w, i) => view.setUint32(i * 4, w, false));
}

/** The 7 header words, or null when `data` is shorter than a header. Validation is the caller's. */
export function readHeaderWords(data: Uint8Array): { magic: number; version: number; header: LzHeader } | null {
  if (data.length < LZ_HEADER_SIZE) return null;
  const view = new DataView(data.buffer, data.byteOffset, LZ_HEADER_SIZE);
  const w = (i: number) => view.getUint32(i * 4, false);
  return { magic: w(0), version: w(1), header: { type: w(2), width: w(3), height: w(4), stride: w(5), topDown: w(6) } };
}
