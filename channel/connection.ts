import type { Duplex } from 'node:stream';
import { CommonCap, hasCap } from '../codecs/protocol/enums.js';
import { headerSize, MessageReader, writeHeader, type HeaderKind, type RawMessage } from '../codecs/protocol/framing.js';
import { decodeMessage, encodeMessage, type ChannelProtocol, type Defs, type MessageOf } from '../codecs/protocol/table.js';
import type { baseClient, baseServer } from '../codecs/protocol/channels/base.js';
import { monotonicClock, processClock, type Clock } from '../runtime/clock.js';
import type { Logger } from '../runtime/log.js';
import { mergeInto, type MergeRules, type RuleTable } from '../runtime/merge-rules.js';
import { TokenBucket } from '../runtime/qos/token-bucket.js';
import { SharedBudget } from '../runtime/qos/shared-budget.js';
import type { ChannelQos, LinkedChannel } from '../actors/contracts.js';
import { channelMeter, type ChannelMeter } from './meter.js';

type BaseServer = typeof baseServer;
type BaseClient = typeof baseClient;

export interface ConnectionOptions<S extends Defs = Defs> {
  readonly log: Logger;
  /** What may merge while it waits for the socket, by message name (a cursor position: the latest). */
  readonly rules?: MergeRules<{ kind: keyof S & string }>;
  /** Largest client message body accepted (spice-server's receive buffer for the channel). */
  readonly maxBody: number;
  /** ACK flow control: the window the client is asked to ack by (SET_ACK goes first). */
  readonly ackWindow?: number;
  /** SET_ACK waits for `startAcks()` (the main channel sends INIT first). */
  readonly ackAfterFirst?: boolean;
  /** Bytes per second this channel may send to its client, its priority and the client link's budget. */
  readonly qos?: ChannelQos;
  /** Queued bytes beyond which the client is too slow and is disconnected. */
  readonly maxPipeBytes?: number;
  /** Period of the latency pings after the first pair; 0: no latency monitor. */
  readonly latencyIntervalMs?: number;
  readonly clock?: Clock;
  /** The channel actor's figures; a private one when not given (tests). */
  readonly meter?: ChannelMeter;
  /**
   * The messages of one turn go to the kernel together at its end, in one writev (a display's
   * batch of drawings). Off, each goes at once: a producer that paces itself on `queuedBytes`
   * (playback sends its next frame once it reads 0) sees the bytes leave as it sends them.
   */
  readonly writesPerTurn?: boolean;
}

interface Queued {
  /** The message's name, which the merge rules go by. */
  readonly msg: { readonly kind: string };
  readonly type: number;
  readonly body: Uint8Array;
  /** Sent ahead of the ACK window (SET_ACK itself, pings); never merged. */
  readonly bypassAcks?: boolean;
  readonly pinned?: boolean;
  /** Told the message's serial once it goes to the socket. */
  readonly onSent?: (serial: bigint) => void;
}

/**
 * Why a connection closed: the client went; its session ended or a new connection of the client
 * replaced it (both ordinary, logged at info); or the server closed it for a fault (a warning).
 */
export type CloseReason =
  | { readonly by: 'client'; readonly why?: string }
  | { readonly by: 'session'; readonly why: string }
  | { readonly by: 'server'; readonly why: string };

/** Socket errors that only say the client went away (a reset, a write after its close): no warning. */
const clientGone = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

/**
 * One linked connection of a channel: SPICE framing both ways (mini or full header), the base
 * messages (ACK window, ping/pong latency, disconnecting), a bounded send pipe paced by the
 * socket, the ACK window and the channel's bandwidth, and closing on bad input with a log line.
 * The channel's own messages go to `onMessage`.
 */
export class ChannelConnection<S extends Defs, C extends Defs> {
  readonly header: HeaderKind;
  private readonly reader: MessageReader;
  private serial = 0n;
  private readonly pipe: Queued[] = [];
  private pipeBytes = 0;
  private writable = true;
  private closed = false;
  private readonly clock: Clock;
  /** Every message in and out is logged at trace level (checked once: the send path is hot). */
  private readonly tracing: boolean;
  private readonly bucket: TokenBucket | null;
  private pacingTimer: NodeJS.Timeout | null = null;
  private readonly budget: SharedBudget | null;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Client messages read but not yet taken: input is held (`pauseInput`), or being taken. */
  private readonly input: RawMessage[] = [];
  private inputHeld = false;
  private taking = false;
  private readonly meter: ChannelMeter;
  /** In an ACK stall now: one is counted when it starts. */
  private stalled = false;

  // ACK flow control (red-channel-client.cpp): stop sending while more than 2x window are unacked.
  private ackGeneration = 0;
  private clientAckGeneration = -1;
  private messagesWindow = 0;

  private readonly pings = new Map<number, { sentAt: number; resolve: (rttMs: number) => void }>();
  /** The last PING's id: a counter is enough to match PONGs (spice-server keeps a counter per channel client too), and no channel actor loads node:crypto for it. */
  private pingId = 0;
  /** Round-trip time of the last latency ping, ms. */
  latencyMs: number | null = null;

  private messageHandler: (msg: MessageOf<C>) => void = () => {};
  private readonly closeHandlers: Array<(reason: CloseReason) => void> = [];
  private readonly drainHandlers: Array<() => void> = [];

  constructor(
    readonly socket: Duplex,
    readonly link: LinkedChannel,
    readonly protocol: ChannelProtocol<S & BaseServer, C & BaseClient>,
    private readonly options: ConnectionOptions<S>,
  ) {
    this.clock = options.clock ?? monotonicClock;
    this.meter = options.meter ?? channelMeter();
    this.meter.connections.value++;
    this.tracing = options.log.isLevelEnabled('trace');
    this.header = hasCap(link.commonCaps, CommonCap.miniHeader) ? 'mini' : 'full';
    this.reader = new MessageReader(this.header, options.maxBody);
    const rate = options.qos?.maxBandwidth ?? Infinity;
    this.bucket = Number.isFinite(rate) ? new TokenBucket(rate, Math.max(64 * 1024, rate / 10), this.clock.now()) : null;
    this.budget = options.qos?.budget ? SharedBudget.of(options.qos.budget) : null;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => {
      this.writable = true;
      this.flush();
    });
    socket.on('end', () => this.close({ by: 'client' }));
    socket.on('close', () => this.close({ by: 'client' }));
    socket.on('error', (err: NodeJS.ErrnoException) =>
      this.close(clientGone.has(err.code ?? '') ? { by: 'client', why: err.message } : { by: 'server', why: `socket: ${err.message}` }),
    );
    if (options.ackWindow !== undefined && !options.ackAfterFirst) this.startAcks();
    if (options.latencyIntervalMs) this.monitorLatency(options.latencyIntervalMs);
  }

  get peer(): string {
    return this.link.peer;
  }
  get isClosed(): boolean {
    return this.closed;
  }
  /** Bytes not yet handed to the kernel (queued here or in the socket's buffer), for producers that throttle themselves. */
  get queuedBytes(): number {
    return this.pipeBytes + this.socket.writableLength;
  }

  /** Feeds the bytes read before this connection took the socket (e.g. by the link stage). */
  feed(bytes: Uint8Array): void {
    if (bytes.length) this.onData(bytes);
  }

  onMessage(handler: (msg: MessageOf<C>) => void): void {
    this.messageHandler = handler;
  }

  onClose(handler: (reason: CloseReason) => void): void {
    this.closeHandlers.push(handler);
  }

  /** Sends SET_ACK: from here on the client acks every `ackWindow` messages. */
  startAcks(): void {
    if (this.options.ackWindow === undefined || this.ackGeneration > 0) return;
    this.ackGeneration = 1;
    this.enqueue(
      { name: 'set_ack', body: { generation: this.ackGeneration, window: this.options.ackWindow } } as MessageOf<S & BaseServer>,
      true,
    );
  }

  /** Queues a message, merged with what waits by the connection's rules. */
  send(msg: MessageOf<S & BaseServer>): void {
    this.enqueue(msg, false);
  }

  /** Queues a message another thread encoded (display drawings encoded beside their images); `onSent` is told its serial once it goes. */
  sendEncoded(type: number, body: Uint8Array, onSent?: (serial: bigint) => void): void {
    this.enqueueEncoded(this.protocol.server.byNumber.get(type)?.name ?? '', type, body, false, onSent);
  }

  /** Runs `handler` whenever everything queued has been handed to the socket. */
  onDrain(handler: () => void): void {
    this.drainHandlers.push(handler);
  }

  /** Sends a PING (timestamp in ns, or µs for the main channel's net test) and resolves with the round trip in ms. */
  ping(payload = 0, unit: 'ns' | 'us' = 'ns'): Promise<number> {
    const id = (this.pingId = (this.pingId % 0x7fffffff) + 1);
    const now = this.clock.now();
    const timestamp = BigInt(Math.round(now * (unit === 'ns' ? 1e6 : 1e3)));
    return new Promise((resolve) => {
      this.pings.set(id, { sentAt: now, resolve });
      this.enqueue({ name: 'ping', body: { id, timestamp, data: new Uint8Array(payload) } } as MessageOf<S & BaseServer>, true);
    });
  }

  /**
   * Stops taking the client's messages, the one being taken excepted, and reading its socket,
   * until `resumeInput`: back-pressure for a consumer that cannot keep up (what is held is at
   * most one read; the rest waits in the socket, and then in the client).
   */
  pauseInput(): void {
    if (this.inputHeld || this.closed) return;
    this.inputHeld = true;
    this.socket.pause();
  }

  resumeInput(): void {
    if (!this.inputHeld) return;
    this.inputHeld = false;
    this.takeInput();
    if (!this.inputHeld && !this.closed) this.socket.resume();
  }

  /** Closes the connection; `why` is logged as the server's reason. */
  close(reason: CloseReason): void {
    if (this.closed) return;
    this.closed = true;
    if (reason.by === 'server')
      this.options.log.warn({ peer: this.peer, channel: this.protocol.name, reason: reason.why }, 'closing connection');
    else if (reason.by === 'session')
      this.options.log.info({ peer: this.peer, channel: this.protocol.name, reason: reason.why }, 'closing connection');
    else
      this.options.log.info(
        { peer: this.peer, channel: this.protocol.name, ...(reason.why !== undefined && { reason: reason.why }) },
        'client disconnected',
      );
    for (const t of this.timers) clearTimeout(t);
    if (this.pacingTimer) clearTimeout(this.pacingTimer);
    this.meter.connections.value--;
    this.meter.queued.value -= this.pipe.length;
    this.pipe.length = 0;
    this.pipeBytes = 0;
    this.input.length = 0;
    this.socket.destroy();
    for (const h of this.closeHandlers) h(reason);
  }

  private enqueue(msg: MessageOf<S & BaseServer>, bypassAcks: boolean): void {
    if (this.closed) return;
    const { type, body } = encodeMessage(this.protocol.server, msg);
    this.enqueueEncoded(msg.name, type, body, bypassAcks);
  }

  private enqueueEncoded(name: string, type: number, body: Uint8Array, bypassAcks: boolean, onSent?: (serial: bigint) => void): void {
    if (this.closed) return;
    const queued: Queued = {
      msg: { kind: name },
      type,
      body,
      ...(bypassAcks ? { bypassAcks, pinned: true } : {}),
      ...(onSent && { onSent }),
    };
    if (this.options.rules) {
      const { replaced } = mergeInto(this.pipe, queued.msg, this.options.rules as RuleTable);
      if (replaced) {
        this.pipeBytes -= replaced.body.length;
        this.meter.queued.value--;
        this.meter.dropped.value++;
      }
    }
    this.pipe.push(queued);
    this.pipeBytes += body.length;
    this.meter.queued.value++;
    const limit = this.options.maxPipeBytes ?? 64 * 1024 * 1024;
    if (this.pipeBytes > limit) {
      this.close({ by: 'server', why: `client too slow: ${this.pipeBytes} bytes queued (limit ${limit})` });
      return;
    }
    this.flush();
  }

  private ackBlocked(): boolean {
    const w = this.options.ackWindow;
    return w !== undefined && this.messagesWindow > 2 * w;
  }

  private flush(): void {
    while (!this.closed && this.writable && this.pipe.length > 0 && !this.pacingTimer) {
      // Messages that bypass the window (SET_ACK, pings) go first when the window is shut.
      const blocked = this.ackBlocked();
      if (!blocked) this.stalled = false;
      else if (!this.stalled) {
        this.stalled = true;
        this.meter.ackStalls.value++;
      }
      const i = blocked ? this.pipe.findIndex((q) => q.bypassAcks) : 0;
      if (i < 0) return;
      const q = this.pipe[i]!;
      const header = new Uint8Array(headerSize(this.header));
      writeHeader(header, 0, this.header, q.type, q.body.length, ++this.serial);
      const size = header.length + q.body.length;
      // This channel's own rate first, then the client link's budget, shared with its other channels by priority.
      const now = this.clock.now();
      let wait = this.bucket ? this.bucket.waitFor(size, now) : 0;
      if (wait === 0 && this.budget) wait = this.budget.take(size, this.options.qos!.priority, processClock.now());
      if (wait > 0) {
        this.serial--;
        this.pacingTimer = setTimeout(() => {
          this.pacingTimer = null;
          this.flush();
        }, Math.ceil(wait));
        return;
      }
      this.bucket?.tryTake(size, now);
      this.pipe.splice(i, 1);
      this.pipeBytes -= q.body.length;
      this.meter.queued.value--;
      this.meter.messagesSent.value++;
      this.meter.bytesSent.value += size;
      if (this.options.ackWindow !== undefined) {
        if (q.type === this.protocol.server.number.set_ack) this.messagesWindow = 0;
        else this.messagesWindow++;
      }
      // The body leaves by reference: corked, the header and the body go to the kernel in one
      // writev, where a frame buffer copied the body (an image's bytes) once more. With
      // `writesPerTurn` each cork is undone at the turn's end, and the last uncork writes every
      // message of the turn in that writev.
      this.socket.cork();
      this.socket.write(header);
      this.writable = this.socket.write(q.body);
      if (this.options.writesPerTurn) process.nextTick(() => this.socket.uncork());
      else this.socket.uncork();
      q.onSent?.(this.serial);
      if (this.tracing)
        this.options.log.trace(
          {
            peer: this.peer,
            channel: this.protocol.name,
            sent: this.protocol.server.byNumber.get(q.type)?.name ?? q.type,
            bytes: size,
          },
          'message sent',
        );
    }
    if (this.pipe.length === 0 && this.writable) for (const h of this.drainHandlers) h();
  }

  private onData(chunk: Uint8Array): void {
    if (this.closed) return;
    this.meter.bytesReceived.value += chunk.length;
    const r = this.reader.push(chunk);
    if (!r.ok) return this.close({ by: 'server', why: r.error });
    for (const raw of r.messages) this.input.push(raw);
    this.takeInput();
  }

  private takeInput(): void {
    // A handler resuming input from inside itself must not take the same messages again.
    if (this.taking) return;
    this.taking = true;
    let taken = 0;
    try {
      while (taken < this.input.length && !this.closed && !this.inputHeld) {
        const raw = this.input[taken++]!;
        const m = decodeMessage(this.protocol.client, raw.type, raw.body);
        if (!m.ok) return this.close({ by: 'server', why: `bad message: ${m.error}` });
        this.meter.messagesReceived.value++;
        if (this.tracing)
          this.options.log.trace({ peer: this.peer, channel: this.protocol.name, received: m.value.name }, 'message received');
        if (!this.handleBase(m.value as MessageOf<BaseClient>)) this.messageHandler(m.value);
      }
    } finally {
      this.input.splice(0, taken);
      this.taking = false;
    }
  }

  /** The base messages every channel handles alike; false for the channel's own. */
  private handleBase(m: MessageOf<BaseClient>): boolean {
    switch (m.name) {
      case 'ack_sync':
        this.clientAckGeneration = m.body.generation;
        return true;
      case 'ack':
        if (this.options.ackWindow !== undefined && this.clientAckGeneration === this.ackGeneration) {
          this.messagesWindow = Math.max(0, this.messagesWindow - this.options.ackWindow);
          this.flush();
        }
        return true;
      case 'pong': {
        const p = this.pings.get(m.body.id);
        if (!p) {
          this.options.log.debug({ peer: this.peer, id: m.body.id }, 'pong for no ping');
          return true;
        }
        this.pings.delete(m.body.id);
        p.resolve(this.clock.now() - p.sentAt);
        return true;
      }
      case 'disconnecting':
        this.options.log.info({ peer: this.peer, channel: this.protocol.name, reason: m.body.reason }, 'client is disconnecting');
        return true;
      case 'migrate_flush_mark':
      case 'migrate_data':
        // No migration yet: a client has no reason to send these; they are harmless.
        return true;
      default:
        return false;
    }
  }

  /** spice-server's latency monitor: a warm-up and a measuring ping after 100 ms, then every `period`. */
  private monitorLatency(period: number): void {
    const measure = async () => {
      if (this.closed) return;
      await this.ping();
      this.latencyMs = await this.ping();
    };
    const schedule = (ms: number) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        void measure().then(() => schedule(period));
      }, ms);
      t.unref();
      this.timers.add(t);
    };
    schedule(100);
  }
}
