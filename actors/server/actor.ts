import { MessageChannel } from 'node:worker_threads';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { defineActor } from '../../runtime/actor.js';
import { moved } from '../../runtime/envelope.js';
import { monotonicClock } from '../../runtime/clock.js';
import type { Link } from '../../runtime/link.js';
import { relaySocket } from '../../channel/relay.js';
import { dup } from '../../native/index.js';
import { ChannelType, channelTypeName } from '../../codecs/protocol/enums.js';
import {
  actorName,
  channelActorName,
  serverToChannel,
  type ChannelAddress,
  type LinkedChannel,
  type ServerContract,
  type ServerToChannel,
} from '../contracts.js';
import { AuthThrottle } from './auth-throttle.js';
import { serverChannelCaps } from './channel-caps.js';
import { LinkKeys, readPasswordFile, type TicketPolicy } from './ticket.js';
import { maxPasswordLength } from '../../codecs/protocol/link.js';
import { negotiateLink } from './link-stage.js';
import { openListeners, socketFd, type Listening } from './listeners.js';
import { StartError } from '../../runtime/start-error.js';
import { tlsOnlyChannels } from '../../config/channel-security.js';
import { Sessions, type SessionId } from './sessions.js';
import { LiveChannels } from './live-channels.js';
import { saslProblem, saslSessionFor } from './sasl-sessions.js';

/**
 * The red server: listens, runs each connection's link stage (TLS, tickets, sessions) and
 * hands the linked connection to the actor of its channel.
 */
export default defineActor<ServerContract>(async (ctx) => {
  const { config, channels } = ctx.init;
  const log = ctx.log;
  const keys = new LinkKeys();
  const throttle = new AuthThrottle();
  const sessions = new Sessions();
  const live = new LiveChannels();
  const refusedBy = (error: string) =>
    ctx.meter.counter('spice_link_refused_total', 'Links refused, by the kind of refusal (permissionDenied: a wrong or expired ticket).', {
      reason: error,
    });
  ctx.meter.gauge('spice_clients', 'Clients connected (sessions with their main channel open).', {}, () =>
    sessions.active === null ? 0 : 1,
  );
  ctx.meter.gauge('spice_channels_linked', 'Channel connections linked and open.', {}, () => live.list().length);
  const offered = new Set(channels.map((c) => `${c.type}:${c.id}`));
  const secureChannels = new Set<number>(tlsOnlyChannels(config).map((name) => ChannelType[name]));
  const startedAt = monotonicClock.now();
  let password: string | undefined;
  try {
    password = config['password-file'] !== undefined ? readPasswordFile(config['password-file']) : config.password;
  } catch (err) {
    if (!(err instanceof StartError)) throw err;
    await ctx.parent.send({ kind: 'start-failed', reason: err.message });
    return;
  }
  const saslBroken = config.sasl ? saslProblem() : null;
  if (saslBroken !== null) {
    await ctx.parent.send({
      kind: 'start-failed',
      reason: `sasl: ${saslBroken} (spice.conf from ${process.env.SASL_CONF_PATH ?? '/etc/sasl2'})`,
    });
    return;
  }
  const policy: TicketPolicy = {
    ticketing: !config['disable-ticketing'],
    ...(password !== undefined ? { password } : {}),
    ...(config['password-expiry'] !== undefined ? { expiresAt: startedAt + config['password-expiry'] * 1000 } : {}),
  };
  if (!config.sasl && policy.ticketing && policy.password === undefined)
    log.warn('ticketing is on and no password is set: every client will be refused (set password or disable-ticketing)');

  const peers = new Map<string, Link<ServerToChannel>>();
  const offer = (c: ChannelAddress) => {
    offered.add(`${c.type}:${c.id}`);
    const name = channelActorName(c);
    if (peers.has(name)) return;
    const link = ctx.peer(serverToChannel(c));
    peers.set(name, link);
    link.messages$.subscribe((m) => {
      live.closed(m.session, m.channelType, m.channelId, m.peer);
      if (m.channelType === ChannelType.main && sessions.end(m.session as SessionId)) endSession(m.session);
    });
  };
  channels.forEach(offer);
  ctx.parent.messages$.subscribe((m) => {
    if (m.kind === 'add-channels') m.channels.forEach(offer);
  });
  const endSession = (session: number) => {
    live.endSession(session);
    for (const link of peers.values()) void link.send({ kind: 'end-session', session });
  };

  /** False when no actor serves the channel (the connection is closed). */
  const handOver = (socket: Socket | TLSSocket, secure: boolean, link: LinkedChannel, leftover: Buffer): boolean => {
    const peer = peers.get(channelActorName({ type: link.channelType, id: link.channelId }));
    if (!peer) {
      socket.destroy();
      return false;
    }
    if (!secure) {
      // A plain socket moves to the channel's thread whole: a duplicate of its fd, adopted there;
      // closing ours leaves the connection open through the duplicate.
      const fd = dup(socketFd(socket));
      socket.destroy();
      void peer.send({ kind: 'connection', link, fd, leftover: moved(new Uint8Array(leftover)) });
      return true;
    }
    // TLS state cannot leave this thread: the plaintext goes over a port, what the link stage
    // read past the link first.
    const { port1, port2 } = new MessageChannel();
    const relayed = relaySocket(socket, port1, leftover);
    relayed.on('error', (err) => log.debug({ peer: link.peer, err: err.message }, 'relayed connection ended'));
    void peer.send({ kind: 'relayed-connection', link, port: moved(port2) });
    return true;
  };

  let unixConnections = 0;
  const onConnection = (socket: Socket | TLSSocket, secure: boolean) => {
    // Where the client is, for the control plane: read now, before the socket is handed over.
    const from =
      socket.remoteAddress !== undefined
        ? {
            host: socket.remoteAddress,
            port: String(socket.remotePort),
            family: socket.remoteFamily === 'IPv6' ? ('ipv6' as const) : ('ipv4' as const),
          }
        : { host: config.addr, port: '', family: 'unix' as const };
    // Unix clients have no address of their own: a number tells their connections apart (in logs, and when one closes).
    const address = socket.remoteAddress ?? `unix:${config.addr}`;
    const peer = socket.remoteAddress !== undefined ? `${address}:${socket.remotePort}` : `${address}#${++unixConnections}`;
    socket.on('error', (err) => log.debug({ peer, err: err.message }, 'connection error'));
    negotiateLink(socket, {
      keys,
      policy: () => policy,
      throttle,
      sessions,
      secure,
      secureChannels,
      channelExists: (type, id) => offered.has(`${type}:${id}`),
      channelCaps: (type) => serverChannelCaps[type] ?? [],
      peer,
      address,
      timeoutMs: 15_000,
      now: () => monotonicClock.now(),
      // SASL only over TLS: with no SASL security layer, a plain link would carry it in the clear.
      sasl: config.sasl && secure ? () => saslSessionFor(socket as TLSSocket) : null,
    }).then(
      (outcome) => {
        if (!outcome.ok) {
          log.info({ peer, reason: outcome.reason }, 'link refused');
          refusedBy(outcome.error).value++;
          void ctx.parent.send({ kind: 'link-refused', peer, reason: outcome.reason });
          return;
        }
        const { link } = outcome;
        log.info(
          {
            peer,
            channel: channelTypeName(link.channelType),
            id: link.channelId,
            session: link.session,
            secure,
            ...(outcome.user !== undefined ? { user: outcome.user } : {}),
          },
          'linked',
        );
        if (outcome.replaced !== null) {
          log.info({ session: outcome.replaced }, 'a new client replaces the connected one');
          endSession(outcome.replaced);
        }
        if (handOver(socket, secure, link, outcome.leftover))
          live.add({ ...from, session: link.session, channelType: link.channelType, channelId: link.channelId, tls: secure }, peer);
        // As spice-server does: keystrokes in the clear deserve a word to the user.
        if (link.channelType === ChannelType.inputs && !secure)
          void peers.get(actorName.main)?.send({ kind: 'notify', session: link.session, text: 'keyboard channel is insecure' });
      },
      (err: unknown) => {
        log.error({ peer, err }, 'link stage failed');
        socket.destroy();
      },
    );
  };

  let listening: Listening;
  try {
    listening = await openListeners(config, onConnection);
  } catch (err) {
    if (!(err instanceof StartError)) throw err;
    await ctx.parent.send({ kind: 'start-failed', reason: err.message });
    return;
  }
  log.info({ port: listening.port, tlsPort: listening.tlsPort, addr: config.addr }, 'listening');
  await ctx.parent.send({ kind: 'listening', port: listening.port, tlsPort: listening.tlsPort });

  /** Ends a session now, as a client leaving would (its channels close, new links need a new main). */
  const disconnect = (session: number) => {
    sessions.end(session as SessionId);
    endSession(session);
  };
  ctx.parent.serve({
    'set-password': ({ password, connected }) => {
      // As spice-server: a longer password is refused, not cut.
      if (password !== null && Buffer.byteLength(password) > maxPasswordLength)
        return { ok: false, error: `a password has at most ${maxPasswordLength} bytes` };
      // As spice-server's set_ticket: fail refuses while a client is connected, disconnect ends its session first.
      const active = sessions.active;
      if (active !== null && connected === 'fail') return { ok: false, error: 'Could not set password' };
      if (active !== null && connected === 'disconnect') disconnect(active);
      if (password === null) delete policy.password;
      else policy.password = password;
      return { ok: true };
    },
    'expire-password': ({ inS }) => {
      if (inS === null) delete policy.expiresAt;
      else policy.expiresAt = monotonicClock.now() + inS * 1000;
      return { ok: true };
    },
    'query-channels': () => live.list(),
    disconnect: ({ session }) => {
      const target = session ?? sessions.active;
      if (target === null) return { ok: false, error: 'no client is connected' };
      if (target !== sessions.active && !live.has(target)) return { ok: false, error: `no session ${target}` };
      disconnect(target);
      return { ok: true };
    },
  });
  ctx.onStop(() => {
    listening.plain?.close();
    listening.tls?.close();
  });
});
