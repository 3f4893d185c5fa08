/**
 * Agent messages put back together from the AGENT_DATA bodies that carry them: a message's
 * 20-byte header may itself be split, and its data runs over as many bodies as it takes. Only
 * the types the reader serves are kept, each up to its own size limit; the bytes of any other
 * type pass by without being stored, so a client cannot make the server hold more than the
 * largest limit. A message larger than its limit, a body over 2048 bytes or a header of another
 * protocol version is an error: the stream is then unusable (the caller closes the connection).
 */
import { decodeError, type Decoded } from '../decoded.js';
import { agentHeaderSize, agentMaxDataSize, AgentMessageHeader, agentMessages, agentProtocol } from './agent.js';
import { encodeMessage, type MessageOf } from './table.js';
import { decode, encode } from './wire.js';

export type AssembledMessage =
  /** A message of a type the reader keeps, whole. */
  | { readonly header: AgentMessageHeader; readonly data: Uint8Array }
  /** A message of another type, gone by: only its header was read. */
  | { readonly header: AgentMessageHeader; readonly data: null };

export class AgentStreamReader {
  private readonly headerBytes = new Uint8Array(agentHeaderSize);
  private headerHave = 0;
  private header: AgentMessageHeader | null = null;
  /** The data of the current message (null while it is passed over), and how much of it came. */
  private data: Uint8Array | null = null;
  private dataHave = 0;
  private failed: string | null = null;

  /** `limits`: message type → the largest data kept for it; other types are passed over. */
  constructor(private readonly limits: ReadonlyMap<number, number>) {}

  /** Reads one AGENT_DATA body; returns the messages it completed, or why the stream is broken. */
  push(chunk: Uint8Array): Decoded<AssembledMessage[]> {
    if (this.failed !== null) return decodeError(this.failed);
    if (chunk.length > agentMaxDataSize) return this.fail(`agent data of ${chunk.length} bytes (at most ${agentMaxDataSize})`);
    const done: AssembledMessage[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.header === null) {
        const n = Math.min(agentHeaderSize - this.headerHave, chunk.length - at);
        this.headerBytes.set(chunk.subarray(at, at + n), this.headerHave);
        this.headerHave += n;
        at += n;
        if (this.headerHave < agentHeaderSize) break;
        const started = this.start();
        if (started !== null) return this.fail(started);
      }
      const header = this.header!;
      const n = Math.min(header.size - this.dataHave, chunk.length - at);
      this.data?.set(chunk.subarray(at, at + n), this.dataHave);
      this.dataHave += n;
      at += n;
      if (this.dataHave === header.size) {
        done.push({ header, data: this.data });
        this.header = null;
        this.data = null;
        this.headerHave = 0;
        this.dataHave = 0;
      }
    }
    return { ok: true, value: done };
  }

  /** A message still coming (or its header not yet whole). */
  get partial(): boolean {
    return this.headerHave > 0;
  }

  /** Takes the header just read; returns why it is refused, or null. */
  private start(): string | null {
    const h = decode(AgentMessageHeader, this.headerBytes);
    if (!h.ok) return h.error;
    const header = h.value;
    if (header.protocol !== agentProtocol) return `agent protocol ${header.protocol} (expected ${agentProtocol})`;
    const limit = this.limits.get(header.type);
    if (limit !== undefined && header.size > limit) return `agent message type ${header.type} of ${header.size} bytes (at most ${limit})`;
    this.header = header;
    this.data = limit === undefined ? null : new Uint8Array(header.size);
    return null;
  }

  private fail(why: string): Decoded<never> {
    this.failed = why;
    return decodeError(why);
  }
}

/** One agent message, header and data, as the bytes that carry it. */
export function encodeAgentMessage(msg: MessageOf<(typeof agentMessages)['defs']>): Uint8Array {
  const { type, body } = encodeMessage(agentMessages, msg);
  const whole = new Uint8Array(agentHeaderSize + body.length);
  whole.set(encode(AgentMessageHeader, { protocol: agentProtocol, type, opaque: 0n, size: body.length }));
  whole.set(body, agentHeaderSize);
  return whole;
}

/** `bytes` cut into pieces of at most 2048 bytes, as AGENT_DATA and VDI chunks carry them. */
export function agentPieces(bytes: Uint8Array): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += agentMaxDataSize) pieces.push(bytes.subarray(at, at + agentMaxDataSize));
  return pieces;
}
