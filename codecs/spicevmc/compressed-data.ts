import type { Decoded } from '../decoded.js';
import { DataCompression } from '../protocol/enums.js';
import { compressLz4Block, decompressLz4Block } from '../../native/index.js';

/**
 * spicevmc's COMPRESSED_DATA (spice-server's spicevmc.cpp): LZ4 blocks of what the device
 * wrote, for a client with SPICEVMC_CAP_DATA_COMPRESS_LZ4. Both sides are here: compressing is
 * worth it only past `compressThreshold` bytes and when the block comes out smaller; a client's
 * block must decode to exactly the size it announces, at most `maxSize`.
 */
export const compressThreshold = 1000;

export type CompressedData = { readonly type: number; readonly uncompressed_size: number | undefined; readonly data: Uint8Array };

/** LZ4 of `data`, or null when plain DATA is better (small, or incompressible). */
export function compressData(data: Uint8Array): CompressedData | null {
  if (data.length <= compressThreshold) return null;
  const block = compressLz4Block(data);
  return block && { type: DataCompression.lz4, uncompressed_size: data.length, data: block };
}

export function decompressData(m: CompressedData, maxSize: number): Decoded<Uint8Array> {
  if (m.type === DataCompression.none) return { ok: true, value: m.data };
  if (m.type !== DataCompression.lz4) return { ok: false, error: `compressed data of unknown type ${m.type}` };
  const size = m.uncompressed_size ?? 0;
  if (size === 0 || size > maxSize) return { ok: false, error: `compressed data of ${size} bytes (at most ${maxSize})` };
  const out = decompressLz4Block(m.data, size);
  return out ? { ok: true, value: out } : { ok: false, error: `LZ4 data that does not decode to its ${size} bytes` };
}
