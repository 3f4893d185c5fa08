/**
 * Frames a byte stream into messages, collecting the fds that arrive with the bytes (SCM_RIGHTS)
 * and giving each message the number its UNIX_FDS field announces, in order, as libdbus and GDBus
 * do. Two ways to feed it:
 * - push(bytes, fds): bytes read elsewhere (a net.Socket chunk). A message wholly inside the
 *   chunk is decoded in place (its `ay` values are views of the chunk); one spread over chunks
 *   is assembled in a buffer of its exact size.
 * - space() then filled(n, fds): a reader (recvmsg) writes straight into the buffer, so the
 *   body of a large message is read once into its final place, with no copy at all.
 * A delivered message's bytes stay valid as long as they are referenced, unless `deliver`
 * returns true: then its consumer is done with them (it copied what it keeps, as the listener
 * does with Scanout and Update pixels), and the buffer serves the next messages. Without that,
 * every large message was a fresh allocation: on the desktop workload, garbage collection took
 * a quarter of the bridge thread's time. The first malformed message stops the reader for
 * good: a stream cannot resync.
 */
import type { Fd } from '../../native/index.js';
import type { Decoded } from '../decoded.js';
import { decodeMessage, FIXED_HEADER_BYTES, messageLength, type Message, type UnknownMessage } from './message.js';

const CHUNK_BYTES = 64 * 1024;

export type Delivered = Message | UnknownMessage;

/** Takes a message; true when done with its bytes (they may be overwritten once it returns). */
export type Deliver = (message: Delivered) => boolean;

export class MessageReader {
  /** Received fds not yet claimed by a message. */
  private fds: Fd[] = [];
  private readonly head = new Uint8Array(FIXED_HEADER_BYTES);
  private headFill = 0;
  /** The message being assembled, sized to its whole length once its first 16 bytes are in. */
  private partial: Uint8Array | undefined;
  private partialFill = 0;
  /** The buffer of a large message given back, for the next one that fits (one at most). */
  private spare: Uint8Array | undefined;
  /** The buffer space() hands out when no message is being assembled. */
  private chunk: Uint8Array | undefined;
  /** A message still holds a view of the chunk: the next read needs a fresh one. */
  private chunkLent = false;
  private failure: Decoded<never> | undefined;

  constructor(private readonly deliver: Deliver) {}

  get failed(): string | undefined {
    return this.failure && !this.failure.ok ? this.failure.error : undefined;
  }

  /** Takes the fds no message claimed (when the stream ends or fails): the caller closes them. */
  takeStrayFds(): Fd[] {
    const fds = this.fds;
    this.fds = [];
    return fds;
  }

  /** Where the next bytes should be read to: the rest of the message being assembled, or a chunk. */
  space(): Uint8Array {
    if (this.partial) return this.partial.subarray(this.partialFill);
    if (!this.chunk || this.chunkLent) {
      this.chunk = new Uint8Array(CHUNK_BYTES);
      this.chunkLent = false;
    }
    return this.chunk;
  }

  /** `n` bytes were read into what space() returned, with these fds. */
  filled(n: number, fds: readonly Fd[]): Decoded<void> {
    if (this.partial) {
      this.fds.push(...fds);
      if (this.failure) return this.failure;
      this.partialFill += n;
      return this.completePartial();
    }
    const chunk = this.chunk!;
    return this.push(chunk.subarray(0, n), fds, () => (this.chunkLent = true));
  }

  /** Bytes (and fds) from the stream; calls deliver for each message completed, in order. */
  push(bytes: Uint8Array, fds: readonly Fd[] = [], lent?: () => void): Decoded<void> {
    this.fds.push(...fds);
    let at = 0;
    while (at < bytes.length && !this.failure) {
      if (this.partial) {
        const n = Math.min(this.partial.length - this.partialFill, bytes.length - at);
        this.partial.set(bytes.subarray(at, at + n), this.partialFill);
        this.partialFill += n;
        at += n;
        this.completePartial();
      } else if (this.headFill > 0 || bytes.length - at < FIXED_HEADER_BYTES) {
        const n = Math.min(FIXED_HEADER_BYTES - this.headFill, bytes.length - at);
        this.head.set(bytes.subarray(at, at + n), this.headFill);
        this.headFill += n;
        at += n;
        if (this.headFill === FIXED_HEADER_BYTES) this.startPartial();
      } else {
        const length = messageLength(bytes.subarray(at, at + FIXED_HEADER_BYTES));
        if (!length.ok) {
          this.failure = length;
          break;
        }
        if (bytes.length - at >= length.value) {
          if (!this.decode(bytes.subarray(at, at + length.value))) lent?.();
          at += length.value;
        } else {
          this.partial = this.messageBuffer(length.value);
          this.partialFill = 0;
        }
      }
    }
    return this.failure ?? OK;
  }

  private startPartial(): void {
    this.headFill = 0;
    const length = messageLength(this.head);
    if (!length.ok) {
      this.failure = length;
      return;
    }
    this.partial = this.messageBuffer(length.value);
    this.partial.set(this.head);
    this.partialFill = FIXED_HEADER_BYTES;
    this.completePartial();
  }

  private completePartial(): Decoded<void> {
    if (this.partial && this.partialFill === this.partial.length) {
      const whole = this.partial;
      this.partial = undefined;
      if (this.decode(whole) && whole.buffer.byteLength > (this.spare?.length ?? 0)) {
        this.spare = new Uint8Array(whole.buffer, 0, whole.buffer.byteLength);
      }
    }
    return this.failure ?? OK;
  }

  /** Room for a message of `length` bytes: the spare buffer if it is large enough. */
  private messageBuffer(length: number): Uint8Array {
    const spare = this.spare;
    if (spare && spare.length >= length) {
      this.spare = undefined;
      return spare.subarray(0, length);
    }
    return new Uint8Array(length);
  }

  /** Decodes and delivers one message; true when its bytes were given back. */
  private decode(bytes: Uint8Array): boolean {
    const decoded = decodeMessage(bytes, this.fds);
    if (!decoded.ok) {
      this.failure = decoded;
      return false;
    }
    this.fds.splice(0, decoded.value.fds.length);
    return this.deliver(decoded.value);
  }
}

const OK: Decoded<void> = { ok: true, value: undefined };
