/**
 * SPICE GLZ (spice-server `glz-encoder*.c`; spice-gtk `decode-glz.c`, `decode-glz-tmpl.c`): LZ
 * over pixels whose matches may reach into earlier images of a window both ends keep.
 *
 * Header, big-endian: u32 magic (LZ's), u32 version, u8 `type | top_down << 4`, u32 width,
 * u32 height, u32 stride, u64 image id (ids count up by exactly 1 a GLZ image), u32
 * win_head_dist (id minus the oldest id the window still holds: the client frees older ones).
 *
 * Stream (RGB32): a control byte at a time; below 32, a literal run of ctrl+1 pixels, 3 bytes
 * B,G,R each. Otherwise a match: ctrl bits 7-5 the length (7: add bytes while 255; no bias),
 * bit 4 a long-offset flag, bits 3-0 the offset's low 4 bits; one byte of offset bits 4-11; then
 * a byte whose top 2 bits count the image-distance bytes that follow:
 * - short offset (12 bits): its low 6 bits start the image distance, each further byte adds 8
 *   bits from bit 6;
 * - long offset: bit 5 says a last offset byte (bits 17-24) follows the distance bytes, bits 4-0
 *   are offset bits 12-16, and the distance is the further bytes, little-endian.
 * Image distance 0 is the image itself: the offset is the distance back, biased by 1. Otherwise
 * it is the pixel index into image (id - distance), which the match must not run past.
 */
export const GLZ_HEADER_SIZE = 33;
export const GLZ_MAX_COPY = 32;
export const GLZ_LEN_ESCAPE = 7;
export const GLZ_SHORT_OFFSET_BITS = 12;
/** LZ_IMAGE_TYPE_RGB32, with the top-down flag in bit 4: what this encoder writes. */
export const GLZ_TYPE_RGB32 = 8;
export const GLZ_TOP_DOWN_SHIFT = 4;

/**
 * The encoder's dictionary in shared memory (encoder.cc reads the same layout): a header, two hash
 * tables of window positions, one entry per image id (slot id % maxImages), and the pixel ring
 * where each image lies contiguous (B,G,R,0 words). Window positions count every pixel ever
 * added; position p is ring word p % ringPixels.
 */
export const GlzDictionaryLayout = {
  /** Int32: 0 free, 1 taken (one encode at a time against one dictionary). */
  lock: 0,
  ringPixels: 4,
  maxImages: 8,
  /** u64 fields from here. */
  nextId: 16,
  nextPosition: 24,
  oldestId: 32,
  /** Pixels coded as matches into earlier images, as matches in the same image, as literals. */
  crossPixels: 40,
  samePixels: 48,
  literalPixels: 56,
  headerBytes: 128,
  hashLog: 16,
  /** Positions in the image being coded; positions in earlier images. */
  hashTables: 2,
  entryBytes: 16,
} as const;
