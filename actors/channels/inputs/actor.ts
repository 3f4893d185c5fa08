import { inputsProtocol as protocol } from '../../../codecs/protocol/channels/inputs.js';
import { defineActor } from '../../../runtime/actor.js';
import { flip } from '../../../runtime/port.js';
import { ChannelType } from '../../../codecs/protocol/enums.js';
import { serveHandoffs } from '../../../channel/adopt.js';
import { ChannelConnection } from '../../../channel/connection.js';
import { channelMeter } from '../../../channel/meter.js';
import { inputsToHost, serverToChannel, type InputEvent, type InputsContract } from '../../contracts.js';
import { parseScancodes, unpackKeyCode, type KeyStroke } from './scancodes.js';

type Connection = ChannelConnection<(typeof protocol)['server']['defs'], (typeof protocol)['client']['defs']>;

/** spice-server's inputs receive buffer. */
const maxBody = 2048;
/** SPICE_INPUT_MOTION_ACK_BUNCH: spice-gtk stops sending motion at twice this many unacked. */
const motionAckBunch = 4;

/** Buttons are 1..7 (LEFT..EXTRA), their mask bits 0..6; anything else is malformed. */
function badButtons(m: { name: string; body: object }): string | null {
  const b = m.body as { button?: number; buttons_state?: number };
  if (b.button !== undefined && (b.button < 1 || b.button > 7)) return `${m.name}: no mouse button ${b.button}`;
  if (b.buttons_state !== undefined && (b.buttons_state & ~0x7f) !== 0) return `${m.name}: button mask 0x${b.buttons_state.toString(16)}`;
  return null;
}

/**
 * The inputs channel: keys (set-1 scancodes), lock-key modifiers both ways, relative and
 * absolute mouse and buttons, in order to the host; MOUSE_MOTION_ACK every four motions. Keys
 * still down when a client goes are released.
 */
export default defineActor<InputsContract>((ctx) => {
  const meter = channelMeter(ctx.meter);
  const server = ctx.peer(flip(serverToChannel({ type: ChannelType.inputs, id: 0 })));
  const host = ctx.peer(inputsToHost);
  const clients = new Set<{ session: number; c: Connection }>();
  let leds = 0;

  /**
   * Input goes to the host merged by the port's rules (positions, motion); keys and buttons are
   * never dropped. While the host is slow or away and sends wait, no client is read: the
   * clients hold the rest, and a release never overtakes its press.
   */
  const toHost = (e: InputEvent) => {
    const sent = host.send(e).catch((err: unknown) => ctx.log.warn({ event: e.kind, err }, 'input not sent to the host'));
    if (host.waiting === 0) return;
    for (const { c } of clients) c.pauseInput();
    void sent.then(() => {
      if (host.waiting === 0) for (const { c } of clients) c.resumeInput();
    });
  };
  host.messages$.subscribe((m) => {
    if (m.kind !== 'leds' || m.modifiers === leds) return;
    leds = m.modifiers;
    for (const { c } of clients) c.send({ name: 'key_modifiers', body: { modifiers: leds } });
  });

  serveHandoffs(server, {
    connected(socket, link, leftover) {
      const c: Connection = new ChannelConnection(socket, link, protocol, { log: ctx.log, maxBody, qos: ctx.init.qos, meter });
      const entry = { session: link.session, c };
      clients.add(entry);
      const pressed = new Set<number>();
      let motions = 0;
      const keys = (strokes: KeyStroke[]) => {
        for (const k of strokes) {
          if (k.down) pressed.add(k.code);
          else pressed.delete(k.code);
          toHost({ kind: 'key', code: k.code, down: k.down });
        }
      };
      const motion = () => {
        if (++motions % motionAckBunch === 0) c.send({ name: 'mouse_motion_ack', body: {} });
      };
      c.onClose(() => {
        clients.delete(entry);
        for (const code of pressed) toHost({ kind: 'key', code, down: false });
      });
      c.onMessage((m) => {
        const bad = badButtons(m);
        if (bad) return c.close({ by: 'server', why: bad });
        switch (m.name) {
          case 'key_down':
          case 'key_up':
            return keys(parseScancodes(unpackKeyCode(m.body.code)));
          case 'key_scancode':
            return keys(parseScancodes(m.body.data));
          case 'key_modifiers':
            return toHost({ kind: 'lock-keys', modifiers: m.body.modifiers });
          case 'mouse_motion':
            toHost({ kind: 'mouse-motion', dx: m.body.dx, dy: m.body.dy, buttons: m.body.buttons_state });
            return motion();
          case 'mouse_position':
            toHost({ kind: 'mouse-position', x: m.body.x, y: m.body.y, buttons: m.body.buttons_state, display: m.body.display_id });
            return motion();
          case 'mouse_press':
          case 'mouse_release':
            return toHost({ kind: 'mouse-buttons', button: m.body.button, buttons: m.body.buttons_state, down: m.name === 'mouse_press' });
          default:
            return c.close({ by: 'server', why: `unexpected ${m.name} on the inputs channel` });
        }
      });
      c.send({ name: 'init', body: { keyboard_modifiers: leds } });
      c.feed(leftover);
      return c;
    },
    sessionEnded(session) {
      for (const { session: s, c } of clients) if (s === session) c.close({ by: 'session', why: 'session ended' });
    },
  });
});
