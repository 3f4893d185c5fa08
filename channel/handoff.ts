import type { Moved } from '../runtime/envelope.js';
import type { MessagePort } from 'node:worker_threads';

/** What the link stage learnt about a connection, handed with it to its channel's actor. */
export interface LinkedChannel {
  readonly session: number;
  readonly channelType: number;
  readonly channelId: number;
  readonly commonCaps: readonly number[];
  readonly channelCaps: readonly number[];
  readonly secure: boolean;
  /** The client's address and port, for logs. */
  readonly peer: string;
}

/**
 * A linked connection passed from the server actor to a channel actor: either its socket fd
 * (the channel's thread adopts it; `leftover` holds bytes the link stage read past the link)
 * or, for TLS, a port carrying the plaintext (TLS state cannot leave the thread that made it).
 */
export type Handoff =
  | { readonly kind: 'connection'; readonly link: LinkedChannel; readonly fd: number; readonly leftover: Moved<Uint8Array> }
  | { readonly kind: 'relayed-connection'; readonly link: LinkedChannel; readonly port: Moved<MessagePort> };
