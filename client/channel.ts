import type { Socket } from 'node:net';
import { Subject, type Observable } from 'rxjs';
import type { baseClient, baseServer } from '../codecs/protocol/channels/base.js';
import { CommonCap, hasCap } from '../codecs/protocol/enums.js';
import { frame, MessageReader, type HeaderKind } from '../codecs/protocol/framing.js';
import { decodeMessage, encodeMessage, type ChannelProtocol, type Defs, type MessageOf } from '../codecs/protocol/table.js';
import type { Linked } from './link.js';

const historyLength = 4096;

export interface ClientChannelOptions {
  /** Answer SET_ACK windows with ACKs, as every client does; off to play a stalled client. */
  readonly ack?: boolean;
  /** Answer PINGs. */
  readonly pong?: boolean;
}

/**
 * The client end of one linked channel: framing, the base messages a client answers
 * (SET_ACK with ACK_SYNC and an ACK per window, PING with PONG), and the channel's own
 * messages as a stream. A malformed server message ends the channel with an error.
 */
export class ClientChannel<S extends Defs, C extends Defs> {
  readonly header: HeaderKind;
  private readonly reader: MessageReader;
  private serial = 0n;
  private readonly subject = new Subject<MessageOf<S>>();
  readonly messages$: Observable<MessageOf<S>> = this.subject.asObservable();
  /** The latest messages received, oldest first (bounded), so that none is missed by a late subscriber. */
  readonly history: Array<MessageOf<S>> = [];
  private ackCount = 0;
  private ackWindow = 0;
  ack: boolean;
  pong: boolean;
  error: string | null = null;

  constructor(
    readonly linked: Linked,
    readonly protocol: ChannelProtocol<S & typeof baseServer, C & typeof baseClient>,
    options: ClientChannelOptions = {},
  ) {
    this.ack = options.ack ?? true;
    this.pong = options.pong ?? true;
    this.header =
      hasCap(linked.serverCommonCaps, CommonCap.miniHeader) && hasCap(linked.commonCaps, CommonCap.miniHeader) ? 'mini' : 'full';
    this.reader = new MessageReader(this.header, 256 * 1024 * 1024);
    const socket = linked.socket;
    socket.on('data', (c: Buffer) => this.onData(c));
    socket.on('close', () => this.subject.complete());
    socket.on('error', (e) => (this.error ??= e.message));
    // Bytes read with the link's result (a device's first data can come in that segment) are
    // delivered a microtask later, before the socket resumes: a subscriber made right after
    // construction sees them, where a synchronous delivery would have gone to no one.
    queueMicrotask(() => {
      if (linked.leftover.length) this.onData(linked.leftover);
      socket.resume();
    });
  }

  get socket(): Socket {
    return this.linked.socket;
  }

  send(msg: MessageOf<C & typeof baseClient>): void {
    const { type, body } = encodeMessage(this.protocol.client, msg);
    this.socket.write(frame(this.header, type, body, ++this.serial));
  }

  /** Sends raw bytes after a header of `type` (for bad-input tests). */
  sendRaw(type: number, body: Uint8Array): void {
    this.socket.write(frame(this.header, type, body, ++this.serial));
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Uint8Array): void {
    const r = this.reader.push(chunk);
    if (!r.ok) return this.fail(r.error);
    for (const raw of r.messages) {
      const m = decodeMessage(this.protocol.server, raw.type, raw.body);
      if (!m.ok) return this.fail(`server sent a bad message: ${m.error}`);
      this.history.push(m.value);
      if (this.history.length > historyLength) this.history.shift();
      this.base(m.value as MessageOf<typeof baseServer>);
      this.subject.next(m.value);
    }
  }

  private base(m: MessageOf<typeof baseServer>): void {
    if (m.name === 'set_ack') {
      this.ackWindow = m.body.window;
      this.ackCount = m.body.window;
      this.send({ name: 'ack_sync', body: { generation: m.body.generation } } as MessageOf<C & typeof baseClient>);
      return;
    }
    if (m.name === 'ping' && this.pong)
      this.send({ name: 'pong', body: { id: m.body.id, timestamp: m.body.timestamp } } as MessageOf<C & typeof baseClient>);
    if (this.ackWindow > 0 && --this.ackCount === 0) {
      this.ackCount = this.ackWindow;
      if (this.ack) this.send({ name: 'ack', body: {} } as MessageOf<C & typeof baseClient>);
    }
  }

  private fail(why: string): void {
    this.error = why;
    this.socket.destroy();
  }
}
