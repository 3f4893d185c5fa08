import { WireError, type Decoded } from '../decoded.js';

/**
 * The building blocks of SPICE message descriptions. A description is a value of type
 * `Codec<T>`; combining them (`struct`, `array`, `ptr`, `select`, ...) describes a message once,
 * and encoding and decoding both follow from it, the way spice-common derives its marshallers
 * and demarshallers from spice.proto. Byte order is little-endian, structures are packed,
 * a pointer is a u32 offset from the start of the message body (0 for none).
 */

/** Bounds-checked reads over one message body; `at` is relative to the body start. */
export class Reader {
  private readonly view: DataView;
  /** Pointer hops followed so far, shared by sub-readers: bounds the work a hostile message can ask for. */
  private hops: { count: number };

  constructor(
    readonly bytes: Uint8Array,
    public at = 0,
    hops?: { count: number },
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.hops = hops ?? { count: 0 };
  }

  get left(): number {
    return this.bytes.length - this.at;
  }

  need(n: number, what: string): number {
    if (!(n >= 0) || this.at + n > this.bytes.length) {
      throw new WireError(`${what}: needs ${n} bytes at offset ${this.at}, message has ${this.bytes.length}`);
    }
    const at = this.at;
    this.at += n;
    return at;
  }

  u8 = () => this.view.getUint8(this.need(1, 'u8'));
  u16 = () => this.view.getUint16(this.need(2, 'u16'), true);
  u32 = () => this.view.getUint32(this.need(4, 'u32'), true);
  i16 = () => this.view.getInt16(this.need(2, 'i16'), true);
  i32 = () => this.view.getInt32(this.need(4, 'i32'), true);
  u64 = () => this.view.getBigUint64(this.need(8, 'u64'), true);
  i64 = () => this.view.getBigInt64(this.need(8, 'i64'), true);

  /** A view (not a copy) of the next `n` bytes. */
  bytesView(n: number, what: string): Uint8Array {
    const at = this.need(n, what);
    return this.bytes.subarray(at, at + n);
  }

  /** A reader at `offset` of the same body, for a pointer's target. */
  jump(offset: number, what: string): Reader {
    if (offset > this.bytes.length) throw new WireError(`${what}: pointer ${offset} beyond the ${this.bytes.length}-byte message`);
    if (++this.hops.count > 1024) throw new WireError(`${what}: too many pointers`);
    return new Reader(this.bytes, offset, this.hops);
  }
}

/** Appends to a growing buffer; pointer targets are written after the fixed part, in order. */
export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  at = 0;
  private readonly deferred: Array<() => void> = [];

  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  private room(n: number): number {
    const at = this.at;
    if (at + n > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < at + n) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.buf.subarray(0, at));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    this.at += n;
    return at;
  }

  // room() may replace the buffer, so it runs before this.view / this.buf are read.
  u8 = (v: number) => {
    const at = this.room(1);
    this.view.setUint8(at, v);
  };
  u16 = (v: number) => {
    const at = this.room(2);
    this.view.setUint16(at, v, true);
  };
  u32 = (v: number) => {
    const at = this.room(4);
    this.view.setUint32(at, v, true);
  };
  i16 = (v: number) => {
    const at = this.room(2);
    this.view.setInt16(at, v, true);
  };
  i32 = (v: number) => {
    const at = this.room(4);
    this.view.setInt32(at, v, true);
  };
  u64 = (v: bigint) => {
    const at = this.room(8);
    this.view.setBigUint64(at, v, true);
  };
  i64 = (v: bigint) => {
    const at = this.room(8);
    this.view.setBigInt64(at, v, true);
  };
  bytes = (v: Uint8Array) => {
    const at = this.room(v.length);
    this.buf.set(v, at);
  };
  patchU32 = (at: number, v: number) => this.view.setUint32(at, v, true);

  /** Runs `write` once the enclosing fixed part is done (see `ptr`). */
  defer(write: () => void): void {
    this.deferred.push(write);
  }

  /** Writes every deferred pointer target (targets may defer more), then returns the bytes. */
  finish(): Uint8Array {
    for (let i = 0; i < this.deferred.length; i++) this.deferred[i]!();
    this.deferred.length = 0;
    return this.buf.subarray(0, this.at);
  }
}

export interface Codec<T> {
  readonly name: string;
  read(r: Reader): T;
  write(w: Writer, v: T): void;
}

export type TypeOf<C> = C extends Codec<infer T> ? T : never;

const int = <T>(name: string, read: (r: Reader) => T, write: (w: Writer, v: T) => void, check: (v: T) => boolean): Codec<T> => ({
  name,
  read,
  write(w, v) {
    if (!check(v)) throw new RangeError(`${name}: ${String(v)} out of range`);
    write(w, v);
  },
});

const inRange = (lo: number, hi: number) => (v: number) => Number.isInteger(v) && v >= lo && v <= hi;

export const u8 = int(
  'u8',
  (r) => r.u8(),
  (w, v) => w.u8(v),
  inRange(0, 0xff),
);
export const u16 = int(
  'u16',
  (r) => r.u16(),
  (w, v) => w.u16(v),
  inRange(0, 0xffff),
);
export const u32 = int(
  'u32',
  (r) => r.u32(),
  (w, v) => w.u32(v),
  inRange(0, 0xffffffff),
);
export const i16 = int(
  'i16',
  (r) => r.i16(),
  (w, v) => w.i16(v),
  inRange(-0x8000, 0x7fff),
);
export const i32 = int(
  'i32',
  (r) => r.i32(),
  (w, v) => w.i32(v),
  inRange(-0x80000000, 0x7fffffff),
);
export const u64 = int(
  'u64',
  (r) => r.u64(),
  (w, v) => w.u64(v),
  (v) => v >= 0n && v < 1n << 64n,
);
export const i64 = int(
  'i64',
  (r) => r.i64(),
  (w, v) => w.i64(v),
  (v) => v >= -(1n << 63n) && v < 1n << 63n,
);

/** Exactly `n` bytes. */
export const fixedBytes = (n: number): Codec<Uint8Array> => ({
  name: `u8[${n}]`,
  read: (r) => r.bytesView(n, `u8[${n}]`),
  write(w, v) {
    if (v.length !== n) throw new RangeError(`u8[${n}]: got ${v.length} bytes`);
    w.bytes(v);
  },
});

/** The rest of the message (spice.proto's `u8 data[] @end` and `@as_ptr` raw data). */
export const rest: Codec<Uint8Array> = {
  name: 'u8[]',
  read: (r) => r.bytesView(r.left, 'u8[]'),
  write: (w, v) => w.bytes(v),
};

/** Bytes preceded by their count. */
export const counted = (count: Codec<number>): Codec<Uint8Array> => ({
  name: `u8[${count.name}]`,
  read: (r) => r.bytesView(count.read(r), 'counted bytes'),
  write(w, v) {
    count.write(w, v.length);
    w.bytes(v);
  },
});

/** Elements preceded by their count. */
export function array<T>(count: Codec<number>, elem: Codec<T>, max = Infinity): Codec<T[]> {
  return {
    name: `${elem.name}[${count.name}]`,
    read(r) {
      const n = count.read(r);
      if (n > max) throw new WireError(`${elem.name}[]: ${n} elements, at most ${max}`);
      return readN(r, n, elem);
    },
    write(w, v) {
      count.write(w, v.length);
      for (const e of v) elem.write(w, e);
    },
  };
}

/** Elements up to the end of the message (a trailing part smaller than an element is malformed). */
export function restOf<T>(elem: Codec<T>): Codec<T[]> {
  return {
    name: `${elem.name}[]`,
    read(r) {
      const out: T[] = [];
      while (r.left > 0) out.push(elem.read(r));
      return out;
    },
    write: (w, v) => v.forEach((e) => elem.write(w, e)),
  };
}

function readN<T>(r: Reader, n: number, elem: Codec<T>): T[] {
  // A count larger than the bytes left cannot be honest; refuse before allocating for it.
  if (n > r.left) throw new WireError(`${elem.name}[]: ${n} elements but ${r.left} bytes left`);
  const out = new Array<T>(n);
  for (let i = 0; i < n; i++) out[i] = elem.read(r);
  return out;
}

type Fields = { readonly [k: string]: Codec<unknown> };
type StructOf<F extends Fields> = { -readonly [K in keyof F as F[K] extends LengthOf ? never : K]: TypeOf<F[K]> };

/**
 * A field whose layout depends on the fields before it (spice.proto's `switch`, or an array
 * sized by an earlier count); `null` from `resolve`: the field is absent and takes no bytes.
 */
export interface Dependent<T> extends Codec<T | undefined> {
  readonly resolve: (before: Record<string, unknown>) => Codec<T> | null;
}

export function dependent<T>(name: string, resolve: (before: Record<string, unknown>) => Codec<T> | null): Dependent<T> {
  const misuse = (): never => {
    throw new Error(`${name} is only read or written inside a struct`);
  };
  return { name, resolve, read: misuse, write: misuse };
}

/** Present only when `present` holds for the fields before it (`switch (flags) { case X: }`). */
export const when = <T>(present: (before: Record<string, unknown>) => boolean, c: Codec<T>): Dependent<T> =>
  dependent(`${c.name}?`, (before) => (present(before) ? c : null));

/** Laid out by the number an earlier field holds; numbers in `none` take no bytes, others are malformed. */
export function select<T>(
  name: string,
  pick: (before: Record<string, unknown>) => number,
  cases: ReadonlyArray<readonly [number | readonly number[], Codec<T>]>,
  none: readonly number[] = [],
): Dependent<T> {
  const byNumber = new Map<number, Codec<T>>();
  for (const [ns, c] of cases) for (const n of [ns].flat()) byNumber.set(n, c);
  return dependent(name, (before) => {
    const n = pick(before);
    const c = byNumber.get(n);
    if (c) return c;
    if (none.includes(n)) return null;
    throw new WireError(`${name}: unknown type ${n}`);
  });
}

/** `count` elements, `count` read from an earlier field (see `lengthOf`). */
export const sizedBy = <T>(countField: string, elem: Codec<T>): Dependent<T[]> =>
  dependent(`${elem.name}[${countField}]`, (before) => {
    const n = before[countField] as number;
    return { name: `${elem.name}[${n}]`, read: (r) => readN(r, n, elem), write: (w, v) => v.forEach((e) => elem.write(w, e)) };
  });

/** A count written from the length of a later field; read, it sizes that field and is not kept in the value. */
export interface LengthOf extends Codec<number> {
  readonly of: string;
}

export const lengthOf = (of: string, c: Codec<number>): LengthOf => ({ name: c.name, of, read: c.read, write: c.write });

/** Fields in declaration order. */
export function struct<F extends Fields>(name: string, fields: F): Codec<StructOf<F>> {
  const entries = Object.entries(fields);
  const lengths = entries.filter(([, c]) => 'of' in c).map(([k]) => k);
  const codecOf = (c: Codec<unknown>, before: Record<string, unknown>): Codec<unknown> | null =>
    'resolve' in c ? (c as Dependent<unknown>).resolve(before) : c;
  return {
    name,
    read(r) {
      const out: Record<string, unknown> = {};
      for (const [k, c] of entries) out[k] = codecOf(c, out)?.read(r);
      for (const k of lengths) delete out[k];
      return out as StructOf<F>;
    },
    write(w, v) {
      const value: Record<string, unknown> = { ...(v as object) };
      for (const [k, c] of entries) {
        if ('of' in c) value[k] = lengthOfValue(value[(c as LengthOf).of]);
        codecOf(c, value)?.write(w, value[k]);
      }
    },
  };
}

function lengthOfValue(v: unknown): number {
  if (v instanceof Uint8Array || Array.isArray(v)) return v.length;
  return 0;
}

/** `T *x`: a u32 offset from the body start to the target (0: null), the target written after the fixed part. */
export function ptr<T>(target: Codec<T>): Codec<T | null> {
  return {
    name: `${target.name}*`,
    read(r) {
      const offset = r.u32();
      return offset === 0 ? null : target.read(r.jump(offset, target.name));
    },
    write(w, v) {
      const at = w.at;
      w.u32(0);
      if (v === null) return;
      w.defer(() => {
        w.patchU32(at, w.at);
        target.write(w, v);
      });
    },
  };
}

/** No bytes: a message with an empty body, or a union variant with no fields. */
export const empty: Codec<Record<string, never>> = { name: 'empty', read: () => ({}), write: () => {} };

export type { Decoded };

/** Decodes a whole body; malformed input is an error value. */
export function decode<T>(codec: Codec<T>, body: Uint8Array): Decoded<T> {
  try {
    return { ok: true, value: codec.read(new Reader(body)) };
  } catch (err) {
    if (err instanceof WireError || err instanceof RangeError) return { ok: false, error: `${codec.name}: ${err.message}` };
    throw err;
  }
}

/** `sizeHint`: the expected size, so that a large body (an image) is not grown by doubling. */
export function encode<T>(codec: Codec<T>, value: T, sizeHint = 256): Uint8Array {
  const w = new Writer(sizeHint);
  codec.write(w, value);
  return w.finish();
}
