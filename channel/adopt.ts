import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Link } from '../runtime/link.js';
import type { Flip } from '../runtime/message.js';
import type { Handoff, LinkedChannel, ServerToChannel } from '../actors/contracts.js';
import { RelayedSocket } from './relay.js';

/** The socket of a handed-over connection, on this thread, and the bytes read ahead of it. */
export function adopt(h: Handoff): { socket: Duplex; leftover: Uint8Array } {
  if (h.kind === 'connection') {
    const socket = new Socket({ fd: h.fd, readable: true, writable: true, allowHalfOpen: true });
    socket.setNoDelay(true);
    return { socket, leftover: h.leftover.value };
  }
  // The server thread writes what it read ahead into the relay first.
  return { socket: new RelayedSocket(h.port.value), leftover: new Uint8Array(0) };
}

/** What the server actor is told about: when a connection it handed over closes. */
export interface Closing {
  readonly isClosed: boolean;
  onClose(handler: () => void): void;
}

export interface ChannelHost {
  /** A client linked to this channel: its connection. */
  connected(socket: Duplex, link: LinkedChannel, leftover: Uint8Array): Closing;
  /** The session ended (its main channel closed, or a new client replaced it). */
  sessionEnded(session: number): void;
  /** A notice for the session's user (main channel only). */
  notify?(session: number, text: string): void;
}

/** Takes the connections the server actor hands this channel actor, and reports each one's end back (the server lists the live ones). */
export function serveHandoffs(server: Link<Flip<ServerToChannel>>, host: ChannelHost): void {
  server.messages$.subscribe((m) => {
    if (m.kind === 'end-session') host.sessionEnded(m.session);
    else if (m.kind === 'notify') host.notify?.(m.session, m.text);
    else {
      const { socket, leftover } = adopt(m);
      const { session, channelType, channelId, peer } = m.link;
      const closed = () => void server.send({ kind: 'channel-closed', session, channelType, channelId, peer });
      const c = host.connected(socket, m.link, leftover);
      if (c.isClosed) closed();
      else c.onClose(closed);
    }
  });
}
