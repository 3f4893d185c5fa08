/**
 * Objects we serve: paths with interfaces whose methods answer calls, plus the standard
 * interfaces every object has (org.freedesktop.DBus.Properties Get/GetAll/Set, Introspectable,
 * Peer.Ping). Dispatch is synchronous when the handler is: QEMU waits for some answers on its
 * main loop (the listener's GetAll), so they go out in the same turn the call came in.
 */
import { DBusError, Errors } from './errors.js';
import type { MethodCall } from '../../../../codecs/dbus/message.js';
import type { ObjectPath } from '../../../../codecs/dbus/names.js';
import { signatureOf } from '../../../../codecs/dbus/signature.js';
import { methodSpec, NO_ARGS, type MethodSpec } from '../../../../codecs/dbus/spec.js';
import { args, T, type Args, type DType, type Value, type Variant } from '../../../../codecs/dbus/types.js';

export interface ExportedMethod<I extends readonly Value[], O extends readonly Value[]> {
  readonly in: Args<I>;
  readonly out: Args<O>;
  /** Answers a call; owns the fds among `args`. Throw a DBusError to answer with that error. */
  handle(args: I, call: MethodCall): O | Promise<O>;
  /**
   * The handler reads its byte-array args only until it returns, and returns no promise: the
   * message's bytes may then be reused for the next message.
   */
  readonly borrowsArgs?: boolean;
}

export interface ExportedProperty<V extends Value> {
  readonly type: DType<V>;
  get(): V;
  /** Absent: read-only. */
  set?(value: V): void;
}

export interface ExportedInterface {
  readonly name: string;
  readonly methods?: Readonly<Record<string, ExportedMethod<readonly Value[], readonly Value[]>>>;
  readonly properties?: Readonly<Record<string, ExportedProperty<Value>>>;
  /** Signals the object emits, for introspection. */
  readonly signals?: Readonly<Record<string, Args<readonly Value[]>>>;
}

/** An implementation of a described method. */
export const implement = <I extends readonly Value[], O extends readonly Value[]>(
  spec: MethodSpec<I, O>,
  handle: (args: I, call: MethodCall) => O | Promise<O>,
): ExportedMethod<I, O> => ({ in: spec.in, out: spec.out, handle });

/** An implementation that only borrows its args (see ExportedMethod.borrowsArgs). */
export const implementBorrowing = <I extends readonly Value[], O extends readonly Value[]>(
  spec: MethodSpec<I, O>,
  handle: (args: I, call: MethodCall) => O,
): ExportedMethod<I, O> => ({ in: spec.in, out: spec.out, handle, borrowsArgs: true });

/** A read-only property. */
export const readOnly = <V extends Value>(type: DType<V>, get: () => V): ExportedProperty<V> => ({ type, get });

const PEER = 'org.freedesktop.DBus.Peer';
const INTROSPECTABLE = 'org.freedesktop.DBus.Introspectable';
const PROPERTIES = 'org.freedesktop.DBus.Properties';

export const StandardMethods = {
  ping: methodSpec(PEER, 'Ping', NO_ARGS, NO_ARGS),
  introspect: methodSpec(INTROSPECTABLE, 'Introspect', NO_ARGS, args(T.string)),
  get: methodSpec(PROPERTIES, 'Get', args(T.string, T.string), args(T.variant)),
  getAll: methodSpec(PROPERTIES, 'GetAll', args(T.string), args(T.dict(T.string, T.variant))),
  set: methodSpec(PROPERTIES, 'Set', args(T.string, T.string, T.variant), NO_ARGS),
} as const;

const PROPERTIES_CHANGED = args(T.string, T.dict(T.string, T.variant), T.array(T.string));

const fail = (name: string, message: string): never => {
  throw new DBusError(name, message);
};

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export class ObjectRegistry {
  private readonly objects = new Map<string, readonly ExportedInterface[]>();

  /** Serves `interfaces` at `path` (replacing what was there); returns the function that withdraws them. */
  export(path: ObjectPath, interfaces: readonly ExportedInterface[]): () => void {
    this.objects.set(path, interfaces);
    return () => {
      if (this.objects.get(path) === interfaces) this.objects.delete(path);
    };
  }

  /** The method a call is for, or the error to answer (the call then reaches no handler). */
  lookup(call: MethodCall): ExportedMethod<readonly Value[], readonly Value[]> | DBusError {
    const own = this.objects.get(call.path);
    const { interface: iface, member } = call;
    const find = (ifaces: readonly ExportedInterface[]) =>
      iface === undefined ? ifaces.map((i) => i.methods?.[member]).find((m) => m !== undefined) : ifaces.find((i) => i.name === iface);
    // The object's own interfaces first: the standard ones are built only when needed.
    let found = own && find(own);
    if (!found) found = find(this.standardInterfaces(call.path, own));
    const method = found && 'handle' in found ? found : found?.methods?.[member];
    if (!method) {
      const missing = !own
        ? Errors.UnknownObject
        : found
          ? Errors.UnknownMethod
          : iface !== undefined
            ? Errors.UnknownInterface
            : Errors.UnknownMethod;
      return new DBusError(missing, `no method ${iface ?? ''}${iface ? '.' : ''}${member} at ${call.path}`);
    }
    if (call.signature !== method.in.signature) {
      return new DBusError(Errors.InvalidArgs, `${member} takes "${method.in.signature}", not "${call.signature}"`);
    }
    return method;
  }

  /** Peer and Introspectable answer on any path (Introspect lists children); Properties only on objects. */
  private standardInterfaces(path: string, own: readonly ExportedInterface[] | undefined): ExportedInterface[] {
    const peer: ExportedInterface = { name: PEER, methods: { Ping: implement(StandardMethods.ping, () => []) } };
    const introspectable: ExportedInterface = {
      name: INTROSPECTABLE,
      methods: { Introspect: implement(StandardMethods.introspect, () => [this.introspect(path)]) },
    };
    if (!own) return [peer, introspectable];
    const property = (ifaceName: string, name: string) => {
      const ifaces = own.filter((i) => ifaceName === '' || i.name === ifaceName);
      if (ifaces.length === 0) fail(Errors.UnknownInterface, `no interface ${ifaceName} at ${path}`);
      const p = ifaces.map((i) => i.properties?.[name]).find((x) => x !== undefined);
      return p ?? fail(Errors.UnknownProperty, `no property ${name} in ${ifaceName || path}`);
    };
    const properties: ExportedInterface = {
      name: PROPERTIES,
      methods: {
        Get: implement(StandardMethods.get, ([i, name]) => {
          const p = property(i, name);
          return [{ type: p.type.type, value: p.get() }];
        }),
        GetAll: implement(StandardMethods.getAll, ([i]) => {
          const ifaces = own.filter((x) => x.name === i);
          if (ifaces.length === 0 && i !== '') fail(Errors.UnknownInterface, `no interface ${i} at ${path}`);
          const all = new Map<string, Variant>();
          for (const x of i === '' ? own : ifaces) {
            for (const [name, p] of Object.entries(x.properties ?? {})) all.set(name, { type: p.type.type, value: p.get() });
          }
          return [all];
        }),
        Set: implement(StandardMethods.set, ([i, name, value]) => {
          const p = property(i, name);
          if (!p.set) fail(Errors.PropertyReadOnly, `${name} is read-only`);
          if (signatureOf(value.type) !== p.type.signature) fail(Errors.InvalidArgs, `${name} is "${p.type.signature}"`);
          p.set!(value.value);
          return [];
        }),
      },
      signals: { PropertiesChanged: PROPERTIES_CHANGED },
    };
    return [peer, introspectable, properties];
  }

  /** The introspection XML of `path`: its interfaces and the names of the nodes below it. */
  introspect(path: string): string {
    const own = this.objects.get(path);
    const lines = [
      '<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"',
      ' "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">',
      '<node>',
    ];
    const argXml = (a: Args<readonly Value[]>, direction?: 'in' | 'out') =>
      a.types.map((t) => `      <arg type="${escapeXml(signatureOf(t))}"${direction ? ` direction="${direction}"` : ''}/>`);
    for (const iface of [...this.standardInterfaces(path, own), ...(own ?? [])]) {
      lines.push(`  <interface name="${iface.name}">`);
      for (const [name, m] of Object.entries(iface.methods ?? {})) {
        lines.push(`    <method name="${name}">`, ...argXml(m.in, 'in'), ...argXml(m.out, 'out'), '    </method>');
      }
      for (const [name, a] of Object.entries(iface.signals ?? {})) lines.push(`    <signal name="${name}">`, ...argXml(a), '    </signal>');
      for (const [name, p] of Object.entries(iface.properties ?? {})) {
        lines.push(`    <property name="${name}" type="${escapeXml(p.type.signature)}" access="${p.set ? 'readwrite' : 'read'}"/>`);
      }
      lines.push('  </interface>');
    }
    const prefix = path === '/' ? '/' : path + '/';
    const children = new Set<string>();
    for (const other of this.objects.keys()) if (other.startsWith(prefix)) children.add(other.slice(prefix.length).split('/')[0]!);
    for (const child of children) lines.push(`  <node name="${child}"/>`);
    lines.push('</node>', '');
    return lines.join('\n');
  }
}
