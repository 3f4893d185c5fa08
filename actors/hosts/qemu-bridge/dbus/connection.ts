/**
 * One D-Bus connection over a unix socket: the SASL exchange (as client, or as server for a
 * peer we handed a socket), then messages both ways. In bus mode it says Hello and gets a unique
 * name, and signal subscriptions become AddMatch rules; peer-to-peer (QEMU's listener links,
 * `-display dbus,p2p=yes`) skips both.
 *
 * - Method calls return Promises that settle with the reply, reject with a DBusError for an
 *   error reply, NoReply on timeout, Disconnected when the link goes.
 * - Exported objects (exported.ts) answer incoming calls, in the same turn when their handlers
 *   are synchronous: QEMU blocks its main loop on some of them.
 * - fds: an `h` value sent is an fd we keep owning (it must stay open until the message is out;
 *   a reply to it implies that). fds received belong to whoever handles the message: a reply's
 *   to the caller, a call's to the method handler; those of signals and of messages nobody
 *   takes are closed after dispatch.
 * - Malformed input closes the connection (a stream cannot resync), with the reason.
 */
import { randomBytes } from 'node:crypto';
import { close as closeFd, type Fd } from '../../../../native/index.js';
import { parseAddress } from '../../../../codecs/dbus/address.js';
import { Bus, BUS_NAME, BUS_PATH, matchRuleText, type MatchRule } from './bus.js';
import { DBusError, Errors } from './errors.js';
import { ObjectRegistry, type ExportedInterface } from './exported.js';
import {
  encodeMessage,
  Flags,
  type Message,
  type MethodCall,
  type MethodReturn,
  type Outgoing,
  type Signal,
} from '../../../../codecs/dbus/message.js';
import { MessageReader, type Delivered, type Placer } from '../../../../codecs/dbus/message-reader.js';
import type { ObjectPath } from '../../../../codecs/dbus/names.js';
import { LineSplitter, SaslClient, SaslServer, type AuthStep } from './sasl.js';
import { bodyAs, type MethodSpec, type SignalSpec } from '../../../../codecs/dbus/spec.js';
import { UnixTransport, type ByteSink } from './transport.js';
import type { Value } from '../../../../codecs/dbus/types.js';

export interface ConnectionOptions {
  /** Say Hello (a message bus) or not (a peer). */
  readonly bus: boolean;
  /** Our side of the SASL exchange; QEMU is always the server, so 'client' unless we made the socket for a peer. */
  readonly role?: 'client' | 'server';
  /** Default timeout of method calls (GDBus and libdbus use 25 s). */
  readonly callTimeoutMs?: number;
  /** How long the SASL exchange and Hello may take. */
  readonly openTimeoutMs?: number;
  /** Where the byte array that ends a large incoming message may be read straight to (MessageReader). */
  readonly place?: Placer;
}

export interface CallOptions {
  readonly timeoutMs?: number;
  /** Send with NO_REPLY_EXPECTED: the promise settles once the message is queued. */
  readonly noReply?: boolean;
}

/** Where a method lives: destination (on a bus) and object path. */
export interface Target {
  readonly destination?: string;
  readonly path: ObjectPath;
}

interface Pending {
  readonly resolve: (m: MethodReturn) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
}

interface Subscription {
  readonly rule: MatchRule;
  readonly handler: (signal: Signal) => void;
}

const AUTH_SCRATCH = 4096;

export class DBusConnection implements ByteSink {
  private phase: 'auth' | 'open' | 'closed' = 'auth';
  private readonly splitter = new LineSplitter();
  private readonly scratch = new Uint8Array(AUTH_SCRATCH);
  private readonly sasl: SaslClient | SaslServer;
  private readonly reader: MessageReader;
  private readonly registry = new ObjectRegistry();
  private readonly pending = new Map<number, Pending>();
  private readonly subscriptions = new Set<Subscription>();
  private serial = 0;
  private sawNul = false;
  private unixFdsAgreed = false;
  private name: string | undefined;
  private closeReason: Error | undefined;
  private authDone!: (ok: Error | undefined) => void;
  private readonly closedHandlers: ((reason: Error | undefined) => void)[] = [];
  private readonly callTimeoutMs: number;

  /** Settles once the connection can carry messages (after Hello on a bus); rejects if it cannot. */
  readonly ready: Promise<void>;

  /** Starts the SASL exchange over `transport` at once; export objects any time, call after `ready`. */
  constructor(
    private readonly transport: UnixTransport,
    private readonly options: ConnectionOptions,
  ) {
    this.callTimeoutMs = options.callTimeoutMs ?? 25_000;
    this.reader = new MessageReader((m) => this.dispatch(m), options.place);
    const uid = process.getuid?.() ?? 0;
    this.sasl = options.role === 'server' ? new SaslServer(randomBytes(16).toString('hex'), uid, true) : new SaslClient(uid, true);
    const authenticated = new Promise<void>((resolve, reject) => {
      this.authDone = (e) => (e ? reject(e) : resolve());
    });
    this.ready = this.open(authenticated);
    this.ready.catch(() => {}); // a failure is also the close reason; not every caller awaits ready
    transport.start(this);
    if (this.sasl instanceof SaslClient) transport.write(Buffer.from(this.sasl.first(), 'ascii'));
  }

  /** Connects to a D-Bus address (`unix:path=...`) and waits until ready. */
  static async connect(address: string, options: ConnectionOptions = { bus: true }): Promise<DBusConnection> {
    const parsed = parseAddress(address);
    if (!parsed.ok) throw new Error(parsed.error);
    let lastError: unknown;
    for (const { socketPath } of parsed.value) {
      let transport: UnixTransport;
      try {
        transport = await UnixTransport.connect(socketPath);
      } catch (e) {
        lastError = e;
        continue;
      }
      const connection = new DBusConnection(transport, options);
      await connection.ready;
      return connection;
    }
    throw lastError instanceof Error ? lastError : new Error(`cannot connect to ${address}`);
  }

  /** Our unique name on the bus (after `ready`); undefined on a peer link. */
  get uniqueName(): string | undefined {
    return this.name;
  }

  /** Whether fds may travel on this link (both sides agreed NEGOTIATE_UNIX_FD). */
  get unixFds(): boolean {
    return this.unixFdsAgreed;
  }

  get closed(): boolean {
    return this.phase === 'closed';
  }

  /** Calls `handler` once, when the connection closes, with the reason (undefined: closed here or by the peer cleanly). */
  onClose(handler: (reason: Error | undefined) => void): void {
    if (this.phase === 'closed') handler(this.closeReason);
    else this.closedHandlers.push(handler);
  }

  private async open(authenticated: Promise<void>): Promise<void> {
    const timeoutMs = this.options.openTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`D-Bus: not open after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([authenticated, timeout]);
      if (this.options.bus)
        [this.name] = await Promise.race([this.call({ destination: BUS_NAME, path: BUS_PATH }, Bus.hello, []), timeout]);
    } catch (e) {
      this.close(e as Error);
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Bytes in (ByteSink)

  space(): Uint8Array {
    return this.phase === 'open' ? this.reader.space() : this.scratch;
  }

  filled(n: number, fds: readonly Fd[]): void {
    if (this.phase === 'open') {
      const read = this.reader.filled(n, fds);
      if (!read.ok) this.close(new Error(read.error));
      return;
    }
    fds.forEach(closeFd); // nothing may carry fds before BEGIN
    if (this.phase === 'closed') return;
    if (!this.splitter.add(this.scratch.subarray(0, n))) return this.close(new Error('D-Bus auth: line too long'));
    this.authLines();
  }

  ended(error?: Error): void {
    if (this.phase === 'auth') error = new Error(`D-Bus: the peer closed during authentication${error ? ` (${error.message})` : ''}`);
    this.close(error);
  }

  private authLines(): void {
    if (this.sasl instanceof SaslServer && !this.sawNul) {
      const nul = this.splitter.skipNul();
      if (nul === undefined) return;
      if (!nul) return this.close(new Error('D-Bus auth: the client did not start with a NUL byte'));
      this.sawNul = true;
    }
    for (let line = this.splitter.next(); line !== undefined && this.phase === 'auth'; line = this.splitter.next()) {
      if (line instanceof Error) return this.close(line);
      this.authStep(this.sasl.line(line));
    }
  }

  private authStep(step: AuthStep): void {
    const send = (line: string) => this.transport.write(Buffer.from(line + '\r\n', 'ascii'));
    switch (step.kind) {
      case 'send':
        return send(step.line);
      case 'failed':
        return this.close(new Error(step.error));
      case 'done': {
        if (step.send) send(step.send);
        this.unixFdsAgreed = step.unixFds;
        this.phase = 'open';
        this.authDone(undefined);
        const rest = this.splitter.rest();
        if (rest.length) {
          const read = this.reader.push(rest);
          if (!read.ok) this.close(new Error(read.error));
        }
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Messages out

  /** Sends a message; returns its serial. Throws a TypeError if it does not fit its types. */
  send(message: Outgoing): number {
    if (this.phase !== 'open') throw new DBusError(Errors.Disconnected, 'D-Bus connection not open');
    this.serial = this.serial >= 0xffffffff ? 1 : this.serial + 1;
    const encoded = encodeMessage(message, this.serial);
    if (encoded.fds.length > 0 && !this.unixFdsAgreed) throw new TypeError('D-Bus: this link does not carry fds');
    this.transport.write(encoded.bytes, encoded.fds);
    return this.serial;
  }

  /** Calls a described method; settles with its typed results. */
  async call<I extends readonly Value[], O extends readonly Value[]>(
    target: Target,
    spec: MethodSpec<I, O>,
    values: I,
    options: CallOptions = {},
  ): Promise<O> {
    const reply = await this.callMessage(
      {
        type: 'method_call',
        flags: options.noReply ? Flags.NO_REPLY_EXPECTED : 0,
        path: target.path,
        interface: spec.interface,
        member: spec.member,
        ...(target.destination !== undefined && { destination: target.destination }),
        signature: spec.in.signature,
        body: values,
      },
      options,
    );
    if (!reply) return [] as unknown as O;
    const body = bodyAs(reply, spec.out);
    if (!body.ok) {
      reply.fds.forEach(closeFd);
      throw new DBusError(Errors.InconsistentMessage, `${spec.member} replied with ${body.error}`);
    }
    return body.value;
  }

  /** Sends a method call as given; settles with the reply message (undefined with noReply). */
  callMessage(call: Extract<Outgoing, { type: 'method_call' }>, options: CallOptions = {}): Promise<MethodReturn | undefined> {
    return new Promise((resolve, reject) => {
      const flags = call.flags | (options.noReply ? Flags.NO_REPLY_EXPECTED : 0);
      let serial: number;
      try {
        serial = this.send({ ...call, flags });
      } catch (e) {
        return reject(e);
      }
      if (flags & Flags.NO_REPLY_EXPECTED) return resolve(undefined);
      const timeoutMs = options.timeoutMs ?? this.callTimeoutMs;
      const timer = setTimeout(() => {
        this.pending.delete(serial);
        reject(new DBusError(Errors.NoReply, `${call.member}: no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(serial, { resolve, reject, timer });
    });
  }

  /** Emits a described signal from `path`. */
  emit<V extends readonly Value[]>(path: ObjectPath, spec: SignalSpec<V>, values: V, destination?: string): void {
    this.send({
      type: 'signal',
      flags: 0,
      path,
      interface: spec.interface,
      member: spec.member,
      ...(destination !== undefined && { destination }),
      signature: spec.args.signature,
      body: values,
    });
  }

  // -------------------------------------------------------------------------------------------
  // Objects we serve, signals we receive

  /** Serves `interfaces` at `path`; returns the function that withdraws them. */
  export(path: ObjectPath, interfaces: readonly ExportedInterface[]): () => void {
    return this.registry.export(path, interfaces);
  }

  /**
   * Calls `handler` for each signal matching `rule` (on a bus, after AddMatch has been answered).
   * Resolves with the function that ends the subscription.
   */
  async subscribe(rule: MatchRule, handler: (signal: Signal) => void): Promise<() => Promise<void>> {
    const subscription: Subscription = { rule, handler };
    if (this.options.bus) await this.call({ destination: BUS_NAME, path: BUS_PATH }, Bus.addMatch, [matchRuleText(rule)]);
    this.subscriptions.add(subscription);
    return async () => {
      if (!this.subscriptions.delete(subscription) || !this.options.bus || this.phase !== 'open') return;
      await this.call({ destination: BUS_NAME, path: BUS_PATH }, Bus.removeMatch, [matchRuleText(rule)]);
    };
  }

  /** A subscription to a described signal: `handler` gets its typed arguments; other bodies are dropped. */
  subscribeTo<V extends readonly Value[]>(
    rule: Omit<MatchRule, 'interface' | 'member'>,
    spec: SignalSpec<V>,
    handler: (values: V, signal: Signal) => void,
  ): Promise<() => Promise<void>> {
    return this.subscribe({ ...rule, interface: spec.interface, member: spec.member }, (signal) => {
      const body = bodyAs(signal, spec.args);
      if (body.ok) handler(body.value, signal);
    });
  }

  // -------------------------------------------------------------------------------------------
  // Messages in

  /** Hands a message on; true when nothing holds its bytes any more (the reader may reuse them). */
  private dispatch(m: Delivered): boolean {
    switch (m.type) {
      case 'method_return':
      case 'error':
        this.settle(m);
        return false;
      case 'signal':
        for (const s of this.subscriptions) {
          if (!matches(s.rule, m)) continue;
          try {
            s.handler(m);
          } catch (e) {
            // A subscriber's bug must not cut the stream mid-chunk: it surfaces as uncaught, later.
            queueMicrotask(() => {
              throw e;
            });
          }
        }
        m.fds.forEach(closeFd);
        return false;
      case 'method_call':
        return this.answer(m);
      case 'unknown':
        m.fds.forEach(closeFd);
        return false;
    }
  }

  private settle(m: Extract<Message, { type: 'method_return' | 'error' }>): void {
    const pending = this.pending.get(m.replySerial);
    if (!pending) {
      m.fds.forEach(closeFd);
      return;
    }
    this.pending.delete(m.replySerial);
    clearTimeout(pending.timer);
    if (m.type === 'method_return') return pending.resolve(m);
    m.fds.forEach(closeFd);
    const text = m.signature.startsWith('s') ? (m.body[0] as string) : '';
    pending.reject(new DBusError(m.errorName, text));
  }

  /** Runs the call's handler; true when it only borrowed the call's bytes and is done. */
  private answer(call: MethodCall): boolean {
    const wantsReply = !(call.flags & Flags.NO_REPLY_EXPECTED);
    const method = this.registry.lookup(call);
    const replyError = (e: unknown) => {
      if (!wantsReply || this.phase !== 'open') return;
      const error = e instanceof DBusError ? e : new DBusError(Errors.Failed, e instanceof Error ? e.message : String(e));
      const text = error.message.replace(/\0/g, ' '); // a D-Bus string holds no NUL
      this.send({
        type: 'error',
        flags: 0,
        replySerial: call.serial,
        errorName: error.errorName,
        ...to(call),
        signature: 's',
        body: [text],
      });
    };
    if (method instanceof DBusError) {
      call.fds.forEach(closeFd); // the call reached no handler: its fds are nobody's
      replyError(method);
      return false;
    }
    const reply = (body: readonly Value[]) => {
      if (!wantsReply || this.phase !== 'open') return;
      try {
        this.send({ type: 'method_return', flags: 0, replySerial: call.serial, ...to(call), signature: method.out.signature, body });
      } catch (e) {
        replyError(e); // the handler's values did not fit its signature
      }
    };
    let result: readonly Value[] | Promise<readonly Value[]>;
    try {
      result = method.handle(call.body, call);
    } catch (e) {
      replyError(e);
      return false;
    }
    if (result instanceof Promise) {
      result.then(reply, replyError);
      return false;
    }
    reply(result);
    return method.borrowsArgs === true;
  }

  // -------------------------------------------------------------------------------------------

  /** Closes the link: pending calls reject with Disconnected, unclaimed fds are closed. */
  close(reason?: Error): void {
    if (this.phase === 'closed') return;
    const wasAuth = this.phase === 'auth';
    this.phase = 'closed';
    this.closeReason = reason;
    if (wasAuth) this.authDone(reason ?? new Error('D-Bus: closed during authentication'));
    this.transport.close();
    this.reader.takeStrayFds().forEach(closeFd);
    const gone = new DBusError(Errors.Disconnected, reason ? `D-Bus connection closed: ${reason.message}` : 'D-Bus connection closed');
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(gone);
    }
    this.pending.clear();
    this.subscriptions.clear();
    for (const h of this.closedHandlers.splice(0)) h(reason);
  }
}

const to = (call: MethodCall) => (call.sender !== undefined ? { destination: call.sender } : {});

function matches(rule: MatchRule, s: Signal): boolean {
  if (rule.sender?.startsWith(':') && s.sender !== rule.sender) return false;
  return (
    (rule.path === undefined || s.path === rule.path) &&
    (rule.interface === undefined || s.interface === rule.interface) &&
    (rule.member === undefined || s.member === rule.member)
  );
}
