/**
 * Wire bytes to values, driven by their types (signature.ts), in either byte order. Every read
 * is bounds-checked and every rule of the specification that a receiver can check is: zero
 * padding, booleans 0 or 1, UTF-8 strings without NUL and NUL-terminated, valid object paths and
 * signatures, array lengths that end on an element, the size and depth limits, fd indexes
 * within the message's fds. Malformed input ends in a WireError, which the message decoder
 * turns into an error value. `ay` comes back as a view of the input (no copy).
 */
import type { Fd } from '../../native/index.js';
import { WireError } from '../decoded.js';
import { MAX_ARRAY_BYTES, MAX_DEPTH } from './limits.js';
import { isObjectPath } from './names.js';
import { alignmentOf, parseSignature, parseSingle, type ElementType, type SingleType } from './signature.js';
import type { BasicValue, Value } from './types.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A bounds-checked position in one message; offsets (and so alignment) count from its start. */
export class WireReader {
  private readonly view: DataView;
  at: number;
  /**
   * The bytes of a byte array that ends the message, read elsewhere (straight into their final
   * place: MessageReader's placement): `bytes` stops where they begin, and the array read there
   * with their length is them.
   */
  tail: Uint8Array | undefined;
  tailTaken = false;

  constructor(
    readonly bytes: Uint8Array,
    readonly littleEndian: boolean,
    /** The fds that came with the message, for `h`. */
    readonly fds: readonly Fd[] = [],
    at = 0,
    /** Reads stop here (the end of the message). */
    readonly end = bytes.length,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.at = at;
  }

  fail(why: string): never {
    throw new WireError(`${why} at offset ${this.at}`);
  }

  /** Claims the next `n` bytes and returns where they start. */
  take(n: number, what: string): number {
    const at = this.at;
    if (n > this.end - at) this.fail(`${what}: needs ${n} bytes, ${this.end - at} left`);
    this.at = at + n;
    return at;
  }

  /** Skips to the next multiple of `alignment`; the padding must be zero. */
  align(alignment: number): void {
    const n = (alignment - (this.at % alignment)) % alignment;
    if (!n) return;
    const at = this.take(n, 'padding');
    for (let i = at; i < at + n; i++) if (this.bytes[i] !== 0) this.fail('non-zero padding');
  }

  u8(): number {
    return this.bytes[this.take(1, 'byte')]!;
  }
  u16(): number {
    this.align(2);
    return this.view.getUint16(this.take(2, 'uint16'), this.littleEndian);
  }
  i16(): number {
    this.align(2);
    return this.view.getInt16(this.take(2, 'int16'), this.littleEndian);
  }
  u32(): number {
    this.align(4);
    return this.view.getUint32(this.take(4, 'uint32'), this.littleEndian);
  }
  i32(): number {
    this.align(4);
    return this.view.getInt32(this.take(4, 'int32'), this.littleEndian);
  }
  u64(): bigint {
    this.align(8);
    return this.view.getBigUint64(this.take(8, 'uint64'), this.littleEndian);
  }
  i64(): bigint {
    this.align(8);
    return this.view.getBigInt64(this.take(8, 'int64'), this.littleEndian);
  }
  f64(): number {
    this.align(8);
    return this.view.getFloat64(this.take(8, 'double'), this.littleEndian);
  }

  /** An array's byte length, within the limit, with the reader aligned to its first element. */
  arrayLength(alignment: number): number {
    const length = this.u32();
    if (length > MAX_ARRAY_BYTES) this.fail(`array of ${length} bytes`);
    this.align(alignment);
    return length;
  }

  /** `length` bytes of UTF-8 then a NUL. */
  text(length: number, what: string): string {
    const at = this.take(length + 1, what);
    if (this.bytes[at + length] !== 0) this.fail(`${what} is not NUL-terminated`);
    const raw = this.bytes.subarray(at, at + length);
    if (raw.includes(0)) this.fail(`${what} holds a NUL`);
    try {
      return utf8.decode(raw);
    } catch {
      return this.fail(`${what} is not UTF-8`);
    }
  }

  string(): string {
    return this.text(this.u32(), 'string');
  }

  signature(): string {
    return this.text(this.u8(), 'signature');
  }

  /** A variant's signature, parsed: exactly one complete type. */
  variantType(): SingleType {
    const parsed = parseSingle(this.signature());
    return parsed.ok ? parsed.value : this.fail(parsed.error);
  }
}

function readBasic(r: WireReader, code: string): BasicValue {
  switch (code) {
    case 'y':
      return r.u8();
    case 'b': {
      const v = r.u32();
      return v === 1 ? true : v === 0 ? false : r.fail(`boolean ${v}`);
    }
    case 'n':
      return r.i16();
    case 'q':
      return r.u16();
    case 'i':
      return r.i32();
    case 'u':
      return r.u32();
    case 'x':
      return r.i64();
    case 't':
      return r.u64();
    case 'd':
      return r.f64();
    case 's':
      return r.string();
    case 'o': {
      const path = r.string();
      return isObjectPath(path) ? path : r.fail(`bad object path ${JSON.stringify(path)}`);
    }
    case 'g': {
      const s = r.signature();
      const parsed = parseSignature(s);
      return parsed.ok ? s : r.fail(parsed.error);
    }
    case 'h': {
      const index = r.u32();
      const fd = r.fds[index];
      return fd ?? r.fail(`fd index ${index} of ${r.fds.length}`);
    }
    default:
      return r.fail(`type ${code}`);
  }
}

function readValue(r: WireReader, type: ElementType, depth: number): Value {
  switch (type.code) {
    case 'a':
      return readArray(r, type.elem, depth + 1);
    case '(': {
      if (depth + 1 > MAX_DEPTH) r.fail('containers nest deeper than 64');
      r.align(8);
      const fields: Value[] = new Array(type.fields.length);
      for (let i = 0; i < type.fields.length; i++) fields[i] = readValue(r, type.fields[i]!, depth + 1);
      return fields;
    }
    case 'v': {
      if (depth + 1 > MAX_DEPTH) r.fail('containers nest deeper than 64');
      const inner = r.variantType();
      return { type: inner, value: readValue(r, inner, depth + 1) };
    }
    case '{':
      return r.fail('dict entry outside an array');
    default:
      return readBasic(r, type.code);
  }
}

function readArray(r: WireReader, elem: ElementType, depth: number): Value {
  if (depth > MAX_DEPTH) r.fail('containers nest deeper than 64');
  const length = r.arrayLength(alignmentOf(elem.code));
  if (elem.code === 'y' && r.tail && !r.tailTaken && r.at === r.end && length === r.tail.length) {
    r.tailTaken = true;
    return r.tail;
  }
  if (length > r.end - r.at) r.fail(`array of ${length} bytes, ${r.end - r.at} left`);
  const end = r.at + length;
  if (elem.code === 'y') return r.bytes.subarray(r.take(length, 'byte array'), end);
  if (elem.code === '{') {
    const map = new Map<BasicValue, Value>();
    while (r.at < end) {
      r.align(8);
      const key = readBasic(r, elem.key.code);
      map.set(key, readValue(r, elem.value, depth + 1));
    }
    if (r.at !== end) r.fail('dict ends inside an entry');
    return map;
  }
  const items: Value[] = [];
  while (r.at < end) items.push(readValue(r, elem, depth));
  if (r.at !== end) r.fail('array ends inside an element');
  return items;
}

/** Reads one value of each of `types` (a body, or the header fields). Throws WireError. */
export function unmarshal(r: WireReader, types: readonly SingleType[]): Value[] {
  const values: Value[] = new Array(types.length);
  for (let i = 0; i < types.length; i++) values[i] = readValue(r, types[i]!, 0);
  return values;
}
