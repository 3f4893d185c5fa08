import type { Observable } from './streams.js';
import type { Link, LinkOptions } from './link.js';
import type { Logger } from './log.js';
import type { Meter } from './meter.js';
import type { ActorSide, Contract, LinkTypes } from './message.js';
import type { Port } from './port.js';

export type PeerEvent = { type: 'up'; peer: string } | { type: 'down'; peer: string };

/** What an actor sees of the world: its parent, its peers, its logger and its init data. */
export interface ActorContext<C extends Contract> {
  readonly name: string;
  readonly init: C['init'];
  readonly log: Logger;
  /** The link to whoever spawned it (its supervisor's owner). */
  readonly parent: Link<ActorSide<C>>;
  /**
   * This actor's end of `port` (whose `a` it must be: the `b` end takes `flip(port)`); it exists
   * before the peer is connected and survives its restarts.
   */
  peer<L extends LinkTypes>(port: Port<L>): Link<L>;
  /** Its counters, collected by the root when scraped. */
  readonly meter: Meter;
  /** Peers connecting, going down with a crash, and coming back. */
  readonly peers$: Observable<PeerEvent>;
  /** Runs when the supervisor stops the actor, before its thread ends. */
  onStop(hook: () => void | Promise<void>): void;
}

export interface ActorDefinition<C extends Contract> {
  /** Sets the actor up: subscribe, serve. Delivery starts once it has returned (or resolved). */
  readonly main: (ctx: ActorContext<C>) => void | Promise<void>;
  /** Flow control of what the actor sends to its parent. */
  readonly link?: LinkOptions<C['out']>;
}

/** The default export of an actor module. */
export function defineActor<C extends Contract>(main: ActorDefinition<C>['main'], link?: LinkOptions<C['out']>): ActorDefinition<C> {
  return { main, ...(link ? { link } : {}) };
}
