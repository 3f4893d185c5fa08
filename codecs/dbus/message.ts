/**
 * D-Bus messages: the header (byte order, type, flags, serial, header fields) and the body,
 * encoded in one buffer and decoded with every check of the specification. Fields are written
 * in ascending code order, as GDBus writes them.
 *
 * Layout: `yyyyuua(yv)` = byte order ('l' or 'B'), type, flags, version 1, body length, serial,
 * header fields; zero padding to 8; the body, marshalled as the SIGNATURE field says.
 */
import type { Fd } from '../../native/index.js';
import { WireError, type Decoded } from '../decoded.js';
import { MAX_ARRAY_BYTES, MAX_MESSAGE_BYTES } from './limits.js';
import { FdList, marshal, WireWriter } from './marshal.js';
import { isBusName, isErrorName, isInterfaceName, isMemberName, isObjectPath, type ObjectPath } from './names.js';
import { parseSignature, parseSingle, typesOf, type SingleType } from './signature.js';
import type { BasicValue, Value } from './types.js';
import { unmarshal, WireReader } from './unmarshal.js';

export type MessageType = 'method_call' | 'method_return' | 'error' | 'signal';

const TYPE_CODES: Record<MessageType, number> = { method_call: 1, method_return: 2, error: 3, signal: 4 };
const TYPES_BY_CODE: readonly (MessageType | undefined)[] = [undefined, 'method_call', 'method_return', 'error', 'signal'];

export const Flags = {
  NO_REPLY_EXPECTED: 0x1,
  NO_AUTO_START: 0x2,
  ALLOW_INTERACTIVE_AUTHORIZATION: 0x4,
} as const;

export const Field = {
  PATH: 1,
  INTERFACE: 2,
  MEMBER: 3,
  ERROR_NAME: 4,
  REPLY_SERIAL: 5,
  DESTINATION: 6,
  SENDER: 7,
  SIGNATURE: 8,
  UNIX_FDS: 9,
} as const;

/** The type each known header field must hold. */
const FIELD_SIGNATURES: readonly (string | undefined)[] = [undefined, 'o', 's', 's', 's', 'u', 's', 's', 'g', 'u'];

interface Common {
  readonly flags: number;
  readonly destination?: string;
  readonly sender?: string;
  /** The body's signature ('' for none). */
  readonly signature: string;
  readonly body: readonly Value[];
}
interface MethodCallFields {
  readonly type: 'method_call';
  readonly path: ObjectPath;
  readonly interface?: string;
  readonly member: string;
}
interface MethodReturnFields {
  readonly type: 'method_return';
  readonly replySerial: number;
}
interface ErrorFields {
  readonly type: 'error';
  readonly errorName: string;
  readonly replySerial: number;
}
interface SignalFields {
  readonly type: 'signal';
  readonly path: ObjectPath;
  readonly interface: string;
  readonly member: string;
}

/** What a message says, before it has a serial: what callers hand to the connection. */
export type Outgoing = Common & (MethodCallFields | MethodReturnFields | ErrorFields | SignalFields);

/** A received (or sent) message. `fds` came with it; whoever handles it owns them. */
export type Message = Outgoing & { readonly serial: number; readonly fds: readonly Fd[] };
export type MethodCall = Extract<Message, { type: 'method_call' }>;
export type MethodReturn = Extract<Message, { type: 'method_return' }>;
export type Signal = Extract<Message, { type: 'signal' }>;

/** A message of a type this version of the protocol does not know: to be ignored (fds closed). */
export interface UnknownMessage {
  readonly type: 'unknown';
  readonly fds: readonly Fd[];
}

export const FIXED_HEADER_BYTES = 16;
const LITTLE = 0x6c; // 'l'
const BIG = 0x42; // 'B'

const align8 = (n: number) => (n + 7) & ~7;

// ---------------------------------------------------------------------------------------------
// Encoding

function checkOutgoing(m: Outgoing): void {
  const bad = (what: string, v: unknown) => {
    throw new TypeError(`D-Bus message: bad ${what} ${JSON.stringify(v)}`);
  };
  if (!(Number.isInteger(m.flags) && m.flags >= 0 && m.flags <= 0xff)) bad('flags', m.flags);
  if (m.type === 'method_call' || m.type === 'signal') {
    if (!isObjectPath(m.path)) bad('path', m.path);
    if (!isMemberName(m.member)) bad('member', m.member);
    if ((m.type === 'signal' || m.interface !== undefined) && !isInterfaceName(m.interface!)) bad('interface', m.interface);
  } else {
    if (!(Number.isInteger(m.replySerial) && m.replySerial > 0 && m.replySerial <= 0xffffffff)) bad('reply serial', m.replySerial);
    if (m.type === 'error' && !isErrorName(m.errorName)) bad('error name', m.errorName);
  }
  if (m.destination !== undefined && !isBusName(m.destination)) bad('destination', m.destination);
  if (m.sender !== undefined && !isBusName(m.sender)) bad('sender', m.sender);
}

function writeField(w: WireWriter, code: number, signature: string, write: () => void): void {
  w.pad(8);
  w.u8(code);
  w.u8(signature.length);
  w.text(signature);
  write();
}

/** The bytes of a message and the fds to send with them (the caller still owns those fds). */
export interface Encoded {
  readonly bytes: Uint8Array;
  readonly fds: readonly Fd[];
}

/**
 * Encodes `m` with `serial`. Throws a TypeError if the message or its body does not fit its
 * types (a programming error). The body is written once, in place.
 */
export function encodeMessage(m: Outgoing, serial: number, littleEndian = true): Encoded {
  checkOutgoing(m);
  const types = typesOf(m.signature);
  // Room for the UNIX_FDS field, which is known only once the body is written: 8 bytes ahead of
  // the header, which moves into them if there are no fds (8 bytes keep every alignment).
  const w = new WireWriter(512, littleEndian);
  w.reserve(8);
  w.u8(littleEndian ? LITTLE : BIG);
  w.u8(TYPE_CODES[m.type]);
  w.u8(m.flags);
  w.u8(1);
  const bodyLengthAt = w.reserve(4);
  w.u32(serial);
  const fieldsLengthAt = w.reserve(4);
  const fieldsStart = w.at;
  if (m.type === 'method_call' || m.type === 'signal') {
    writeField(w, Field.PATH, 'o', () => writeString(w, m.path));
    if (m.interface !== undefined) writeField(w, Field.INTERFACE, 's', () => writeString(w, m.interface!));
    writeField(w, Field.MEMBER, 's', () => writeString(w, m.member));
  } else {
    if (m.type === 'error') writeField(w, Field.ERROR_NAME, 's', () => writeString(w, m.errorName));
    writeField(w, Field.REPLY_SERIAL, 'u', () => w.u32(m.replySerial));
  }
  if (m.destination !== undefined) writeField(w, Field.DESTINATION, 's', () => writeString(w, m.destination!));
  if (m.sender !== undefined) writeField(w, Field.SENDER, 's', () => writeString(w, m.sender!));
  if (m.signature !== '')
    writeField(w, Field.SIGNATURE, 'g', () => {
      w.u8(m.signature.length);
      w.text(m.signature);
    });
  const fieldsEnd = w.at;
  w.pad(8);
  const slot = w.reserve(8);
  const bodyStart = w.at;
  const fds = new FdList();
  marshal(w, types, m.body, fds);
  const bodyLength = w.at - bodyStart;
  w.patchU32(bodyLengthAt, bodyLength);
  const all = w.result();
  if (fds.fds.length > 0) {
    // The slot becomes the last header field: (y=9, g="u", u=count), exactly 8 bytes.
    const at = w.at;
    w.at = slot;
    w.u8(Field.UNIX_FDS);
    w.u8(1);
    w.text('u');
    w.u32(fds.fds.length);
    w.at = at;
    w.patchU32(fieldsLengthAt, slot + 8 - fieldsStart);
    return { bytes: all.subarray(8), fds: fds.fds };
  }
  w.patchU32(fieldsLengthAt, fieldsEnd - fieldsStart);
  all.copyWithin(16, 8, slot);
  return { bytes: all.subarray(16), fds: [] };
}

function writeString(w: WireWriter, s: string): void {
  w.pad(4);
  const lengthAt = w.reserve(4);
  w.patchU32(lengthAt, w.text(s));
}

// ---------------------------------------------------------------------------------------------
// Decoding

const error = (why: string): Decoded<never> => ({ ok: false, error: `D-Bus message: ${why}` });

/**
 * The whole length of the message that starts with these 16 bytes, checked against the limits:
 * enough to frame a stream before the rest arrives.
 */
export function messageLength(head: Uint8Array): Decoded<number> {
  if (head.length < FIXED_HEADER_BYTES) return error('fewer than 16 header bytes');
  const order = head[0];
  if (order !== LITTLE && order !== BIG) return error(`byte order ${order}`);
  if (head[3] !== 1) return error(`protocol version ${head[3]}`);
  const view = new DataView(head.buffer, head.byteOffset, FIXED_HEADER_BYTES);
  const le = order === LITTLE;
  const bodyLength = view.getUint32(4, le);
  const fieldsLength = view.getUint32(12, le);
  if (fieldsLength > MAX_ARRAY_BYTES) return error(`header fields of ${fieldsLength} bytes`);
  const total = align8(FIXED_HEADER_BYTES + fieldsLength) + bodyLength;
  if (total > MAX_MESSAGE_BYTES) return error(`message of ${total} bytes`);
  return { ok: true, value: total };
}

interface HeaderFields {
  path?: ObjectPath;
  interface?: string;
  member?: string;
  errorName?: string;
  replySerial?: number;
  destination?: string;
  sender?: string;
  signature: string;
  /** The body's types, parsed from `signature`. */
  types: readonly SingleType[];
  unixFds: number;
}

/** A string header field, checked as a name of its kind (a function of its own: no closure per message). */
function named(r: WireReader, ok: (s: string) => boolean, what: string): string {
  const s = r.string();
  return ok(s) ? s : r.fail(`bad ${what} ${JSON.stringify(s)}`);
}

/**
 * The header fields, `a(yv)`, read straight into their slots: each known field's variant must
 * hold FIELD_SIGNATURES' type, so its value is read as that type without a variant object or a
 * parse of its signature (every message pays this; an idle update is one message). Unknown fields
 * are read as the variant they are, and ignored. The body's signature comes parsed (`types`).
 */
function readFields(r: WireReader): HeaderFields {
  const h: HeaderFields = { signature: '', types: [], unixFds: 0 };
  const length = r.arrayLength(8);
  if (length > r.end - r.at) r.fail(`array of ${length} bytes, ${r.end - r.at} left`);
  const end = r.at + length;
  let seen = 0;
  while (r.at < end) {
    r.align(8);
    const code = r.u8();
    const signature = r.signature();
    const expected = FIELD_SIGNATURES[code];
    if (expected === undefined) {
      const type = parseSingle(signature);
      if (!type.ok) r.fail(type.error);
      unmarshal(r, [type.value]);
      continue;
    }
    if (seen & (1 << code)) r.fail(`header field ${code} twice`);
    seen |= 1 << code;
    if (signature !== expected) r.fail(`header field ${code} of type ${signature}`);
    switch (code) {
      case Field.PATH:
        h.path = named(r, isObjectPath, 'object path') as ObjectPath;
        break;
      case Field.INTERFACE:
        h.interface = named(r, isInterfaceName, 'interface');
        break;
      case Field.MEMBER:
        h.member = named(r, isMemberName, 'member');
        break;
      case Field.ERROR_NAME:
        h.errorName = named(r, isErrorName, 'error name');
        break;
      case Field.REPLY_SERIAL: {
        const serial = r.u32();
        h.replySerial = serial === 0 ? r.fail('reply serial 0') : serial;
        break;
      }
      case Field.DESTINATION:
        h.destination = named(r, isBusName, 'destination');
        break;
      case Field.SENDER:
        h.sender = named(r, isBusName, 'sender');
        break;
      case Field.SIGNATURE: {
        h.signature = r.signature();
        const types = parseSignature(h.signature);
        h.types = types.ok ? types.value : r.fail(types.error);
        break;
      }
      case Field.UNIX_FDS:
        h.unixFds = r.u32();
        break;
    }
  }
  if (r.at !== end) r.fail('array ends inside an element');
  return h;
}

const required = <T>(r: WireReader, v: T | undefined, what: string): T => (v === undefined ? r.fail(`${what} missing`) : v);

/**
 * Decodes one whole message (`bytes` is exactly it, as messageLength framed it). `available` are
 * the fds received and not yet claimed, in order; the message takes the first UNIX_FDS of them
 * (its `fds`). Values of `ay` are views of `bytes`. With `tail`, `bytes` is the message but for
 * the bytes of the byte array that ends it, which are `tail` (read elsewhere: `decodeHead`).
 */
export function decodeMessage(bytes: Uint8Array, available: readonly Fd[] = [], tail?: Uint8Array): Decoded<Message | UnknownMessage> {
  const length = messageLength(bytes);
  if (!length.ok) return length;
  const framed = bytes.length + (tail?.length ?? 0);
  if (length.value !== framed) return error(`framed ${framed} bytes, header says ${length.value}`);
  const le = bytes[0] === LITTLE;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const serial = view.getUint32(8, le);
  try {
    if (serial === 0) throw new WireError('serial 0');
    const head = new WireReader(bytes, le, [], 12, align8(FIXED_HEADER_BYTES + view.getUint32(12, le)));
    const h = readFields(head);
    head.align(8);
    if (h.unixFds > available.length) throw new WireError(`${h.unixFds} fds announced, ${available.length} received`);
    const fds = available.slice(0, h.unixFds);
    const type = TYPES_BY_CODE[bytes[1]!];
    if (type === undefined) return { ok: true, value: { type: 'unknown', fds } };
    const r = new WireReader(bytes, le, fds, head.at);
    r.tail = tail;
    const body = unmarshal(r, h.types);
    if (r.at !== bytes.length) throw new WireError(`body ends at ${r.at} of ${bytes.length}`);
    if (tail && !r.tailTaken) throw new WireError(`no byte array of ${tail.length} bytes ends the body`);
    const common = {
      serial,
      flags: bytes[2]!,
      signature: h.signature,
      body,
      fds,
      ...(h.destination !== undefined && { destination: h.destination }),
      ...(h.sender !== undefined && { sender: h.sender }),
    };
    const value: Message = (() => {
      switch (type) {
        case 'method_call':
          return {
            ...common,
            type,
            path: required(head, h.path, 'PATH'),
            ...(h.interface !== undefined && { interface: h.interface }),
            member: required(head, h.member, 'MEMBER'),
          };
        case 'signal':
          return {
            ...common,
            type,
            path: required(head, h.path, 'PATH'),
            interface: required(head, h.interface, 'INTERFACE'),
            member: required(head, h.member, 'MEMBER'),
          };
        case 'method_return':
          return { ...common, type, replySerial: required(head, h.replySerial, 'REPLY_SERIAL') };
        case 'error':
          return {
            ...common,
            type,
            errorName: required(head, h.errorName, 'ERROR_NAME'),
            replySerial: required(head, h.replySerial, 'REPLY_SERIAL'),
          };
      }
    })();
    return { ok: true, value };
  } catch (e) {
    if (e instanceof WireError) return error(e.message);
    throw e;
  }
}

/**
 * A large message's first bytes, enough to place the byte array that ends it (`decodeHead`): the
 * header's names, the fixed-size basic values the body starts with, where the array begins.
 */
export interface MessageHead {
  readonly path?: ObjectPath;
  readonly interface?: string;
  readonly member?: string;
  /** The body's values before the array. */
  readonly values: readonly BasicValue[];
  /** Where the array's bytes begin in the message; they run to its end. */
  readonly arrayAt: number;
  readonly arrayBytes: number;
}

/** Where the body of a message with this fixed header (its first 16 bytes) begins: after its header fields, padded to 8. */
export function bodyStart(fixed: Uint8Array): number {
  const fields = new DataView(fixed.buffer, fixed.byteOffset, FIXED_HEADER_BYTES).getUint32(12, fixed[0] === LITTLE);
  return align8(FIXED_HEADER_BYTES + fields);
}

/** Basic types of a fixed size (no fds: those are claimed in order as the message is decoded). */
const FIXED_BASIC = new Set(['y', 'b', 'n', 'q', 'i', 'u', 'x', 't', 'd']);

/**
 * What a message `length` bytes long is, from its first `bytes`, when its body is fixed-size
 * basic values then a byte array that ends it (a display Update: `iiiiiuay`); null when it is
 * not, or `bytes` does not reach the array yet. Nothing here is trusted: the whole message is
 * decoded and checked again once it is in (decodeMessage with the array as its tail).
 */
export function decodeHead(bytes: Uint8Array, length: number): MessageHead | null {
  if (bytes.length < FIXED_HEADER_BYTES || (bytes[0] !== LITTLE && bytes[0] !== BIG)) return null;
  const le = bytes[0] === LITTLE;
  const headerEnd = bodyStart(bytes);
  if (bytes.length < headerEnd) return null;
  try {
    const h = readFields(new WireReader(bytes, le, [], 12, headerEnd));
    const leading = h.types.slice(0, -1);
    const last = h.types.at(-1);
    if (last?.code !== 'a' || last.elem.code !== 'y' || !leading.every((t) => FIXED_BASIC.has(t.code))) return null;
    const r = new WireReader(bytes, le, [], headerEnd);
    const values = unmarshal(r, leading) as BasicValue[];
    const arrayBytes = r.u32();
    if (r.at + arrayBytes !== length) return null;
    return {
      ...(h.path !== undefined && { path: h.path }),
      ...(h.interface !== undefined && { interface: h.interface }),
      ...(h.member !== undefined && { member: h.member }),
      values,
      arrayAt: r.at,
      arrayBytes,
    };
  } catch (e) {
    if (e instanceof WireError) return null;
    throw e;
  }
}
