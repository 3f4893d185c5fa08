/**
 * SPICE data headers and the incremental reader that cuts a byte stream into messages.
 * Mini header (both sides advertised MINI_HEADER): u16 type, u32 size. Full header: u64 serial,
 * u16 type, u32 size, u32 sub_list. `size` counts the body only.
 */

export type HeaderKind = 'mini' | 'full';
export const headerSize = (kind: HeaderKind): number => (kind === 'mini' ? 6 : 18);

export interface RawMessage {
  readonly type: number;
  /** The body's own copy: decoded values may keep views into it. */
  readonly body: Uint8Array;
}

/** Writes a header for a body of `size` bytes into `out` at `at`. */
export function writeHeader(out: Uint8Array, at: number, kind: HeaderKind, type: number, size: number, serial: bigint): void {
  const v = new DataView(out.buffer, out.byteOffset + at, headerSize(kind));
  if (kind === 'mini') {
    v.setUint16(0, type, true);
    v.setUint32(2, size, true);
  } else {
    v.setBigUint64(0, serial, true);
    v.setUint16(8, type, true);
    v.setUint32(10, size, true);
    v.setUint32(14, 0, true);
  }
}

/** Header and body in one buffer, ready for the socket. */
export function frame(kind: HeaderKind, type: number, body: Uint8Array, serial: bigint): Uint8Array {
  const h = headerSize(kind);
  const out = new Uint8Array(h + body.length);
  writeHeader(out, 0, kind, type, body.length, serial);
  out.set(body, h);
  return out;
}

export type FrameResult = { readonly ok: true; readonly messages: RawMessage[] } | { readonly ok: false; readonly error: string };

/**
 * Cuts messages out of the chunks a socket delivers. A declared size above `maxBody` is an
 * error before any of that body is buffered, so a hostile peer cannot make it hold more than
 * one maximum-size message.
 */
export class MessageReader {
  private buf = new Uint8Array(0);
  private start = 0;
  private end = 0;

  constructor(
    private readonly kind: HeaderKind,
    private readonly maxBody: number,
  ) {}

  /** Buffered bytes that do not yet make a message. */
  get pending(): number {
    return this.end - this.start;
  }

  push(chunk: Uint8Array): FrameResult {
    this.append(chunk);
    const h = headerSize(this.kind);
    const messages: RawMessage[] = [];
    while (this.end - this.start >= h) {
      const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.start, h);
      const type = this.kind === 'mini' ? v.getUint16(0, true) : v.getUint16(8, true);
      const size = this.kind === 'mini' ? v.getUint32(2, true) : v.getUint32(10, true);
      if (size > this.maxBody) return { ok: false, error: `message type ${type} of ${size} bytes exceeds the ${this.maxBody}-byte limit` };
      if (this.end - this.start < h + size) break;
      const at = this.start + h;
      messages.push({ type, body: this.buf.slice(at, at + size) });
      this.start = at + size;
    }
    return { ok: true, messages };
  }

  private append(chunk: Uint8Array): void {
    if (this.start === this.end) this.start = this.end = 0;
    if (this.end + chunk.length > this.buf.length) {
      const live = this.end - this.start;
      if (live + chunk.length <= this.buf.length) this.buf.copyWithin(0, this.start, this.end);
      else {
        const next = new Uint8Array(Math.max(2 * this.buf.length, live + chunk.length, 4096));
        next.set(this.buf.subarray(this.start, this.end));
        this.buf = next;
      }
      this.start = 0;
      this.end = live;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }
}
