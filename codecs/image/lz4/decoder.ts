import { BitmapFormat } from '../../protocol/enums.js';
import { type Bitmap32, type Bitmap32Format, type Decoded, decodeError } from '../bitmap.js';
import { WireError } from '../../decoded.js';
import { LZ4_BLOCK_PREFIX, LZ4_HEADER_SIZE, LZ4_MIN_MATCH, LZ4_NIBBLE_MORE } from './format.js';

/** A decoded LZ4 image: top-down B,G,R,X or B,G,R,A pixels, stride width*4. */
export interface Lz4Image extends Bitmap32 {
  readonly format: Bitmap32Format;
}

/**
 * Decodes a SPICE LZ4 image of a 32BIT or RGBA bitmap whose size the image descriptor gives, as
 * spice-gtk does: every block into one buffer, matches reaching back across blocks, the blocks
 * filling it exactly. A bottom-up image comes out top-down.
 */
export function decodeLz4(data: Uint8Array, width: number, height: number): Decoded<Lz4Image> {
  if (data.length < LZ4_HEADER_SIZE) return decodeError('lz4: missing header');
  const topDown = data[0] !== 0;
  const format = formats.get(data[1]!);
  if (!format) return decodeError(`lz4: bitmap format ${data[1]} is not 32BIT or RGBA`);
  if (!(width >= 1 && height >= 1 && width * height <= MAX_PIXELS)) return decodeError(`lz4: bad size ${width}x${height}`);
  const out = new Uint8Array(width * height * 4);
  try {
    let at = LZ4_HEADER_SIZE;
    let filled = 0;
    while (at < data.length) {
      if (at + LZ4_BLOCK_PREFIX > data.length) throw new WireError('lz4: truncated block length');
      const length = ((data[at]! << 24) | (data[at + 1]! << 16) | (data[at + 2]! << 8) | data[at + 3]!) >>> 0;
      at += LZ4_BLOCK_PREFIX;
      if (length > data.length - at) throw new WireError('lz4: block longer than the data');
      const end = decodeBlock(data.subarray(at, at + length), out, filled);
      if (end === filled) throw new WireError('lz4: empty block');
      filled = end;
      at += length;
    }
    if (filled !== out.length) throw new WireError(`lz4: ${filled} bytes decoded, the image has ${out.length}`);
  } catch (e) {
    if (e instanceof WireError) return decodeError(e.message);
    throw e;
  }
  // 32BIT's 4th byte is not a channel: zero, as the other decoders write it.
  if (format === 'rgb32') for (let i = 3; i < out.length; i += 4) out[i] = 0;
  const rowBytes = width * 4;
  if (!topDown) {
    const flipped = new Uint8Array(out.length);
    for (let y = 0; y < height; y++) flipped.set(out.subarray((height - 1 - y) * rowBytes, (height - y) * rowBytes), y * rowBytes);
    return { ok: true, value: { width, height, stride: rowBytes, pixels: flipped, format } };
  }
  return { ok: true, value: { width, height, stride: rowBytes, pixels: out, format } };
}

/** The largest image decoded (spice-common's SPICE_MAX_IMAGE_SIZE, in 4-byte pixels). */
const MAX_PIXELS = 2 ** 28 - 1;

const formats = new Map<number, Bitmap32Format>([
  [BitmapFormat.bit32, 'rgb32'],
  [BitmapFormat.rgba, 'rgba'],
]);

/** One LZ4 block into `out` from `start`; returns where it ended. Throws WireError. */
function decodeBlock(block: Uint8Array, out: Uint8Array, start: number): number {
  let ip = 0;
  let op = start;
  for (;;) {
    if (ip >= block.length) throw new WireError('lz4: truncated token');
    const token = block[ip++]!;
    let literals = token >> 4;
    if (literals === LZ4_NIBBLE_MORE) [literals, ip] = moreLength(block, ip, literals);
    if (literals > block.length - ip) throw new WireError('lz4: literals past the block');
    if (literals > out.length - op) throw new WireError('lz4: literals past the image');
    out.set(block.subarray(ip, ip + literals), op);
    ip += literals;
    op += literals;
    // The last sequence has literals only.
    if (ip === block.length) return op;
    if (ip + 2 > block.length) throw new WireError('lz4: truncated offset');
    const offset = block[ip]! | (block[ip + 1]! << 8);
    ip += 2;
    if (offset === 0 || offset > op) throw new WireError('lz4: match offset before the start of the image');
    let length = token & 15;
    if (length === LZ4_NIBBLE_MORE) [length, ip] = moreLength(block, ip, length);
    length += LZ4_MIN_MATCH;
    if (length > out.length - op) throw new WireError('lz4: match past the image');
    // Byte by byte where source and destination overlap (offset < length: a run).
    if (offset >= length) out.copyWithin(op, op - offset, op - offset + length);
    else for (let i = 0; i < length; i++) out[op + i] = out[op + i - offset]!;
    op += length;
  }
}

function moreLength(block: Uint8Array, ip: number, length: number): [number, number] {
  for (;;) {
    if (ip >= block.length) throw new WireError('lz4: truncated length');
    const byte = block[ip++]!;
    length += byte;
    if (byte !== 255) return [length, ip];
  }
}
