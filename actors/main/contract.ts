import type { Config } from '../../config/settings.js';
import type { ChannelAddress, ChannelQos } from '../contracts.js';
import type { NetTest } from './net-test.js';

export interface MainInit {
  readonly config: Pick<Config, 'name' | 'uuid'>;
  /** The other channels a client may open, in the order they were registered. */
  readonly channels: readonly ChannelAddress[];
  readonly displayChannels: number;
  /** The host takes client monitor layouts: the main channel announces an agent that serves them (actors/agent). */
  readonly agent: boolean;
  readonly qos: ChannelQos;
}

/** The main channel reports each client's measured link to its owner, for logs and tests. */
export interface MainContract {
  init: MainInit;
  /** Channels started after the first list (a display the host announced later). */
  in: { kind: 'add-channels'; channels: readonly ChannelAddress[] };
  out: { kind: 'net-test'; session: number } & NetTest;
  replies: {};
}
