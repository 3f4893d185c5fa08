/**
 * The client side of org.freedesktop.DBus.Properties: reading described properties with their
 * types checked, and following PropertiesChanged.
 */
import type { Decoded } from '../../../../codecs/decoded.js';
import type { DBusConnection, Target } from './connection.js';
import { StandardMethods } from './exported.js';
import { signatureOf } from '../../../../codecs/dbus/signature.js';
import { signalSpec, type PropertySpec } from '../../../../codecs/dbus/spec.js';
import { args, T, type DType, type Value, type Variant } from '../../../../codecs/dbus/types.js';

export const PropertiesChanged = signalSpec(
  'org.freedesktop.DBus.Properties',
  'PropertiesChanged',
  args(T.string, T.dict(T.string, T.variant), T.array(T.string)),
);

/** The value of a variant if it has the described type. */
export function variantAs<V extends Value>(v: Variant, type: DType<V>): Decoded<V> {
  const signature = signatureOf(v.type);
  return signature === type.signature
    ? { ok: true, value: v.value as V }
    : { ok: false, error: `a "${signature}" where "${type.signature}" was expected` };
}

/** Reads one property; rejects if the peer gives it another type. */
export async function getProperty<V extends Value>(connection: DBusConnection, target: Target, spec: PropertySpec<V>): Promise<V> {
  const [v] = await connection.call(target, StandardMethods.get, [spec.interface, spec.name]);
  const value = variantAs(v, spec.type);
  if (!value.ok) throw new TypeError(`${spec.interface}.${spec.name}: ${value.error}`);
  return value.value;
}

/** All properties of an interface, as the peer gives them (check each with variantAs). */
export async function getAllProperties(connection: DBusConnection, target: Target, iface: string): Promise<ReadonlyMap<string, Variant>> {
  const [all] = await connection.call(target, StandardMethods.getAll, [iface]);
  return all;
}

/** A property of `all` as `spec` types it; undefined if absent, an error if of another type. */
export function propertyOf<V extends Value>(all: ReadonlyMap<string, Variant>, spec: PropertySpec<V>): Decoded<V> | undefined {
  const v = all.get(spec.name);
  return v && variantAs(v, spec.type);
}
