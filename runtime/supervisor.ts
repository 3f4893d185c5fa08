import { MessageChannel, Worker, type ResourceLimits } from 'node:worker_threads';
import { type Observable, Subject } from './streams.js';
import { Link, type LinkOptions } from './link.js';
import type { Logger, LogLevel } from './log.js';
import type { Sample } from './meter.js';
import type { Contract, LinkTypes, ParentSide } from './message.js';
import { endOptions, flip, type Port } from './port.js';
import type { HostData, SystemDown, SystemUp } from './system.js';
import { takeSpareThread, threadEntry } from './spare-thread.js';

/**
 * What a supervisor does when an actor's thread dies (it threw, or its worker exited):
 * - `restart`: start it again after a backoff that doubles per recent restart; more than
 *   `maxRestarts` within `withinMs` is a crash loop, which is given up and escalated;
 * - `escalate`: leave it down and report `escalated` for the owner to decide;
 * - `stop`: leave it down.
 */
export interface RestartPolicy {
  readonly strategy: 'restart' | 'escalate' | 'stop';
  readonly maxRestarts: number;
  readonly withinMs: number;
  readonly backoffMs: { readonly initial: number; readonly max: number };
}

export const defaultPolicy: RestartPolicy = {
  strategy: 'restart',
  maxRestarts: 5,
  withinMs: 30_000,
  backoffMs: { initial: 100, max: 5_000 },
};

export interface ActorSpec<C extends Contract> {
  readonly name: string;
  /** The actor module (its default export is an `ActorDefinition`). */
  readonly module: URL;
  readonly init: C['init'];
  readonly policy?: Partial<RestartPolicy>;
  /** Flow control of what the owner sends to the actor. */
  readonly link?: LinkOptions<C['in']>;
  readonly resourceLimits?: ResourceLimits;
}

export type SupervisorEvent =
  | { readonly type: 'started'; readonly actor: string; readonly generation: number; readonly threadId: number }
  | { readonly type: 'crashed'; readonly actor: string; readonly generation: number; readonly error: string }
  | { readonly type: 'restarting'; readonly actor: string; readonly attempt: number; readonly delayMs: number }
  | { readonly type: 'escalated'; readonly actor: string; readonly error: string; readonly crashLoop: boolean }
  | { readonly type: 'stopped'; readonly actor: string };

/** One actor's figures: its meter's, and what its supervisor knows of it. */
export interface ActorMetrics {
  readonly actor: string;
  /** Times it was started again after a crash. */
  readonly restarts: number;
  /** Empty when it is down or did not answer in time. */
  readonly samples: readonly Sample[];
}

/** The owner's handle on a supervised actor; it stays valid across restarts. */
export class ActorRef<C extends Contract> {
  /** Survives restarts: while the actor is down, what is sent waits in its bounded outbox. */
  readonly link: Link<ParentSide<C>>;
  generation = 0;
  worker: Worker | null = null;
  /** Restart times within the policy's window. */
  readonly restarts: number[] = [];
  stopping = false;
  lastError = '';
  timer: NodeJS.Timeout | null = null;

  constructor(
    readonly spec: ActorSpec<C>,
    readonly policy: RestartPolicy,
  ) {
    this.link = new Link(null, { ...spec.link, name: `parent>${spec.name}` });
  }

  get running(): boolean {
    return this.worker !== null;
  }
}

interface Connection {
  readonly a: string;
  readonly b: string;
  /** Each end's options: the link's flow control and the merge rules of what that end sends. */
  readonly aLink: LinkOptions;
  readonly bLink: LinkOptions;
}

export interface SupervisorOptions {
  readonly log: Logger;
  readonly logLevel?: LogLevel;
  /** How long an actor may take to run its stop hooks before its thread is terminated. */
  readonly stopTimeoutMs?: number;
}

export class Supervisor {
  private readonly actors = new Map<string, ActorRef<Contract>>();
  private readonly connections: Connection[] = [];
  private readonly events = new Subject<SupervisorEvent>();
  readonly events$: Observable<SupervisorEvent> = this.events.asObservable();
  private readonly log: Logger;
  private nextMetrics = 1;
  private readonly metricsWaiters = new Map<number, (samples: readonly Sample[]) => void>();

  constructor(private readonly options: SupervisorOptions) {
    this.log = options.log;
  }

  /** The handle of an actor spawned here, by name. */
  ref(name: string): ActorRef<Contract> | undefined {
    return this.actors.get(name);
  }

  spawn<C extends Contract>(spec: ActorSpec<C>): ActorRef<C> {
    if (this.actors.has(spec.name)) throw new Error(`actor ${spec.name} already exists`);
    const ref = new ActorRef<C>(spec, { ...defaultPolicy, ...spec.policy });
    this.actors.set(spec.name, ref as unknown as ActorRef<Contract>);
    this.start(ref as unknown as ActorRef<Contract>);
    return ref;
  }

  /** Connects the two actors of `port` as peers; the link is re-made whenever either restarts. */
  connect<L extends LinkTypes>(port: Port<L>): void {
    const { a, b } = port;
    for (const name of [a, b]) if (!this.actors.has(name)) throw new Error(`no actor ${name}`);
    // The rules are data: they cross to each end's thread with the port.
    const connection: Connection = { a, b, aLink: endOptions(port) as LinkOptions, bLink: endOptions(flip(port)) as LinkOptions };
    this.connections.push(connection);
    this.wire(connection);
  }

  /** Resolves with the next event of `actor` matching `type`. */
  next<T extends SupervisorEvent['type']>(actor: string, type: T): Promise<Extract<SupervisorEvent, { type: T }>> {
    return new Promise((resolve) => {
      const sub = this.events$.subscribe((e) => {
        if (e.actor === actor && e.type === type) {
          sub.unsubscribe();
          resolve(e as Extract<SupervisorEvent, { type: T }>);
        }
      });
    });
  }

  /**
   * Every actor's meter, asked over its thread's control port; an actor busy beyond `timeoutMs`
   * (or down) is reported without samples rather than holding the scrape.
   */
  metrics(timeoutMs = 1_000): Promise<ActorMetrics[]> {
    return Promise.all(
      [...this.actors.values()].map(async (ref) => {
        const restarts = Math.max(0, ref.generation - 1);
        const worker = ref.worker;
        if (!worker) return { actor: ref.spec.name, restarts, samples: [] };
        const id = this.nextMetrics++;
        const samples = await new Promise<readonly Sample[]>((resolve) => {
          const timer = setTimeout(() => done([]), timeoutMs);
          const done = (s: readonly Sample[]) => {
            clearTimeout(timer);
            this.metricsWaiters.delete(id);
            resolve(s);
          };
          this.metricsWaiters.set(id, done);
          worker.postMessage({ sys: 'metrics', id } satisfies SystemDown);
        });
        return { actor: ref.spec.name, restarts, samples };
      }),
    );
  }

  /** Stops every actor, last spawned first, and closes their links. */
  async stop(): Promise<void> {
    for (const ref of [...this.actors.values()].reverse()) await this.stopActor(ref);
    this.events.complete();
  }

  private start(ref: ActorRef<Contract>): void {
    const { port1, port2 } = new MessageChannel();
    const generation = ++ref.generation;
    const data: HostData = {
      module: ref.spec.module.href,
      name: ref.spec.name,
      init: ref.spec.init,
      parent: port2,
      parentLink: { window: ref.spec.link?.window, maxQueue: ref.spec.link?.maxQueue, maxWaiting: ref.spec.link?.maxWaiting },
      logLevel: this.options.logLevel ?? 'info',
    };
    const spare = generation === 1 && !ref.spec.resourceLimits ? takeSpareThread(ref.spec.module) : undefined;
    spare?.postMessage({ sys: 'host', data } satisfies SystemDown, [port2]);
    const worker =
      spare ??
      new Worker(threadEntry(ref.spec.module), {
        workerData: data,
        transferList: [port2],
        ...(ref.spec.resourceLimits ? { resourceLimits: ref.spec.resourceLimits } : {}),
      });
    ref.worker = worker;
    ref.lastError = '';
    ref.link.attach(port1);
    worker.on('message', (msg: SystemUp) => {
      if (msg.sys === 'ready') this.events.next({ type: 'started', actor: ref.spec.name, generation, threadId: worker.threadId });
      else this.metricsWaiters.get(msg.id)?.(msg.samples);
    });
    worker.on('error', (err) => {
      ref.lastError = err instanceof Error ? (err.stack ?? err.message) : String(err);
    });
    worker.on('exit', (code) => this.onExit(ref, worker, code));
    for (const c of this.connections) if (c.a === ref.spec.name || c.b === ref.spec.name) this.wire(c);
  }

  /** Gives both ends of a connection a fresh channel, if both are running. */
  private wire(c: Connection): void {
    const a = this.actors.get(c.a)!;
    const b = this.actors.get(c.b)!;
    if (!a.worker || !b.worker) return;
    const { port1, port2 } = new MessageChannel();
    a.worker.postMessage({ sys: 'peer', name: c.b, port: port1, link: c.aLink } satisfies SystemDown, [port1]);
    b.worker.postMessage({ sys: 'peer', name: c.a, port: port2, link: c.bLink } satisfies SystemDown, [port2]);
  }

  private onExit(ref: ActorRef<Contract>, worker: Worker, code: number): void {
    if (ref.worker !== worker) return;
    ref.worker = null;
    const name = ref.spec.name;
    ref.link.detach(`${name} exited`);
    for (const c of this.connections) {
      const other = c.a === name ? c.b : c.b === name ? c.a : null;
      const peer = other ? this.actors.get(other) : undefined;
      peer?.worker?.postMessage({ sys: 'peer-down', name } satisfies SystemDown);
    }
    if (ref.stopping) {
      this.events.next({ type: 'stopped', actor: name });
      return;
    }
    const error = ref.lastError || `thread exited with code ${code}`;
    this.log.error({ actor: name, generation: ref.generation, error }, 'actor crashed');
    this.events.next({ type: 'crashed', actor: name, generation: ref.generation, error });
    const { policy } = ref;
    if (policy.strategy === 'stop') {
      this.events.next({ type: 'stopped', actor: name });
      return;
    }
    const now = Date.now();
    while (ref.restarts.length > 0 && now - ref.restarts[0]! > policy.withinMs) ref.restarts.shift();
    const crashLoop = ref.restarts.length >= policy.maxRestarts;
    if (policy.strategy === 'escalate' || crashLoop) {
      this.log.error({ actor: name, restarts: ref.restarts.length, crashLoop }, 'actor escalated');
      this.events.next({ type: 'escalated', actor: name, error, crashLoop });
      return;
    }
    const attempt = ref.restarts.length + 1;
    const delayMs = Math.min(policy.backoffMs.max, policy.backoffMs.initial * 2 ** (attempt - 1));
    ref.restarts.push(now);
    this.events.next({ type: 'restarting', actor: name, attempt, delayMs });
    ref.timer = setTimeout(() => {
      ref.timer = null;
      if (!ref.stopping) this.start(ref);
    }, delayMs);
  }

  private async stopActor(ref: ActorRef<Contract>): Promise<void> {
    ref.stopping = true;
    if (ref.timer) clearTimeout(ref.timer);
    const worker = ref.worker;
    if (worker) {
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.postMessage({ sys: 'stop' } satisfies SystemDown);
      const timeout = setTimeout(() => void worker.terminate(), this.options.stopTimeoutMs ?? 2_000);
      await exited;
      clearTimeout(timeout);
    }
    ref.link.close();
  }
}
