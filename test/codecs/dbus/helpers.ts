import { spawnSync } from 'node:child_process';
import type { Fd } from '../../../native/index.js';
import { sourcePath } from '../../../native/fixtures/c-program.js';
import { decodeMessage, encodeMessage, type Message, type Outgoing } from '../../../codecs/dbus/message.js';
import { objectPath } from '../../../codecs/dbus/names.js';
import { isVariant, type Value } from '../../../codecs/dbus/types.js';
import { signatureOf } from '../../../codecs/dbus/signature.js';

/** A signal carrying `body` typed by `signature`: the simplest message to round-trip values in. */
export const signal = (signature: string, body: readonly Value[]): Outgoing => ({
  type: 'signal',
  flags: 0,
  path: objectPath('/test/Values'),
  interface: 'org.example.Test',
  member: 'Values',
  signature,
  body,
});

/** Values made comparable with deepEqual: byte arrays as hex (views of any buffer), variants by signature. */
export function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return { hex: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex') };
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, plain(x)]));
  if (typeof v === 'object' && v !== null && isVariant(v as Value)) {
    const variant = v as { type: never; value: unknown };
    return { variant: signatureOf(variant.type), value: plain(variant.value) };
  }
  return v;
}

/** Encodes then decodes; fails the test through the returned error string if anything is off. */
export function roundTrip(m: Outgoing, littleEndian: boolean, fds: readonly Fd[] = []): Message {
  const encoded = encodeMessage(m, 7, littleEndian);
  const decoded = decodeMessage(encoded.bytes, [...encoded.fds, ...fds]);
  if (!decoded.ok) throw new Error(decoded.error);
  if (decoded.value.type === 'unknown') throw new Error('unknown type');
  return decoded.value;
}

/** `message` with its body replaced by `body` (the header's body length patched), for malformed-body tests. */
export function withBody(message: Uint8Array, body: Uint8Array): Uint8Array {
  const le = message[0] === 0x6c;
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const bodyLength = view.getUint32(4, le);
  const header = message.subarray(0, message.length - bodyLength);
  const out = new Uint8Array(header.length + body.length);
  out.set(header);
  out.set(body, header.length);
  new DataView(out.buffer).setUint32(4, body.length, le);
  return out;
}

export const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
export const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** The body bytes of an encoded message. */
export function bodyOf(message: Uint8Array): Uint8Array {
  const le = message[0] === 0x6c;
  const bodyLength = new DataView(message.buffer, message.byteOffset, message.byteLength).getUint32(4, le);
  return message.subarray(message.length - bodyLength);
}

export type GlibAnswer = Record<string, unknown>;

/** Runs requests through GLib's own codec (gdbus-blob.py, one python process). */
export function glib(requests: readonly object[]): GlibAnswer[] {
  const run = spawnSync('/usr/bin/python3', [sourcePath('test/codecs/dbus/gdbus-blob.py')], {
    input: requests.map((r) => JSON.stringify(r)).join('\n') + '\n',
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`gdbus-blob.py: ${run.stderr}`);
  return run.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as GlibAnswer);
}
