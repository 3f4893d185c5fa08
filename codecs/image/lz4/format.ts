/**
 * SPICE's LZ4 image (spice-server `lz4-encoder.c`, spice-common `canvas_get_lz4`): a byte
 * top_down (0/1), a byte SpiceBitmapFmt, then blocks, each a u32 big-endian length and an LZ4
 * block (the LZ4 block format: token, literals, 16-bit little-endian offset, match length).
 * The blocks decode one after another into one buffer, so a block's matches may reach back into
 * the blocks before it. The decoded rows are width * bytes-per-pixel long.
 */
export const LZ4_HEADER_SIZE = 2;
export const LZ4_BLOCK_PREFIX = 4;
/** LZ4's shortest match; a token's match nibble counts beyond it. */
export const LZ4_MIN_MATCH = 4;
/** A token nibble of 15 says more length bytes follow (each adds up to 255, while 255). */
export const LZ4_NIBBLE_MORE = 15;
