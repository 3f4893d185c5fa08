import { displayProtocol as protocol } from '../../../codecs/protocol/channels/display.js';
import { defineActor } from '../../../runtime/actor.js';
import { flip } from '../../../runtime/port.js';
import { ChannelType } from '../../../codecs/protocol/enums.js';
import { serveHandoffs } from '../../../channel/adopt.js';
import { ChannelConnection } from '../../../channel/connection.js';
import { channelMeter } from '../../../channel/meter.js';
import { displayToWorker, serverToChannel, type DisplayContract } from '../../contracts.js';
import { glzWindowPixels } from '../../../codecs/image/glz/dictionary.js';
import { SentCell } from '../../../channel/sent-cell.js';
import { shared } from '../../../runtime/envelope.js';

type Connection = ChannelConnection<(typeof protocol)['server']['defs'], (typeof protocol)['client']['defs']>;

/** spice-server's display receive buffer, ACK window, and wait for DISPLAY_INIT. */
const maxBody = 1024;
const ackWindow = 20;
const initTimeoutMs = 30_000;
/** Bytes queued for the socket beyond which the worker is held back (it keeps only the latest screen meanwhile). */
const highWater = 64 * 1024;

/**
 * The display channel of one display: SET_ACK, then DISPLAY_INIT from the client, then whatever
 * its red-worker sends, paced by the ACK window and the socket. While the client does not keep
 * up, the worker's link is held, so the worker coalesces instead of this actor queueing.
 */
export default defineActor<DisplayContract>((ctx) => {
  const meter = channelMeter(ctx.meter);
  const server = ctx.peer(flip(serverToChannel({ type: ChannelType.display, id: ctx.init.id })));
  const worker = ctx.peer(displayToWorker(ctx.init.id));
  const clients = new Map<number, Connection>();
  /** Each client's SentCell, made at its DISPLAY_INIT. */
  const sentCells = new Map<number, SentCell>();

  const pace = (c: Connection) => {
    if (c.queuedBytes > highWater) worker.pause();
    else worker.resume();
  };
  worker.messages$.subscribe((m) => {
    const c = clients.get(m.session);
    if (!c) return;
    const cell = sentCells.get(m.session);
    for (const { type, body, track } of m.messages)
      c.sendEncoded(type, body.value, track === undefined || !cell ? undefined : (serial) => cell.write(track, serial));
    pace(c);
  });

  /** The client's GLZ window, clamped to what the companion holds per client, with a log line when it asked for more or less. */
  const glzWindow = (asked: number) => {
    const { pixels, clamped } = glzWindowPixels(asked);
    if (clamped) ctx.log.info({ asked, pixels }, 'GLZ window from DISPLAY_INIT out of bounds: clamped');
    return pixels;
  };

  serveHandoffs(server, {
    connected(socket, link, leftover) {
      const c: Connection = new ChannelConnection(socket, link, protocol, {
        log: ctx.log,
        maxBody,
        ackWindow,
        latencyIntervalMs: 15_000,
        qos: ctx.init.qos,
        meter,
        // The red-worker's batches of drawings: one writev each.
        writesPerTurn: true,
      });
      clients.get(link.session)?.close({ by: 'session', why: 'replaced by a new display connection' });
      clients.set(link.session, c);
      const timer = setTimeout(() => c.close({ by: 'server', why: `no DISPLAY_INIT within ${initTimeoutMs} ms` }), initTimeoutMs);
      c.onDrain(() => pace(c));
      c.onClose(() => {
        clearTimeout(timer);
        if (clients.get(link.session) !== c) return;
        clients.delete(link.session);
        sentCells.delete(link.session);
        worker.resume();
        void worker.send({ kind: 'client-gone', session: link.session });
      });
      let ready = false;
      c.onMessage((m) => {
        switch (m.name) {
          case 'init': {
            if (ready) return c.close({ by: 'server', why: 'a second DISPLAY_INIT' });
            ready = true;
            clearTimeout(timer);
            const cell = new SentCell(SentCell.create());
            sentCells.set(link.session, cell);
            void worker.send({
              kind: 'client',
              session: link.session,
              caps: link.channelCaps,
              glzWindowPixels: glzWindow(m.body.glz_dictionary_window_size),
              pixmapCachePixels: Number(m.body.pixmap_cache_size),
              pixmapCacheId: m.body.pixmap_cache_id,
              sent: shared(cell.memory),
            });
            return;
          }
          case 'preferred_compression':
            void worker.send({ kind: 'preferred-compression', session: link.session, compression: m.body.image_compression });
            return;
          case 'stream_report':
            void worker.send({ kind: 'stream-report', session: link.session, report: m.body });
            return;
          case 'preferred_video_codec_type':
            void worker.send({ kind: 'preferred-video-codecs', session: link.session, codecs: m.body.codecs });
            return;
          case 'gl_draw_done':
            // No GL yet: nothing to adjust.
            return;
          default:
            return c.close({ by: 'server', why: `unexpected ${m.name} on the display channel` });
        }
      });
      c.feed(leftover);
      return c;
    },
    sessionEnded(session) {
      clients.get(session)?.close({ by: 'session', why: 'session ended' });
    },
  });
});
