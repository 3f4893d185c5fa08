/**
 * Descriptions of remote interfaces, written once and used by both sides: the caller of a method
 * (connection.call) and the object that implements it (exported.ts), with the TypeScript types
 * of the arguments and results following from the signatures.
 */
import type { Decoded } from '../decoded.js';
import type { Message } from './message.js';
import { args, type Args, type DType, type Value } from './types.js';

export interface MethodSpec<I extends readonly Value[], O extends readonly Value[]> {
  readonly interface: string;
  readonly member: string;
  readonly in: Args<I>;
  readonly out: Args<O>;
}

export interface SignalSpec<V extends readonly Value[]> {
  readonly interface: string;
  readonly member: string;
  readonly args: Args<V>;
}

export interface PropertySpec<V extends Value> {
  readonly interface: string;
  readonly name: string;
  readonly type: DType<V>;
}

export const NO_ARGS = args();

export const methodSpec = <I extends readonly Value[], O extends readonly Value[]>(
  iface: string,
  member: string,
  inArgs: Args<I>,
  outArgs: Args<O>,
): MethodSpec<I, O> => ({ interface: iface, member, in: inArgs, out: outArgs });

export const signalSpec = <V extends readonly Value[]>(iface: string, member: string, signalArgs: Args<V>): SignalSpec<V> => ({
  interface: iface,
  member,
  args: signalArgs,
});

export const propertySpec = <V extends Value>(iface: string, name: string, type: DType<V>): PropertySpec<V> => ({
  interface: iface,
  name,
  type,
});

/**
 * The body of `m` as `expected` types it, if its signature is exactly that. Decoded values
 * already have the representation their types give them, so the check is the signature.
 */
export function bodyAs<V extends readonly Value[]>(m: Pick<Message, 'signature' | 'body'>, expected: Args<V>): Decoded<V> {
  return m.signature === expected.signature
    ? { ok: true, value: m.body as unknown as V }
    : { ok: false, error: `signature "${m.signature}", expected "${expected.signature}"` };
}
