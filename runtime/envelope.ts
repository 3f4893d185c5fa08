import type { MessagePort, TransferListItem } from 'node:worker_threads';
// msgpackr/pack is the package without its native string extractor, whose probe for a prebuilt
// binary (detect-libc, node-gyp-build) cost every actor thread ~30 ms of its start; link frames
// carry few strings.
import { addExtension, Packr } from 'msgpackr/pack';

/**
 * Frames on an actor link are msgpackr bytes. Bulk data never goes through msgpack: a message
 * wraps it in `Moved` (ownership passes to the receiver, the sender's buffer is detached) or
 * `Shared` (both sides see the same memory), and the frame carries only its index into the
 * list of objects handed to postMessage beside the bytes.
 */

type MovableView = Uint8Array;
export type Movable = ArrayBuffer | MovableView | MessagePort;

/** A buffer or port whose ownership moves to the receiver. */
export class Moved<T extends Movable = Movable> {
  constructor(readonly value: T) {}
}

/** Shared memory both sides keep seeing; a view keeps its offset and length. */
export class Shared<T extends SharedArrayBuffer | Uint8Array = SharedArrayBuffer | Uint8Array> {
  constructor(readonly value: T) {}
}

export const moved = <T extends Movable>(value: T): Moved<T> => new Moved(value);
export const shared = <T extends SharedArrayBuffer | Uint8Array>(value: T): Shared<T> => new Shared(value);

type Attachment = ArrayBuffer | SharedArrayBuffer | MessagePort;

// pack() and unpack() are synchronous, so one list per direction, set around each call, is safe.
let outgoing: Attachment[] | null = null;
let incoming: readonly unknown[] = [];

function attach(a: Attachment): number {
  if (!outgoing) throw new Error('Moved/Shared values can only be packed inside an actor frame');
  outgoing.push(a);
  return outgoing.length - 1;
}

type ViewRef = [index: number, byteOffset: number, byteLength: number];
type Ref = number | ViewRef;

function resolve(ref: Ref): { buffer: unknown; view?: [number, number] } {
  const index = typeof ref === 'number' ? ref : ref[0];
  if (!Number.isInteger(index) || index < 0 || index >= incoming.length) {
    throw new RangeError(`frame refers to attachment ${index}, but ${incoming.length} came with it`);
  }
  return { buffer: incoming[index], view: typeof ref === 'number' ? undefined : [ref[1], ref[2]] };
}

function refOf(value: unknown): Ref {
  if (value instanceof Uint8Array) return [attach(value.buffer as ArrayBuffer | SharedArrayBuffer), value.byteOffset, value.byteLength];
  return attach(value as Attachment);
}

function fromRef(ref: Ref): unknown {
  const { buffer, view } = resolve(ref);
  return view ? new Uint8Array(buffer as ArrayBuffer, view[0], view[1]) : buffer;
}

addExtension({ Class: Moved, type: 0x51, write: (m: Moved) => refOf(m.value), read: (r: Ref) => new Moved(fromRef(r) as Movable) });
addExtension({
  Class: Shared,
  type: 0x52,
  write: (s: Shared) => refOf(s.value),
  read: (r: Ref) => new Shared(fromRef(r) as SharedArrayBuffer),
});

const packr = new Packr({ useRecords: false, moreTypes: false, int64AsType: 'bigint' });

/** What goes through postMessage: the msgpack bytes, then the attachments they refer to. */
export type Wire = Uint8Array | [Uint8Array, ...Attachment[]];

export interface Packed {
  wire: Wire;
  transfer: TransferListItem[];
}

export function pack(value: unknown): Packed {
  const list: Attachment[] = [];
  outgoing = list;
  let bytes: Uint8Array;
  try {
    // slice(): pack() returns a view on msgpackr's pooled buffer, which postMessage would clone whole.
    bytes = packr.pack(value).slice();
  } finally {
    outgoing = null;
  }
  if (list.length === 0) return { wire: bytes, transfer: [] };
  const transfer = list.filter((a): a is ArrayBuffer | MessagePort => !(a instanceof SharedArrayBuffer));
  return { wire: [bytes, ...list], transfer: [...new Set(transfer)] as TransferListItem[] };
}

export function unpack(wire: unknown): unknown {
  if (wire instanceof Uint8Array) {
    incoming = [];
    return packr.unpack(wire);
  }
  if (Array.isArray(wire) && wire[0] instanceof Uint8Array) {
    incoming = wire.slice(1);
    try {
      return packr.unpack(wire[0]);
    } finally {
      incoming = [];
    }
  }
  throw new TypeError('not an actor frame');
}
