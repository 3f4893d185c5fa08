import type { MessagePort } from 'node:worker_threads';
import { BehaviorSubject, Observable, Subject } from './streams.js';
import { pack, unpack } from './envelope.js';
import { mergeInto, type MergeRules, type Queued } from './merge-rules.js';
import type { LinkTypes, Msg, OfKind } from './message.js';

/**
 * One end of a credit-flow-controlled, msgpack-framed link between two actors over a
 * MessagePort. Each end grants its peer `window` credits when a port is attached (so the
 * receiver decides how much it will hold); each message costs one, and the receiver grants
 * them back in batches once it has consumed what it got. Without credit a message waits
 * in a bounded outbox where the per-kind merge rules coalesce it; when that is full too, `send`
 * waits and `offer` refuses. So a stalled consumer bounds its producer's memory to
 * `window + maxQueue` messages.
 *
 * The port can be swapped (`attach`) when the peer restarts; the outbox survives the gap.
 */

export interface LinkOptions<M extends Msg = Msg> {
  /** Names the link in errors. */
  readonly name?: string;
  /** Messages this end accepts in flight before it has consumed them. */
  readonly window?: number;
  /** Messages that may wait for credit before `send` waits and `offer` refuses. */
  readonly maxQueue?: number;
  readonly rules?: MergeRules<M>;
  /** Start with delivery held (see `pause`), e.g. until the actor has subscribed. */
  readonly paused?: boolean;
}

export type LinkState = 'up' | 'down' | 'closed';

export class LinkDownError extends Error {
  constructor(link: string, why: string) {
    super(`link ${link}: ${why}`);
    this.name = 'LinkDownError';
  }
}

/** The remote handler of a request failed; its message comes back as this error's. */
export class RemoteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RemoteError';
  }
}

const enum F {
  Tell = 0,
  Ask = 1,
  Reply = 2,
  Fail = 3,
  Credit = 4,
}
type Frame = [F.Tell, Msg] | [F.Ask, number, Msg] | [F.Reply, number, unknown] | [F.Fail, number, string] | [F.Credit, number];

type Outgoing<M extends Msg> = Queued<M> & { readonly ask?: number };
type Incoming = [F.Tell, Msg] | [F.Ask, number, Msg];

type Handlers<L extends LinkTypes> = {
  [K in keyof L['answers'] & L['recv']['kind']]: (msg: OfKind<L['recv'], K>) => L['answers'][K] | Promise<L['answers'][K]>;
};
type AskableKinds<L extends LinkTypes> = keyof L['asks'] & L['send']['kind'];

export class Link<L extends LinkTypes> {
  readonly name: string;
  private window = 64;
  private maxQueue = 256;
  private grantBatch = 16;
  private rules: MergeRules<L['send']> = {};

  private port: MessagePort | null = null;
  private credits = 0;
  private toGrant = 0;
  private readonly outbox: Outgoing<L['send']>[] = [];
  private readonly roomWaiters: Array<() => void> = [];
  private readonly creditWaiters: Array<() => void> = [];
  private nextAsk = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private paused: boolean;
  private readonly held: Incoming[] = [];
  private handlers: Partial<Record<string, (msg: Msg) => unknown>> = {};
  private readonly inbox = new Subject<L['recv']>();
  private readonly stateSubject = new BehaviorSubject<LinkState>('down');

  /** Messages told to this end, in order. */
  readonly messages$: Observable<L['recv']> = this.inbox.asObservable();
  readonly state$: Observable<LinkState> = this.stateSubject.asObservable();
  /** Messages dropped from the outbox by merge rules, for metrics. */
  merged = 0;

  constructor(port: MessagePort | null, options: LinkOptions<L['send']> = {}) {
    this.name = options.name ?? 'link';
    this.paused = options.paused ?? false;
    this.configure(options);
    if (port) this.attach(port);
  }

  /**
   * Sets flow control; a peer link can exist (and queue) before whoever connects it says how
   * it should flow. A new window takes effect at the next `attach`.
   */
  configure(options: Pick<LinkOptions<L['send']>, 'window' | 'maxQueue' | 'rules'>): void {
    const window = options.window ?? this.window;
    const maxQueue = options.maxQueue ?? this.maxQueue;
    if (!(Number.isInteger(window) && window >= 1 && Number.isInteger(maxQueue) && maxQueue >= 1)) {
      throw new RangeError(`link ${this.name}: window and maxQueue must be integers >= 1`);
    }
    this.window = window;
    this.maxQueue = maxQueue;
    this.grantBatch = Math.max(1, Math.floor(window / 4));
    this.rules = options.rules ?? this.rules;
  }

  get state(): LinkState {
    return this.stateSubject.value;
  }
  /** Messages waiting for credit. */
  get queued(): number {
    return this.outbox.length;
  }
  get availableCredits(): number {
    return this.credits;
  }

  /** Sends `msg`, waiting while the outbox is full. */
  send(msg: L['send']): Promise<void> {
    if (this.state === 'closed') return Promise.reject(new LinkDownError(this.name, 'closed'));
    if (this.enqueue({ msg })) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const retry = (): void => {
        if (this.state === 'closed') reject(new LinkDownError(this.name, 'closed'));
        else if (this.enqueue({ msg })) resolve();
        else this.roomWaiters.unshift(retry);
      };
      this.roomWaiters.push(retry);
    });
  }

  /**
   * Resolves once a message sent now would go straight to the peer (it has credit and nothing
   * waits before it), or the link is closed: for a producer that would rather keep its work
   * where it can still change than queue it here.
   */
  credited(): Promise<void> {
    if (this.state === 'closed' || (this.port && this.credits > this.outbox.length)) return Promise.resolve();
    return new Promise((resolve) => this.creditWaiters.push(resolve));
  }

  /** Sends `msg` if it fits now; false when the outbox is full (nothing was queued). */
  offer(msg: L['send']): boolean {
    if (this.state === 'closed') return false;
    return this.enqueue({ msg });
  }

  /** Sends a request and resolves with the peer's reply. */
  ask<K extends AskableKinds<L>>(msg: OfKind<L['send'], K>): Promise<L['asks'][K]> {
    if (this.state === 'closed') return Promise.reject(new LinkDownError(this.name, 'closed'));
    const id = this.nextAsk++;
    const reply = new Promise<L['asks'][K]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    });
    const entry: Outgoing<L['send']> = { msg, pinned: true, ask: id };
    if (!this.enqueue(entry)) {
      const retry = (): void => {
        if (this.state === 'closed') return;
        if (!this.enqueue(entry)) this.roomWaiters.unshift(retry);
      };
      this.roomWaiters.push(retry);
    }
    return reply;
  }

  /** Answers requests by kind; a thrown error or rejection goes back to the asker. */
  serve(handlers: Handlers<L>): void {
    this.handlers = handlers as unknown as Record<string, (msg: Msg) => unknown>;
  }

  /**
   * Holds delivery (and so credit) until `resume`: back-pressure for an asynchronous consumer.
   * Paused while taking a message, the consumer holds that message's credit too.
   */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    while (!this.paused && this.held.length > 0) this.deliver(this.held.shift()!);
    if (!this.paused) this.grant();
  }

  /** Connects this end to a (new) port; credit starts afresh and the outbox drains into it. */
  attach(port: MessagePort): void {
    if (this.state === 'closed') throw new LinkDownError(this.name, 'closed');
    this.release('peer replaced');
    this.port = port;
    this.credits = 0;
    this.toGrant = 0;
    port.on('message', (wire: unknown) => this.onFrame(unpack(wire) as Frame));
    this.post([F.Credit, this.window]);
    this.stateSubject.next('up');
  }

  /** The peer went away: outstanding requests fail, queued messages wait for the next port. */
  detach(why = 'peer down'): void {
    this.release(why);
    if (this.state === 'up') this.stateSubject.next('down');
  }

  close(): void {
    if (this.state === 'closed') return;
    this.outbox.length = 0;
    this.release('closed');
    this.stateSubject.next('closed');
    this.stateSubject.complete();
    for (const wake of this.roomWaiters.splice(0)) wake();
    for (const wake of this.creditWaiters.splice(0)) wake();
    this.inbox.complete();
  }

  private release(why: string): void {
    if (this.port) {
      this.port.removeAllListeners('message');
      this.port.close();
      this.port = null;
    }
    for (const [id, p] of this.pending) {
      // Requests still in the outbox are re-sent to the next peer; only those in flight are lost.
      if (!this.outbox.some((o) => o.ask === id)) {
        this.pending.delete(id);
        p.reject(new LinkDownError(this.name, why));
      }
    }
  }

  private enqueue(entry: Outgoing<L['send']>): boolean {
    if (!entry.pinned) this.merged += mergeInto(this.outbox, entry.msg, this.rules);
    if (this.outbox.length >= this.maxQueue) return false;
    this.outbox.push(entry);
    this.flush();
    return true;
  }

  private flush(): void {
    while (this.port && this.credits > 0 && this.outbox.length > 0) {
      const { msg, ask } = this.outbox.shift()!;
      this.credits--;
      this.post(ask === undefined ? [F.Tell, msg] : [F.Ask, ask, msg]);
    }
    while (this.outbox.length < this.maxQueue && this.roomWaiters.length > 0) this.roomWaiters.shift()!();
  }

  private post(frame: Frame): void {
    const { wire, transfer } = pack(frame);
    this.port!.postMessage(wire, transfer);
  }

  private onFrame(frame: Frame): void {
    switch (frame[0]) {
      case F.Tell:
      case F.Ask:
        if (this.paused) this.held.push(frame);
        else this.deliver(frame);
        return;
      case F.Reply:
      case F.Fail: {
        const p = this.pending.get(frame[1]);
        if (!p) return;
        this.pending.delete(frame[1]);
        if (frame[0] === F.Reply) p.resolve(frame[2]);
        else p.reject(new RemoteError(frame[2]));
        return;
      }
      case F.Credit:
        this.credits += frame[1];
        this.flush();
        if (this.credits > 0) for (const wake of this.creditWaiters.splice(0)) wake();
        return;
    }
  }

  private deliver(frame: Incoming): void {
    if (frame[0] === F.Tell) {
      this.inbox.next(frame[1] as L['recv']);
      this.consumed();
      return;
    }
    const [, id, msg] = frame;
    const port = this.port;
    const answer = (f: Frame): void => {
      // A reply to a peer that has since been replaced has no one to go to.
      if (this.port === port && port) this.post(f);
      this.consumed();
    };
    const handler = this.handlers[msg.kind];
    if (!handler) {
      answer([F.Fail, id, `no handler for request ${msg.kind}`]);
      return;
    }
    const fail = (err: unknown): void => answer([F.Fail, id, err instanceof Error ? err.message : String(err)]);
    let result: unknown;
    try {
      result = handler(msg);
    } catch (err) {
      fail(err);
      return;
    }
    // Synchronous answers go back at once; only a promise costs the microtask hops.
    if (result instanceof Promise) result.then((reply) => answer([F.Reply, id, reply]), fail);
    else answer([F.Reply, id, result]);
  }

  private consumed(): void {
    this.toGrant++;
    if (!this.paused) this.grant();
  }

  private grant(): void {
    if (this.toGrant < this.grantBatch || !this.port) return;
    this.post([F.Credit, this.toGrant]);
    this.toGrant = 0;
  }
}
