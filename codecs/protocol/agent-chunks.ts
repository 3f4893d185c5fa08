/**
 * The guest's virtio agent port as a byte stream of VDIChunkHeader + data pieces (agent.ts),
 * read into whole pieces. A piece is at most 2048 bytes, so at most one is held; a piece that
 * says it is larger is passed over without being stored (its bytes are counted off as they come)
 * and reported, so that a guest can never make the reader hold more than one piece. Its encoder
 * is beside it.
 */
import { agentMaxDataSize, ChunkHeader, chunkHeaderSize } from './agent.js';
import { decode, encode } from './wire.js';

export type ChunkEvent =
  | { readonly kind: 'chunk'; readonly port: number; readonly data: Uint8Array }
  /** A piece over 2048 bytes, skipped whole. */
  | { readonly kind: 'oversized'; readonly port: number; readonly size: number };

export class ChunkReader {
  private readonly headerBytes = new Uint8Array(chunkHeaderSize);
  private headerHave = 0;
  private header: ChunkHeader | null = null;
  private data: Uint8Array | null = null;
  private have = 0;

  /** Reads `bytes`, calling `on` for each piece they complete. */
  push(bytes: Uint8Array, on: (e: ChunkEvent) => void): void {
    let at = 0;
    while (at < bytes.length) {
      if (this.header === null) {
        const n = Math.min(chunkHeaderSize - this.headerHave, bytes.length - at);
        this.headerBytes.set(bytes.subarray(at, at + n), this.headerHave);
        this.headerHave += n;
        at += n;
        if (this.headerHave < chunkHeaderSize) return;
        const h = decode(ChunkHeader, this.headerBytes);
        if (!h.ok) throw new Error(h.error); // 8 bytes always decode
        this.header = h.value;
        this.data = h.value.size <= agentMaxDataSize ? new Uint8Array(h.value.size) : null;
        this.have = 0;
      }
      const header = this.header;
      const n = Math.min(header.size - this.have, bytes.length - at);
      this.data?.set(bytes.subarray(at, at + n), this.have);
      this.have += n;
      at += n;
      if (this.have < header.size) return;
      const data = this.data;
      this.header = null;
      this.data = null;
      this.headerHave = 0;
      on(data ? { kind: 'chunk', port: header.port, data } : { kind: 'oversized', port: header.port, size: header.size });
    }
  }

  /** Forgets a piece in progress (the port was reopened). */
  reset(): void {
    this.header = null;
    this.data = null;
    this.headerHave = 0;
  }
}

/** One piece as the port carries it. */
export function encodeChunk(port: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(chunkHeaderSize + data.length);
  out.set(encode(ChunkHeader, { port, size: data.length }));
  out.set(data, chunkHeaderSize);
  return out;
}
