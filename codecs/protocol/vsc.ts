import type { Decoded } from '../decoded.js';

/**
 * The smartcard channel's messages (libcacard's vscard_common.h): a header of three u32s (type,
 * reader id, payload length) and the payload. Toward the client the header is in little-endian
 * order (spice-server's host order); the character device (QEMU's ccid-card-passthru) takes and
 * gives it in network order.
 */
export const VscType = {
  init: 1,
  error: 2,
  readerAdd: 3,
  readerRemove: 4,
  atr: 5,
  cardRemove: 6,
  apdu: 7,
  flush: 8,
  flushComplete: 9,
} as const;

export const vscHeaderSize = 12;
/** The largest payload taken from either side: an APDU is at most 270 bytes, an ATR 33; room to spare. */
export const vscMaxPayload = 64 * 1024;

export interface VscMessage {
  readonly type: number;
  readonly readerId: number;
  readonly payload: Uint8Array;
}

type Order = 'client' | 'device';

export function encodeVsc(m: VscMessage, order: Order): Uint8Array {
  const out = new Uint8Array(vscHeaderSize + m.payload.length);
  const v = new DataView(out.buffer);
  const le = order === 'client';
  v.setUint32(0, m.type, le);
  v.setUint32(4, m.readerId, le);
  v.setUint32(8, m.payload.length, le);
  out.set(m.payload, vscHeaderSize);
  return out;
}

/** One whole message from a client's DATA: the header's length must be what follows it. */
export function decodeVscClient(bytes: Uint8Array): Decoded<VscMessage> {
  if (bytes.length < vscHeaderSize) return { ok: false, error: `smartcard message of ${bytes.length} bytes, shorter than its header` };
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = v.getUint32(8, true);
  if (length !== bytes.length - vscHeaderSize)
    return { ok: false, error: `smartcard message says ${length} payload bytes, carries ${bytes.length - vscHeaderSize}` };
  return { ok: true, value: { type: v.getUint32(0, true), readerId: v.getUint32(4, true), payload: bytes.subarray(vscHeaderSize) } };
}

/** Cuts the device's byte stream into messages; a length past `vscMaxPayload` is an error (the stream cannot be followed past it). */
export class VscStreamReader {
  private buf = new Uint8Array(0);

  /** Bytes held that do not make a message yet: at most a header and `vscMaxPayload`. */
  get pending(): number {
    return this.buf.length;
  }

  push(chunk: Uint8Array): Decoded<VscMessage[]> {
    const joined = new Uint8Array(this.buf.length + chunk.length);
    joined.set(this.buf);
    joined.set(chunk, this.buf.length);
    const out: VscMessage[] = [];
    let at = 0;
    while (joined.length - at >= vscHeaderSize) {
      const v = new DataView(joined.buffer, at, vscHeaderSize);
      const length = v.getUint32(8, false);
      if (length > vscMaxPayload) return { ok: false, error: `smartcard device message of ${length} bytes (at most ${vscMaxPayload})` };
      if (joined.length - at < vscHeaderSize + length) break;
      out.push({
        type: v.getUint32(0, false),
        readerId: v.getUint32(4, false),
        payload: joined.slice(at + vscHeaderSize, at + vscHeaderSize + length),
      });
      at += vscHeaderSize + length;
    }
    this.buf = joined.slice(at);
    return { ok: true, value: out };
  }
}
