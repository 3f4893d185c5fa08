/**
 * Values to wire bytes, driven by their types (signature.ts). Alignment is counted from the
 * start of the buffer, which is the start of the message: a body starts 8-aligned, so this also
 * marshals bodies on their own. Values that do not fit their type are a programming error and
 * throw a TypeError; what is written is always a valid message. `ay` is one copy (a set()).
 */
import type { Fd } from '../../native/index.js';
import { isObjectPath } from './names.js';
import { alignmentOf, parseSignature, parseSingle, signatureOf, type ElementType, type SingleType } from './signature.js';
import { isVariant, type BasicValue, type Value } from './types.js';
import { MAX_ARRAY_BYTES, MAX_DEPTH, MAX_MESSAGE_BYTES } from './limits.js';

const utf8 = new TextEncoder();

/** A growing buffer with aligned, endian-aware writes. */
export class WireWriter {
  private buf: Uint8Array;
  private view: DataView;
  at = 0;

  constructor(
    capacity = 256,
    readonly littleEndian = true,
  ) {
    this.buf = Buffer.allocUnsafe(capacity);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /** Makes room for `n` more bytes and returns where they go. */
  reserve(n: number): number {
    const at = this.at;
    const need = at + n;
    if (need > MAX_MESSAGE_BYTES) throw new TypeError(`message larger than ${MAX_MESSAGE_BYTES} bytes`);
    if (need > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, Math.min(this.buf.length * 2, MAX_MESSAGE_BYTES)));
      bigger.set(this.buf.subarray(0, at));
      this.buf = bigger;
      this.view = new DataView(bigger.buffer, bigger.byteOffset, bigger.byteLength);
    }
    this.at = need;
    return at;
  }

  /** Zero bytes up to the next multiple of `alignment`. */
  pad(alignment: number): void {
    const n = (alignment - (this.at % alignment)) % alignment;
    if (n) {
      const at = this.reserve(n);
      this.buf.fill(0, at, this.at);
    }
  }

  // Each write reserves first: reserve() may replace the buffer and its view.
  u8(v: number): void {
    const at = this.reserve(1);
    this.buf[at] = v;
  }
  u16(v: number): void {
    this.pad(2);
    const at = this.reserve(2);
    this.view.setUint16(at, v, this.littleEndian);
  }
  i16(v: number): void {
    this.pad(2);
    const at = this.reserve(2);
    this.view.setInt16(at, v, this.littleEndian);
  }
  u32(v: number): void {
    this.pad(4);
    const at = this.reserve(4);
    this.view.setUint32(at, v, this.littleEndian);
  }
  i32(v: number): void {
    this.pad(4);
    const at = this.reserve(4);
    this.view.setInt32(at, v, this.littleEndian);
  }
  u64(v: bigint): void {
    this.pad(8);
    const at = this.reserve(8);
    this.view.setBigUint64(at, v, this.littleEndian);
  }
  i64(v: bigint): void {
    this.pad(8);
    const at = this.reserve(8);
    this.view.setBigInt64(at, v, this.littleEndian);
  }
  f64(v: number): void {
    this.pad(8);
    const at = this.reserve(8);
    this.view.setFloat64(at, v, this.littleEndian);
  }
  bytes(v: Uint8Array): void {
    const at = this.reserve(v.length);
    this.buf.set(v, at);
  }
  /** UTF-8 text then its terminating NUL; returns the text's byte length. */
  text(s: string): number {
    const room = this.reserve(s.length * 3 + 1);
    const { written } = utf8.encodeInto(s, this.buf.subarray(room, room + s.length * 3));
    this.buf[room + written] = 0;
    this.at = room + written + 1;
    return written;
  }
  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v, this.littleEndian);
  }

  /** The bytes written (a view of the buffer). */
  result(): Uint8Array {
    return this.buf.subarray(0, this.at);
  }
}

const fail = (what: string, v: unknown): never => {
  throw new TypeError(`D-Bus marshal: ${what}, got ${typeof v === 'bigint' ? `${v}n` : (JSON.stringify(v) ?? String(v))}`);
};

const isInt = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const isBig = (v: unknown, min: bigint, max: bigint): v is bigint => typeof v === 'bigint' && v >= min && v <= max;

/** Where `h` values go: each distinct fd once, its index written in the body. */
export class FdList {
  readonly fds: Fd[] = [];
  indexOf(fd: Fd): number {
    let i = this.fds.indexOf(fd);
    if (i < 0) i = this.fds.push(fd) - 1;
    return i;
  }
}

function writeString(w: WireWriter, v: unknown, what: string): void {
  if (typeof v !== 'string' || v.includes('\0')) return fail(`${what} must be a string without NUL`, v);
  w.pad(4);
  const lengthAt = w.reserve(4);
  w.patchU32(lengthAt, w.text(v));
}

/** A signature: its length in one byte (it was checked to be at most 255), then text and NUL. */
function writeSignature(w: WireWriter, s: string): void {
  w.u8(s.length);
  w.text(s);
}

function writeBasic(w: WireWriter, code: string, v: unknown, fds: FdList): void {
  switch (code) {
    case 'y':
      return isInt(v, 0, 255) ? w.u8(v) : fail('y must be an integer 0..255', v);
    case 'b':
      return typeof v === 'boolean' ? w.u32(v ? 1 : 0) : fail('b must be a boolean', v);
    case 'n':
      return isInt(v, -0x8000, 0x7fff) ? w.i16(v) : fail('n must be an int16', v);
    case 'q':
      return isInt(v, 0, 0xffff) ? w.u16(v) : fail('q must be a uint16', v);
    case 'i':
      return isInt(v, -0x80000000, 0x7fffffff) ? w.i32(v) : fail('i must be an int32', v);
    case 'u':
      return isInt(v, 0, 0xffffffff) ? w.u32(v) : fail('u must be a uint32', v);
    case 'x':
      return isBig(v, -(1n << 63n), (1n << 63n) - 1n) ? w.i64(v) : fail('x must be an int64 bigint', v);
    case 't':
      return isBig(v, 0n, (1n << 64n) - 1n) ? w.u64(v) : fail('t must be a uint64 bigint', v);
    case 'd':
      return typeof v === 'number' ? w.f64(v) : fail('d must be a number', v);
    case 's':
      return writeString(w, v, 's');
    case 'o':
      return typeof v === 'string' && isObjectPath(v) ? writeString(w, v, 'o') : fail('o must be an object path', v);
    case 'g':
      if (typeof v !== 'string' || !parseSignature(v).ok) return fail('g must be a signature', v);
      return writeSignature(w, v);
    case 'h':
      return isInt(v, 0, 0x7fffffff) ? w.u32(fds.indexOf(v as Fd)) : fail('h must be an fd', v);
  }
}

function writeValue(w: WireWriter, type: ElementType, v: Value, fds: FdList, depth: number): void {
  switch (type.code) {
    case 'a':
      return writeArray(w, type.elem, v, fds, depth + 1);
    case '(': {
      if (!Array.isArray(v) || v.length !== type.fields.length)
        return fail(`${signatureOf(type)} must be a ${type.fields.length}-tuple`, v);
      if (depth + 1 > MAX_DEPTH) return fail('containers nest deeper than 64', '…');
      w.pad(8);
      for (let i = 0; i < v.length; i++) writeValue(w, type.fields[i]!, v[i] as Value, fds, depth + 1);
      return;
    }
    case 'v': {
      if (!isVariant(v)) return fail('v must be a Variant', v);
      if (depth + 1 > MAX_DEPTH) return fail('containers nest deeper than 64', '…');
      const signature = signatureOf(v.type);
      const checked = parseSingle(signature);
      if (!checked.ok) return fail(checked.error, signature);
      writeSignature(w, signature);
      return writeValue(w, v.type, v.value, fds, depth + 1);
    }
    case '{':
      return fail('a dict entry outside an array', v);
    default:
      return writeBasic(w, type.code, v, fds);
  }
}

function writeArray(w: WireWriter, elem: ElementType, v: Value, fds: FdList, depth: number): void {
  if (depth > MAX_DEPTH) return fail('containers nest deeper than 64', '…');
  w.pad(4);
  const lengthAt = w.reserve(4);
  w.pad(alignmentOf(elem.code));
  const start = w.at;
  if (elem.code === 'y') {
    if (!(v instanceof Uint8Array)) return fail('ay must be a Uint8Array', v);
    w.bytes(v);
  } else if (elem.code === '{') {
    if (!(v instanceof Map)) return fail(`a${signatureOf(elem)} must be a Map`, v);
    for (const [key, value] of v as ReadonlyMap<BasicValue, Value>) {
      w.pad(8);
      writeBasic(w, elem.key.code, key, fds);
      writeValue(w, elem.value, value, fds, depth + 1);
    }
  } else {
    if (!Array.isArray(v)) return fail(`a${signatureOf(elem)} must be an array`, v);
    for (const item of v as readonly Value[]) writeValue(w, elem, item, fds, depth);
  }
  const length = w.at - start;
  if (length > MAX_ARRAY_BYTES) return fail(`arrays hold at most ${MAX_ARRAY_BYTES} bytes`, length);
  w.patchU32(lengthAt, length);
}

/**
 * Writes `values` as the types `types` say (a message body, or header fields). Returns nothing:
 * the bytes are in `w`, the fds in `fds`.
 */
export function marshal(w: WireWriter, types: readonly SingleType[], values: readonly Value[], fds: FdList): void {
  if (values.length !== types.length) fail(`${types.map(signatureOf).join('')} takes ${types.length} values`, values.length);
  for (let i = 0; i < types.length; i++) writeValue(w, types[i]!, values[i]!, fds, 0);
}
