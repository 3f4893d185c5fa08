import type { Config } from '../../config/settings.js';
import type { ChannelAddress } from '../contracts.js';

export interface ServerInit {
  readonly config: Config;
  /** The channels this server offers; each is served by the peer actor `channelActorName(address)`. */
  readonly channels: readonly ChannelAddress[];
}

export interface ServerContract {
  init: ServerInit;
  in: { kind: 'set-password'; password: string | null; expiresInS?: number } | { kind: 'add-channels'; channels: readonly ChannelAddress[] };
  out:
    | { kind: 'listening'; port: number | null; tlsPort: number | null }
    | { kind: 'link-refused'; peer: string; reason: string }
    /** The listeners could not open: a problem the operator fixes, in one line. */
    | { kind: 'start-failed'; reason: string };
  replies: { 'set-password': { ok: true } | { ok: false; error: string } };
}
