import type { Duplex } from 'node:stream';
import type { ByteReader } from '../../runtime/byte-reader.js';
import type { SaslSession } from '../../native/index.js';
import { LinkError } from '../../codecs/protocol/link.js';

// The SASL exchange of the link stage, after the client chose AUTH_SASL, as spice-server's
// red-stream.cpp runs it and spice-gtk's spice-channel.c expects it (all u32 little-endian):
//   S→C  mechanism list: u32 length, ",A,B," (no NUL)
//   C→S  u32 length, mechanism name; u32 length, first data (length counts a NUL; 0: none)
//   S→C  u32 length, data (with NUL; 0: none), u8 continue (0: more steps, 1: done)
//   C→S  u32 length, data                  ... steps, each answered as above
//   S→C  u32 auth result: 0 when authenticated
// A refused authentication is told as spice-gtk can read it: a done reply without data, then
// PERMISSION_DENIED as the auth result (spice-server closes without a word there).

export const saslLimits = {
  /** spice-server's and spice-gtk's limit. */
  mechanismBytes: 100,
  /** spice-gtk reads no longer list. */
  mechanismListBytes: 300,
  /** Client data per message: SCRAM, DIGEST-MD5 and PLAIN need well under 1 KiB. */
  dataBytes: 64 * 1024,
  /** Messages after the first: SCRAM and DIGEST-MD5 take one. */
  steps: 8,
} as const;

export type SaslOutcome =
  | { readonly ok: true; readonly username: string }
  /** `denied`: the credentials were refused (answered, and counted by the ticket throttle); else the client broke the protocol (closed). */
  | { readonly ok: false; readonly denied: boolean; readonly reason: string };

export interface SaslExchange {
  readonly reader: ByteReader;
  readonly stream: Duplex;
  readonly session: SaslSession;
  /** ms since epoch: the link stage's deadline. */
  readonly deadline: number;
  /**
   * Called once the client's first message is in, before any credential is checked: waits for
   * the address's turn (the ticket throttle); false when it gets none.
   */
  turn(): Promise<boolean>;
}

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n, 0);
  return b;
};

/** The client broke the protocol: the connection is closed. */
class Broken extends Error {}

/** Runs the exchange; the caller disposes the session and ends the stream. */
export async function runSaslExchange(exchange: SaslExchange): Promise<SaslOutcome> {
  try {
    return await converse(exchange);
  } catch (err) {
    if (err instanceof Broken) return { ok: false, denied: false, reason: `SASL: ${err.message}` };
    throw err;
  }
}

async function converse({ reader, stream, session, deadline, turn }: SaslExchange): Promise<SaslOutcome> {
  const list = session.mechanisms();
  const listBytes = Buffer.from(list, 'utf8');
  if (listBytes.length > saslLimits.mechanismListBytes)
    throw new Error(
      `SASL mechanism list of ${listBytes.length} bytes (spice-gtk reads ${saslLimits.mechanismListBytes}): shorten mech_list in spice.conf`,
    );
  stream.write(Buffer.concat([u32(listBytes.length), listBytes]));

  const nameLength = (await reader.read(4, deadline)).readUInt32LE(0);
  if (nameLength < 1 || nameLength > saslLimits.mechanismBytes) throw new Broken(`mechanism name of ${nameLength} bytes`);
  const name = (await reader.read(nameLength, deadline)).toString('latin1');
  if (name.includes(',') || !list.includes(`,${name},`)) {
    stream.write(u32(LinkError.invalidData));
    throw new Broken(`mechanism ${JSON.stringify(name)} is not on offer (${list})`);
  }
  const readData = async (): Promise<Uint8Array | null> => {
    const length = (await reader.read(4, deadline)).readUInt32LE(0);
    if (length > saslLimits.dataBytes) throw new Broken(`${length} bytes of client data (at most ${saslLimits.dataBytes})`);
    if (length === 0) return null;
    // The length counts a trailing NUL, which is not the mechanism's.
    return (await reader.read(length, deadline)).subarray(0, length - 1);
  };
  // A done reply without data, then the refusal: spice-gtk reads the auth result there.
  const deny = (reason: string): SaslOutcome => {
    stream.write(Buffer.concat([u32(0), Buffer.of(1), u32(LinkError.permissionDenied)]));
    return { ok: false, denied: true, reason };
  };
  let data = await readData();
  if (!(await turn())) return deny('SASL: too many attempts from this address waiting for their turn');

  for (let step = 0; ; step++) {
    let reply;
    try {
      reply = step === 0 ? session.start(name, data) : session.step(data);
    } catch (err) {
      return deny(`SASL ${name}: ${(err as Error).message}`);
    }
    const out = reply.out === null ? u32(0) : Buffer.concat([u32(reply.out.length + 1), reply.out, Buffer.of(0)]);
    stream.write(Buffer.concat([out, Buffer.of(reply.done ? 1 : 0)]));
    if (reply.done) break;
    if (step === saslLimits.steps) throw new Broken(`${name} still not done after ${saslLimits.steps} steps`);
    data = await readData();
  }

  // A security layer would need sasl_encode on every message, which is not run here; with no
  // layer offered, none can have been negotiated.
  const ssf = session.ssf();
  if (ssf !== 0) throw new Broken(`${name} negotiated a security layer (SSF ${ssf}) this server does not run`);
  const username = session.username();
  if (username === null) throw new Broken(`${name} authenticated nobody`);
  stream.write(u32(LinkError.ok));
  return { ok: true, username };
}
