/**
 * Frames a byte stream into messages, collecting the fds that arrive with the bytes (SCM_RIGHTS)
 * and giving each message the number its UNIX_FDS field announces, in order, as libdbus and GDBus
 * do. Two ways to feed it:
 * - push(bytes, fds): bytes read elsewhere (a net.Socket chunk). A message wholly inside the
 *   chunk is decoded in place (its `ay` values are views of the chunk); one spread over chunks
 *   is assembled in a buffer of its exact size.
 * - space() then filled(n, fds): a reader (recvmsg) writes straight into the buffer, so the
 *   body of a large message is read once into its final place, with no copy at all.
 * A placer, if given, is asked where the byte array that ends a large message goes once the
 * message's head is in (`decodeHead`): its bytes are then read straight there, with no copy out
 * of the message either (a display Update's pixels into the surface), and the message is
 * delivered with that array as it is there.
 * A delivered message's bytes stay valid as long as they are referenced, unless `deliver`
 * returns true: then its consumer is done with them (it copied what it keeps, as the listener
 * does with Scanout and Update pixels), and the buffer serves the next messages. Without that,
 * every large message was a fresh allocation: on the desktop workload, garbage collection took
 * a quarter of the bridge thread's time. The first malformed message stops the reader for
 * good: a stream cannot resync.
 */
import type { Fd } from '../../native/index.js';
import type { Decoded } from '../decoded.js';
import {
  bodyStart,
  decodeHead,
  decodeMessage,
  FIXED_HEADER_BYTES,
  messageLength,
  type Message,
  type MessageHead,
  type UnknownMessage,
} from './message.js';

const CHUNK_BYTES = 64 * 1024;
/** Messages from this size on are offered to the placer: below, a copy costs less than the wait for the head. */
const PLACE_FROM_BYTES = 64 * 1024;
/** Body bytes read with the header before the placer is asked: the values before the array, and its length. */
const HEAD_BODY_BYTES = 64;

/**
 * Where the byte array that ends a large message is read to (exactly `arrayBytes` long), or null
 * for into the message as usual. The place is the reader's until the message is delivered.
 */
export type Placer = (head: MessageHead) => Uint8Array | null;

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
  /** While the head of a large message is read: where reading stops to ask the placer (0: not to ask). */
  private headAt = 0;
  /** The placed array of the message being assembled: its place, where it begins in the message, how much is in. */
  private tail: { readonly into: Uint8Array; readonly at: number; fill: number } | undefined;
  /** The buffer of a large message given back, for the next one that fits (one at most). */
  private spare: Uint8Array | undefined;
  /** The buffer space() hands out when no message is being assembled. */
  private chunk: Uint8Array | undefined;
  /** A message still holds a view of the chunk: the next read needs a fresh one. */
  private chunkLent = false;
  private failure: Decoded<never> | undefined;

  constructor(
    private readonly deliver: Deliver,
    private readonly place?: Placer,
  ) {}

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
    if (this.tail) return this.tail.into.subarray(this.tail.fill);
    if (this.partial) return this.partial.subarray(this.partialFill, this.headAt || this.partial.length);
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
      if (this.tail) this.tail.fill += n;
      else this.advance(n);
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
        at += this.take(bytes.subarray(at));
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
        } else this.begin(length.value, bytes.subarray(at, at + FIXED_HEADER_BYTES), 0);
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
    this.begin(length.value, this.head, FIXED_HEADER_BYTES);
    this.partial!.set(this.head);
    this.completePartial();
  }

  /** A message of `length` bytes starts (its fixed header `fixed`; `fill` of it in already): assembled from here on. */
  private begin(length: number, fixed: Uint8Array, fill: number): void {
    this.partial = this.messageBuffer(length);
    this.partialFill = fill;
    this.headAt = 0;
    if (!this.place || length < PLACE_FROM_BYTES) return;
    this.headAt = Math.min(length, bodyStart(fixed) + HEAD_BODY_BYTES);
  }

  /** Takes what it can of `bytes` into the message being assembled (its placed array, once placed); returns how much. */
  private take(bytes: Uint8Array): number {
    const tail = this.tail;
    if (tail) {
      const n = Math.min(tail.into.length - tail.fill, bytes.length);
      tail.into.set(bytes.subarray(0, n), tail.fill);
      tail.fill += n;
      return n;
    }
    const n = Math.min((this.headAt || this.partial!.length) - this.partialFill, bytes.length);
    this.partial!.set(bytes.subarray(0, n), this.partialFill);
    this.advance(n);
    return n;
  }

  /** `n` more bytes of the message are in; the placer is asked once its head is. */
  private advance(n: number): void {
    this.partialFill += n;
    if (!this.headAt || this.partialFill < this.headAt) return;
    this.headAt = 0;
    const partial = this.partial!;
    const head = decodeHead(partial.subarray(0, this.partialFill), partial.length);
    const into = head && head.arrayAt <= this.partialFill ? this.place!(head) : null;
    if (!head || !into || into.length !== head.arrayBytes) return;
    // The array's first bytes came with the head.
    into.set(partial.subarray(head.arrayAt, this.partialFill));
    this.tail = { into, at: head.arrayAt, fill: this.partialFill - head.arrayAt };
  }

  private completePartial(): Decoded<void> {
    const partial = this.partial;
    const tail = this.tail;
    if (partial && (tail ? tail.fill === tail.into.length : this.partialFill === partial.length)) {
      this.partial = undefined;
      this.tail = undefined;
      if (this.decode(tail ? partial.subarray(0, tail.at) : partial, tail?.into) && partial.buffer.byteLength > (this.spare?.length ?? 0)) {
        this.spare = new Uint8Array(partial.buffer, 0, partial.buffer.byteLength);
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
  private decode(bytes: Uint8Array, tail?: Uint8Array): boolean {
    const decoded = decodeMessage(bytes, this.fds, tail);
    if (!decoded.ok) {
      this.failure = decoded;
      return false;
    }
    this.fds.splice(0, decoded.value.fds.length);
    return this.deliver(decoded.value);
  }
}

const OK: Decoded<void> = { ok: true, value: undefined };
