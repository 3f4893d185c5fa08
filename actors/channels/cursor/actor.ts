import { cursorProtocol as protocol } from '../../../codecs/protocol/channels/cursor.js';
import { defineActor } from '../../../runtime/actor.js';
import { flip } from '../../../runtime/port.js';
import { ChannelType } from '../../../codecs/protocol/enums.js';
import { serveHandoffs } from '../../../channel/adopt.js';
import { ChannelConnection } from '../../../channel/connection.js';
import { channelMeter } from '../../../channel/meter.js';
import { serverToChannel, type CursorContract, type CursorShape } from '../../contracts.js';
import { CursorCache } from './client-cache.js';
import { badShape, wireCursor } from './shape.js';
import { cursorClientRules } from './client-rules.js';

type Connection = ChannelConnection<(typeof protocol)['server']['defs'], (typeof protocol)['client']['defs']>;

/** spice-server's cursor receive buffer and ACK window. */
const maxBody = 1024;
const ackWindow = 20;

interface Client {
  readonly session: number;
  readonly c: Connection;
  readonly cache: CursorCache;
}

/**
 * The cursor channel of one display: the current shape, position, visibility and trail, sent
 * whole to a new client (INIT) and as changes after; shapes with an id are cached by the
 * client, so a shape seen before goes as a reference. Positions coalesce while they wait.
 */
export default defineActor<CursorContract>((ctx) => {
  const meter = channelMeter(ctx.meter);
  const server = ctx.peer(flip(serverToChannel({ type: ChannelType.cursor, id: ctx.init.id })));
  const source = ctx.peer(ctx.init.source);
  const clients = new Set<Client>();
  const state = { shape: null as CursorShape | null, x: 0, y: 0, visible: false, trailLength: 0, trailFrequency: 0 };

  const cursorFor = (client: Client, shape: CursorShape | null) => {
    if (!shape || shape.unique === 0n) return wireCursor(shape, false);
    if (client.cache.has(shape.unique)) return wireCursor(shape, true);
    for (const id of client.cache.add(shape.unique)) client.c.send({ name: 'inval_one', body: { id } });
    return wireCursor(shape, false);
  };

  source.messages$.subscribe((e) => {
    switch (e.kind) {
      case 'cursor-set': {
        const bad = badShape(e.shape);
        if (bad) {
          ctx.log.warn({ reason: bad }, 'cursor shape dropped');
          return;
        }
        Object.assign(state, { shape: e.shape, x: e.x, y: e.y, visible: e.visible });
        for (const cl of clients)
          cl.c.send({ name: 'set', body: { position: { x: e.x, y: e.y }, visible: e.visible ? 1 : 0, cursor: cursorFor(cl, e.shape) } });
        return;
      }
      case 'cursor-move':
        Object.assign(state, { x: e.x, y: e.y, visible: true });
        for (const { c } of clients) c.send({ name: 'move', body: { position: { x: e.x, y: e.y } } });
        return;
      case 'cursor-hide':
        state.visible = false;
        for (const { c } of clients) c.send({ name: 'hide', body: {} });
        return;
      case 'cursor-trail':
        Object.assign(state, { trailLength: e.length, trailFrequency: e.frequency });
        for (const { c } of clients) c.send({ name: 'trail', body: { length: e.length, frequency: e.frequency } });
        return;
      case 'cursor-reset':
        Object.assign(state, { shape: null, visible: false });
        for (const cl of clients) {
          cl.cache.clear();
          cl.c.send({ name: 'inval_all', body: {} });
          cl.c.send({ name: 'reset', body: {} });
        }
        return;
    }
  });

  serveHandoffs(server, {
    connected(socket, link, leftover) {
      const c: Connection = new ChannelConnection(socket, link, protocol, {
        log: ctx.log,
        maxBody,
        ackWindow,
        latencyIntervalMs: 5 * 60_000,
        qos: ctx.init.qos,
        rules: cursorClientRules,
        meter,
      });
      const client: Client = { session: link.session, c, cache: new CursorCache() };
      clients.add(client);
      c.onClose(() => clients.delete(client));
      c.onMessage((m) => c.close({ by: 'server', why: `unexpected ${m.name} on the cursor channel` }));
      c.send({
        name: 'init',
        body: {
          position: { x: state.x, y: state.y },
          trail_length: state.trailLength,
          trail_frequency: state.trailFrequency,
          visible: state.visible ? 1 : 0,
          cursor: cursorFor(client, state.shape),
        },
      });
      c.feed(leftover);
      return c;
    },
    sessionEnded(session) {
      for (const cl of clients) if (cl.session === session) cl.c.close({ by: 'session', why: 'session ended' });
    },
  });
});
