import type { Config } from '../../config/settings.js';
import type { ChannelAddress } from '../contracts.js';

export interface MainInit {
  readonly config: Pick<Config, 'name' | 'uuid'>;
  /** The other channels a client may open, in the order they were registered. */
  readonly channels: readonly ChannelAddress[];
  readonly displayChannels: number;
}

/** What the main channel reports to its owner: each client's measured link, for logs and tests. */
export interface MainContract {
  init: MainInit;
  in: never;
  out: { kind: 'net-test'; session: number; latencyMs: number; bitsPerSecond: number; lowBandwidth: boolean };
  replies: {};
}
