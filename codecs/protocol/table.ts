import { decode, encode, type Codec, type Decoded, type TypeOf } from './wire.js';

/**
 * The messages one side of a channel sends: name -> [type number, body description]. From a
 * table follow the typed message union, the decoder by type number and the encoder by name.
 */
// biome-ignore lint/suspicious/noExplicitAny: each entry's body type differs; MessageOf recovers it per name.
export type Defs = { readonly [name: string]: readonly [number, Codec<any>] };

/** A decoded (or to-be-encoded) message of table `D`: `{ name, body }`, discriminated by name. */
export type MessageOf<D extends Defs> = { [K in keyof D & string]: { readonly name: K; readonly body: TypeOf<D[K][1]> } }[keyof D & string];

export interface Table<D extends Defs> {
  readonly defs: D;
  readonly number: { readonly [K in keyof D]: number };
  readonly byNumber: ReadonlyMap<number, { readonly name: keyof D & string; readonly codec: Codec<unknown> }>;
}

export function table<D extends Defs>(defs: D): Table<D> {
  const byNumber = new Map<number, { name: keyof D & string; codec: Codec<unknown> }>();
  const number: Record<string, number> = {};
  for (const [name, [n, codec]] of Object.entries(defs)) {
    if (byNumber.has(n)) throw new Error(`message type ${n} declared twice (${byNumber.get(n)!.name}, ${name})`);
    byNumber.set(n, { name, codec });
    number[name] = n;
  }
  return { defs, number: number as Table<D>['number'], byNumber };
}

/** Both tables of a channel: what the server sends and what the client sends. */
export interface ChannelProtocol<S extends Defs, C extends Defs> {
  readonly name: string;
  readonly server: Table<S>;
  readonly client: Table<C>;
}

export const channelProtocol = <S extends Defs, C extends Defs>(name: string, server: S, client: C): ChannelProtocol<S, C> => ({
  name,
  server: table(server),
  client: table(client),
});

/** Decodes a message body of type `type`; an unknown type or a malformed body is an error value. */
export function decodeMessage<D extends Defs>(t: Table<D>, type: number, body: Uint8Array): Decoded<MessageOf<D>> {
  const def = t.byNumber.get(type);
  if (!def) return { ok: false, error: `unknown message type ${type}` };
  const r = decode(def.codec, body);
  return r.ok ? { ok: true, value: { name: def.name, body: r.value } as MessageOf<D> } : r;
}

export function encodeMessage<D extends Defs>(t: Table<D>, msg: MessageOf<D>, sizeHint?: number): { type: number; body: Uint8Array } {
  const [type, codec] = t.defs[msg.name]!;
  return { type, body: encode(codec, msg.body, sizeHint) };
}
