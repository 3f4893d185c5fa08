import type { MessagePort } from 'node:worker_threads';
import { BehaviorSubject, type Observable, Subject } from './streams.js';
import { pack, type Shared, shared, unpack } from './envelope.js';
import { mergeInto, type MergeRules, type Queued, type RuleTable } from './merge-rules.js';
import type { LinkTypes, Msg, OfKind } from './message.js';

/**
 * One end of a credit-flow-controlled, msgpack-framed link between two actors over a
 * MessagePort. Each end grants its peer `window` credits when a port is attached (so the
 * receiver decides how much it will hold); each message costs one, and the receiver grants
 * it back once it has consumed it. Credit given back goes through shared memory (a counter the
 * granting end made and sent with its first grant), not as a message: a woken Node thread costs
 * some 0.3-0.5 ms of CPU, so a sender that still has credit is not woken for more, and a steady
 * trickle costs one wake-up per message, not two; the messages of one turn go in one frame
 * batch (`sendBatches`). Only a sender that waits for credit (its outbox not empty, or
 * `credited()` pending) raises a flag there, and the grant that sees it posts a frame to wake
 * it. Without credit a message waits in a bounded outbox where the per-kind merge rules
 * (merge-rules.ts, declared with the port) coalesce it; when that is full too, `offer` refuses
 * and `send` waits, in order, among at most `maxWaiting` sends (merged by the same rules), past
 * which it is refused with `LinkFullError`.
 * So a stalled consumer bounds its producer's memory to `window + maxQueue + maxWaiting`
 * messages; a producer fed from elsewhere that cannot await each send holds back its own source
 * while `waiting` is not 0 (the inputs channel stops reading its clients).
 *
 * The port can be swapped (`attach`) when the peer restarts; the outbox survives the gap.
 */

/** A link's flow control, the same at both ends. */
export interface FlowOptions {
  /** Messages this end accepts in flight before it has consumed them. */
  readonly window?: number;
  /** Messages that may wait for credit before `send` waits and `offer` refuses. */
  readonly maxQueue?: number;
  /** Sends that may wait for room in the outbox before `send` refuses (default `maxQueue`). */
  readonly maxWaiting?: number;
}

export interface LinkOptions<M extends Msg = Msg> extends FlowOptions {
  /** Names the link in errors. */
  readonly name?: string;
  /** What may merge while it waits to be sent. */
  readonly rules?: MergeRules<M> | RuleTable;
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

/** A send past the link's bound (`maxWaiting` sends already wait for room): nothing was queued. */
export class LinkFullError extends Error {
  constructor(link: string, waiting: number) {
    super(`link ${link}: full, ${waiting} sends already waiting`);
    this.name = 'LinkFullError';
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
/** A credit frame: the first grant (the window) with the granter's cell, or a bare wake-up to read the cell. */
type Frame =
  | [F.Tell, Msg]
  | [F.Ask, number, Msg]
  | [F.Reply, number, unknown]
  | [F.Fail, number, string]
  | [F.Credit, number, Shared<SharedArrayBuffer>?];

/** The cells of a credit counter (an Int32Array on a SharedArrayBuffer made by the granting end). */
const enum Cell {
  /** Credits granted that the sender has not taken yet. */
  Granted = 0,
  /** 1 while the sender waits for credit: the next grant posts a frame to wake it. */
  Waiting = 1,
}

type Outgoing<M extends Msg> = Queued<M> & { readonly ask?: number };
/** A send waiting for room in the outbox; merged away or admitted, it is settled. */
type Waiting<M extends Msg> = Outgoing<M> & { readonly resolve: () => void; readonly reject: (e: Error) => void };
type Incoming = [F.Tell, Msg] | [F.Ask, number, Msg];

type Handlers<L extends LinkTypes> = {
  [K in keyof L['answers'] & L['recv']['kind']]: (msg: OfKind<L['recv'], K>) => L['answers'][K] | Promise<L['answers'][K]>;
};
type AskableKinds<L extends LinkTypes> = keyof L['asks'] & L['send']['kind'];

/** Links with frames posted this turn. */
const dueLinks = new Set<Link<LinkTypes>>();

function due(link: Link<LinkTypes>): void {
  if (dueLinks.size === 0) setImmediate(sendBatches);
  dueLinks.add(link);
}

/**
 * Hands every link's frames of this turn to its port: one postMessage (and one wake-up of the
 * peer) per link per turn, where a frame each cost a structured clone and a wake-up signal
 * (an image pipe sends two or three drawings a turn). At the turn's end, after its promise
 * continuations: the sends of a loop that awaits each one go together. A thread about to exit
 * calls it first.
 */
export function sendBatches(): void {
  for (const link of dueLinks) link.sendBatch();
  dueLinks.clear();
}

export class Link<L extends LinkTypes> {
  readonly name: string;
  private window = 64;
  private maxQueue = 256;
  private maxWaiting: number | undefined;
  private rules: RuleTable = {};

  private port: MessagePort | null = null;
  private credits = 0;
  private toGrant = 0;
  /** Where this end grants credit to its peer (made at each attach). */
  private grantCell: Int32Array | null = null;
  /** Where the peer grants credit to this end (from its first frame). */
  private creditCell: Int32Array | null = null;
  private readonly outbox: Outgoing<L['send']>[] = [];
  private readonly waitingSends: Waiting<L['send']>[] = [];
  private readonly creditWaiters: Array<() => void> = [];
  /** Frames posted this turn, not yet handed to the port. */
  private batch: Frame[] = [];
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
  /** Queued messages that merge rules replaced or summed into a newer one, for metrics. */
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
  configure(options: Pick<LinkOptions<L['send']>, 'window' | 'maxQueue' | 'maxWaiting' | 'rules'>): void {
    const window = options.window ?? this.window;
    const maxQueue = options.maxQueue ?? this.maxQueue;
    const maxWaiting = options.maxWaiting ?? this.maxWaiting;
    if (!(Number.isInteger(window) && window >= 1 && Number.isInteger(maxQueue) && maxQueue >= 1)) {
      throw new RangeError(`link ${this.name}: window and maxQueue must be integers >= 1`);
    }
    if (maxWaiting !== undefined && !(Number.isInteger(maxWaiting) && maxWaiting >= 0))
      throw new RangeError(`link ${this.name}: maxWaiting must be an integer >= 0`);
    this.window = window;
    this.maxQueue = maxQueue;
    this.maxWaiting = maxWaiting;
    this.rules = (options.rules as RuleTable | undefined) ?? this.rules;
  }

  get state(): LinkState {
    return this.stateSubject.value;
  }
  /** Messages waiting for credit. */
  get queued(): number {
    return this.outbox.length;
  }
  get availableCredits(): number {
    return this.takeCredit();
  }
  /** Sends waiting for room in the outbox. */
  get waiting(): number {
    return this.waitingSends.length;
  }

  /**
   * Sends `msg`: resolves once it is in the outbox (or merged there). While the outbox is full
   * it waits, in order, among at most `maxWaiting` sends; past that it is refused with
   * `LinkFullError` and nothing is queued.
   */
  send(msg: L['send']): Promise<void> {
    if (this.state === 'closed') return Promise.reject(new LinkDownError(this.name, 'closed'));
    if (this.waitingSends.length === 0 && this.enqueue({ msg })) return Promise.resolve();
    return new Promise((resolve, reject) => this.wait({ msg, resolve, reject }));
  }

  /**
   * Resolves once a message sent now would go straight to the peer (it has credit and nothing
   * waits before it), or the link is closed: for a producer that would rather keep its work
   * where it can still change than queue it here.
   */
  credited(): Promise<void> {
    if (this.state === 'closed' || this.hasCreditToSpare()) return Promise.resolve();
    this.waitForCredit();
    // The flag raised, credit granted meanwhile is read once more: no grant is missed.
    if (this.hasCreditToSpare()) {
      this.stopWaiting();
      return Promise.resolve();
    }
    return new Promise((resolve) => this.creditWaiters.push(resolve));
  }

  /** Sends `msg` if it fits now; false when the outbox is full or sends wait (nothing was queued). */
  offer(msg: L['send']): boolean {
    if (this.state === 'closed' || this.waitingSends.length > 0) return false;
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
    // The reply settles the request; a refused one fails it at once.
    if (this.waitingSends.length > 0 || !this.enqueue(entry)) this.wait({ ...entry, resolve: () => {}, reject: (e) => this.fail(id, e) });
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
    this.grantCell = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
    port.on('message', (wire: unknown) => {
      for (const frame of unpack(wire) as Frame[]) {
        // A frame that replaced or closed the port ends what came with it, as a closed port would.
        if (this.port !== port) return;
        this.onFrame(frame);
      }
    });
    this.post([F.Credit, this.window, shared(this.grantCell.buffer as SharedArrayBuffer)]);
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
    for (const w of this.waitingSends.splice(0)) w.reject(new LinkDownError(this.name, 'closed'));
    this.release('closed');
    this.stateSubject.next('closed');
    this.stateSubject.complete();
    for (const wake of this.creditWaiters.splice(0)) wake();
    this.inbox.complete();
  }

  private release(why: string): void {
    if (this.port) {
      // What this end posted before goes to the peer it was posted to.
      this.sendBatch();
      this.port.removeAllListeners('message');
      this.port.close();
      this.port = null;
    }
    this.grantCell = null;
    this.creditCell = null;
    for (const id of [...this.pending.keys()]) {
      // Requests still queued are re-sent to the next peer; only those in flight are lost.
      if (!this.outbox.some((o) => o.ask === id) && !this.waitingSends.some((o) => o.ask === id))
        this.fail(id, new LinkDownError(this.name, why));
    }
  }

  private fail(ask: number, err: Error): void {
    this.pending.get(ask)?.reject(err);
    this.pending.delete(ask);
  }

  /** Queues `entry` in the outbox if it merges there or there is room; false when it is full. */
  private enqueue(entry: Outgoing<L['send']>): boolean {
    if (!this.admit(entry)) return false;
    this.flush();
    return true;
  }

  private admit(entry: Outgoing<L['send']>): boolean {
    const merged = entry.pinned ? { msg: entry.msg } : mergeInto(this.outbox, entry.msg, this.rules);
    if (!merged.replaced && this.outbox.length >= this.maxQueue) return false;
    if (merged.replaced) this.merged++;
    this.outbox.push(merged.replaced ? { ...entry, msg: merged.msg } : entry);
    return true;
  }

  /** Queues a send behind those already waiting for room, merged with the last of them when its rule says so. */
  private wait(w: Waiting<L['send']>): void {
    const merged = w.pinned ? { msg: w.msg } : mergeInto(this.waitingSends, w.msg, this.rules);
    if (merged.replaced) {
      this.merged++;
      merged.replaced.resolve();
    } else if (this.waitingSends.length >= (this.maxWaiting ?? this.maxQueue)) {
      w.reject(new LinkFullError(this.name, this.waitingSends.length));
      return;
    }
    this.waitingSends.push(merged.replaced ? { ...w, msg: merged.msg } : w);
  }

  private flush(): void {
    for (;;) {
      while (this.port && this.outbox.length > 0 && (this.credits > 0 || this.takeCredit() > 0)) {
        const { msg, ask } = this.outbox.shift()!;
        this.credits--;
        this.post(ask === undefined ? [F.Tell, msg] : [F.Ask, ask, msg]);
      }
      if (this.port && this.outbox.length > 0) {
        this.waitForCredit();
        // Granted between the last read and the flag: send it now, no wake-up comes for it.
        if (this.takeCredit() > 0) continue;
      }
      if (this.waitingSends.length === 0 || this.outbox.length >= this.maxQueue) return;
      while (this.waitingSends.length > 0 && this.admit(this.waitingSends[0]!)) this.waitingSends.shift()!.resolve();
    }
  }

  /** The credits this end holds, with what the peer granted through the cell since the last read. */
  private takeCredit(): number {
    if (this.creditCell) this.credits += Atomics.exchange(this.creditCell, Cell.Granted, 0);
    return this.credits;
  }

  private hasCreditToSpare(): boolean {
    return this.port !== null && this.takeCredit() > this.outbox.length + this.waitingSends.length;
  }

  /** Asks the peer's next grant for a wake-up frame (before its first frame, that frame is the wake-up). */
  private waitForCredit(): void {
    if (this.creditCell) Atomics.store(this.creditCell, Cell.Waiting, 1);
  }

  /** Lowers the flag raised by `credited()` that found credit after all (else the next grant would wake this end for nothing). */
  private stopWaiting(): void {
    if (this.creditCell && this.outbox.length === 0 && this.creditWaiters.length === 0) Atomics.store(this.creditCell, Cell.Waiting, 0);
  }

  /** Queues `frame` for the port; the frames of one turn go together at its end (see `sendBatches`). */
  private post(frame: Frame): void {
    if (this.batch.length === 0) due(this as unknown as Link<LinkTypes>);
    this.batch.push(frame);
  }

  /** Posts the frames queued this turn, as one message. */
  sendBatch(): void {
    if (this.batch.length === 0 || !this.port) return;
    const { wire, transfer } = pack(this.batch);
    this.batch = [];
    this.port.postMessage(wire, transfer);
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
        if (frame[2]) this.creditCell = new Int32Array(frame[2].value);
        this.flush();
        if (this.creditWaiters.length === 0) return;
        if (this.takeCredit() === 0) {
          this.waitForCredit();
          // Granted between the read and the flag: no wake-up comes for it, so it is read again.
          if (this.takeCredit() === 0) return;
        }
        for (const wake of this.creditWaiters.splice(0)) wake();
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
    const cell = this.grantCell;
    if (this.toGrant === 0 || !cell || !this.port) return;
    Atomics.add(cell, Cell.Granted, this.toGrant);
    this.toGrant = 0;
    // Added before the flag is read, as the sender raises the flag before it reads the count: one of the two sees the other.
    if (Atomics.exchange(cell, Cell.Waiting, 0) === 1) this.post([F.Credit, 0]);
  }
}
