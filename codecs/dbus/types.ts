/**
 * D-Bus values as JavaScript holds them, and typed descriptions of signatures: `T.struct(T.u32,
 * T.bytes)` is both the signature `(uay)` and the TypeScript type `[number, Uint8Array]`, so a
 * method's arguments are declared once and checked by the compiler.
 *
 * One representation per type, whether a value was decoded from a signature read on the wire or
 * described here: y n q i u d → number, b → boolean, x t → bigint, s g → string, o → ObjectPath,
 * h → Fd, ay → Uint8Array, a{KV} → Map, other arrays → arrays, structs → tuples, v → Variant.
 */
import type { Fd } from '../../native/index.js';
import type { ObjectPath } from './names.js';
import { parseSingle, signatureOf, typesOf, type BasicType, type SingleType } from './signature.js';

export type BasicValue = number | boolean | bigint | string;
export type Value = BasicValue | Uint8Array | readonly Value[] | ReadonlyMap<BasicValue, Value> | Variant;

/** A value with its own type, as `v` carries it. */
export interface Variant<V extends Value = Value> {
  readonly type: SingleType;
  readonly value: V;
}

/** A description of one complete type whose values are `V`. */
export interface DType<V extends Value, C extends string = string> {
  readonly signature: string;
  readonly type: SingleType;
  /** Only for inference; never present. */
  readonly __value?: V;
  readonly __code?: C;
}

export type ValueOf<D> = D extends DType<infer V> ? V : never;
export type ValuesOf<Ds extends readonly DType<Value>[]> = { -readonly [K in keyof Ds]: ValueOf<Ds[K]> };

const described = <V extends Value, C extends string = string>(type: SingleType): DType<V, C> => ({
  signature: signatureOf(type),
  type,
});
const basic = <V extends BasicValue, C extends BasicType['code']>(code: C): DType<V, C> => described({ code });

type ArrayOf<E> = E extends DType<number, 'y'> ? Uint8Array : ValueOf<E>[];

export const T = {
  byte: basic<number, 'y'>('y'),
  bool: basic<boolean, 'b'>('b'),
  i16: basic<number, 'n'>('n'),
  u16: basic<number, 'q'>('q'),
  i32: basic<number, 'i'>('i'),
  u32: basic<number, 'u'>('u'),
  i64: basic<bigint, 'x'>('x'),
  u64: basic<bigint, 't'>('t'),
  double: basic<number, 'd'>('d'),
  string: basic<string, 's'>('s'),
  path: basic<ObjectPath, 'o'>('o'),
  signature: basic<string, 'g'>('g'),
  fd: basic<Fd, 'h'>('h'),
  variant: described<Variant, 'v'>({ code: 'v' }),
  /** `ay`, as a Uint8Array. */
  bytes: described<Uint8Array, 'ay'>({ code: 'a', elem: { code: 'y' } }),
  array: <E extends DType<Value>>(elem: E): DType<ArrayOf<E>> => described({ code: 'a', elem: elem.type }),
  dict: <K extends BasicValue, V extends Value>(key: DType<K, BasicType['code']>, value: DType<V>): DType<Map<K, V>> =>
    described({ code: 'a', elem: { code: '{', key: key.type as BasicType, value: value.type } }),
  struct: <Fs extends readonly DType<Value>[]>(...fields: Fs): DType<ValuesOf<Fs>> =>
    described({ code: '(', fields: fields.map((f) => f.type) }),
} as const;

/** The argument list of a method or signal: a signature of any number of complete types. */
export interface Args<Vs extends readonly Value[]> {
  readonly signature: string;
  readonly types: readonly SingleType[];
  readonly __values?: Vs;
}

export function args<Ds extends readonly DType<Value>[]>(...ds: Ds): Args<ValuesOf<Ds>> {
  const signature = ds.map((d) => d.signature).join('');
  return { signature, types: typesOf(signature) };
}

/** A variant of a described type. */
export const variant = <V extends Value>(d: DType<V>, value: V): Variant<V> => ({ type: d.type, value });

/** A variant from a signature written in code (`variantOf('as', ['x'])`); a bad one throws. */
export function variantOf(signature: string, value: Value): Variant {
  const parsed = parseSingle(signature);
  if (!parsed.ok) throw new TypeError(parsed.error);
  return { type: parsed.value, value };
}

export const isVariant = (v: Value): v is Variant =>
  typeof v === 'object' && !(v instanceof Uint8Array) && !Array.isArray(v) && !(v instanceof Map) && 'type' in v;
