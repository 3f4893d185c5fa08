import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { portProtocol, smartcardProtocol, spicevmcProtocol } from '../../../codecs/protocol/channels/spicevmc.js';
import { ChannelType, channelTypeName, hasCap, PortEvent, SpicevmcCap } from '../../../codecs/protocol/enums.js';
import { compressData, decompressData } from '../../../codecs/spicevmc/compressed-data.js';
import { decodeVscClient, encodeVsc, VscStreamReader, VscType } from '../../../codecs/protocol/vsc.js';
import { defineActor } from '../../../runtime/actor.js';
import { flip } from '../../../runtime/port.js';
import { serveHandoffs } from '../../../channel/adopt.js';
import { ChannelConnection } from '../../../channel/connection.js';
import { channelMeter } from '../../../channel/meter.js';
import { close as closeFd, type Fd } from '../../../native/index.js';
import {
  hostToTunnels,
  serverToChannel,
  type ChannelAddress,
  type LinkedChannel,
  type TunnelChardev,
  type TunnelsContract,
} from '../../contracts.js';
import { DeviceRelay, maxQueued, type ClientEnd, type Held } from './device-relay.js';

type VmcConnection = ChannelConnection<(typeof spicevmcProtocol)['server']['defs'], (typeof spicevmcProtocol)['client']['defs']>;
type PortConnection = ChannelConnection<(typeof portProtocol)['server']['defs'], (typeof portProtocol)['client']['defs']>;
type SmartcardConnection = ChannelConnection<(typeof smartcardProtocol)['server']['defs'], (typeof smartcardProtocol)['client']['defs']>;

/** A client message, compressed or not, is at most the queue bound (spice-gtk writes USB packets and port writes whole). */
const maxBody = maxQueued + 64;
/** The only reader of a smartcard channel (spice-server patches the device's id to its reader's). */
const readerId = 0;

const key = (c: ChannelAddress) => `${c.type}:${c.id}`;
const nameOf = (c: ChannelAddress) => `${channelTypeName(c.type)}:${c.id}`;

/** One client of one spicevmc channel. */
interface Tunnel {
  readonly session: number;
  readonly client: ClientEnd;
  /** Device bytes for the client. */
  fromDevice(bytes: Uint8Array): string | null;
  /** The guest opened or closed its end (port channels tell the client). */
  guestOpen(open: boolean): void;
  relay: DeviceRelay | null;
}

/**
 * The spicevmc channels (usbredir, port, webdav, smartcard), every one in this actor: each is a
 * byte relay between one client and one of QEMU's chardevs, too little work for an isolate each
 * (100–300 ms of CPU and its memory to start; a VM may have several USB redirections and ports).
 * For each client that links a channel, the host registers a fresh socket with the chardev
 * (QEMU's device sees a connection per client, as spice-server opens and closes its char
 * device); DATA and COMPRESSED_DATA (LZ4 both ways, with the client's cap) carry the bytes;
 * port channels add PORT_INIT and PORT_EVENT; the smartcard channel relays VSC messages, their
 * header turned between the client's byte order and the device's, as one reader. One client
 * per channel: a newer connection replaces an older one. Bounded both ways (device-relay.ts).
 */
export default defineActor<TunnelsContract>((ctx) => {
  const log = ctx.log;
  const meter = channelMeter(ctx.meter);
  const server = ctx.peer(flip(serverToChannel({ type: ChannelType.usbredir, id: 0 })));
  const host = ctx.peer(flip(hostToTunnels));
  const chardevs = new Map<string, TunnelChardev>();
  const tunnels = new Map<string, Tunnel>();
  const held: Held = { toClient: 0, toDevice: 0 };
  ctx.meter.gauge(
    'spice_tunnel_held_bytes_max',
    'The most bytes held for a tunnel client (device data it has not taken).',
    { way: 'to-client' },
    () => held.toClient,
  );
  ctx.meter.gauge(
    'spice_tunnel_held_bytes_max',
    'The most bytes held for a chardev (client data QEMU has not taken).',
    { way: 'to-device' },
    () => held.toDevice,
  );
  const malformed = ctx.meter.counter(
    'spice_tunnel_malformed_total',
    'Tunnel messages from clients or devices dropped as malformed, or closing their connection.',
    {},
  );

  host.messages$.subscribe((m) => {
    if (m.kind === 'guest-open') {
      const c = chardevs.get(key(m.channel));
      if (!c) return;
      chardevs.set(key(m.channel), { ...c, guestOpen: m.open });
      tunnels.get(key(m.channel))?.guestOpen(m.open);
      return;
    }
    chardevs.clear();
    for (const c of m.chardevs) chardevs.set(key(c.channel), c);
    for (const [k, t] of tunnels) if (!chardevs.has(k)) t.client.close({ by: 'server', why: 'QEMU has no chardev for the channel now' });
  });

  /** The chardev's socket for a new client: the client is not read until it is there. */
  const attach = (channel: ChannelAddress, t: Tunnel) => {
    t.client.pauseInput();
    host.ask({ kind: 'open', channel }).then(
      (opened) => {
        if (!opened.ok) return t.client.close({ by: 'server', why: `chardev not opened: ${opened.error}` });
        if (t.client.isClosed || tunnels.get(key(channel)) !== t) return closeFd(opened.fd as Fd);
        const device = new Socket({ fd: opened.fd, readable: true, writable: true });
        t.relay = new DeviceRelay(t.client, device, (bytes) => t.fromDevice(bytes), held);
        t.client.resumeInput();
        log.info({ channel: nameOf(channel), session: t.session }, 'client joined to its chardev');
      },
      (e: Error) => t.client.close({ by: 'server', why: `chardev not opened: ${e.message}` }),
    );
  };

  const options = (link: LinkedChannel) => {
    // The tunnel channels' settings are named as their channel types.
    const name = channelTypeName(link.channelType) as keyof TunnelsContract['init']['qos'];
    return { log, maxBody, qos: ctx.init.qos[name], meter, maxPipeBytes: 4 * maxQueued };
  };
  const bad = (client: ClientEnd, why: string) => {
    malformed.value++;
    client.close({ by: 'server', why });
  };

  /** usbredir, port and webdav: the device's bytes as DATA (LZ4 when it pays and the client has the cap). */
  const vmcTunnel = (session: number, c: VmcConnection | PortConnection, lz4: boolean): Tunnel => ({
    session,
    client: c,
    relay: null,
    fromDevice(bytes) {
      const compressed = lz4 ? compressData(bytes) : null;
      if (compressed) (c as VmcConnection).send({ name: 'compressed_data', body: compressed });
      else (c as VmcConnection).send({ name: 'data', body: { data: bytes } });
      return null;
    },
    guestOpen: () => {},
  });
  const onVmcMessage = (t: Tunnel, m: { name: string; body: unknown }) => {
    if (m.name === 'data') return t.relay?.write((m.body as { data: Uint8Array }).data);
    if (m.name !== 'compressed_data') return;
    const d = decompressData(m.body as Parameters<typeof decompressData>[0], maxQueued);
    if (!d.ok) return bad(t.client, d.error);
    t.relay?.write(d.value);
  };

  const connectVmc = (socket: Duplex, link: LinkedChannel, chardev: TunnelChardev): Tunnel => {
    const lz4 = hasCap(link.channelCaps, SpicevmcCap.dataCompressLz4);
    if (link.channelType === ChannelType.usbredir) {
      const c: VmcConnection = new ChannelConnection(socket, link, spicevmcProtocol, options(link));
      const t = vmcTunnel(link.session, c, lz4);
      c.onMessage((m) => onVmcMessage(t, m));
      return t;
    }
    const c: PortConnection = new ChannelConnection(socket, link, portProtocol, options(link));
    const t = vmcTunnel(link.session, c, lz4);
    t.guestOpen = (open) => c.send({ name: 'event', body: { event: open ? PortEvent.opened : PortEvent.closed } });
    c.onMessage((m) => {
      if (m.name !== 'event') return onVmcMessage(t, m);
      if (m.body.event === PortEvent.break) host.send({ kind: 'break', channel: chardev.channel }).catch(() => {});
    });
    c.send({ name: 'init', body: { name: new TextEncoder().encode(`${chardev.name}\0`), opened: chardev.guestOpen ? 1 : 0 } });
    return t;
  };

  /** The smartcard: VSC messages, the header in the client's order one way and the device's the other, one reader (id 0). */
  const connectSmartcard = (socket: Duplex, link: LinkedChannel): Tunnel => {
    const c: SmartcardConnection = new ChannelConnection(socket, link, smartcardProtocol, options(link));
    const reader = new VscStreamReader();
    const t: Tunnel = {
      session: link.session,
      client: c,
      relay: null,
      fromDevice(bytes) {
        const r = reader.push(bytes);
        if (!r.ok) {
          malformed.value++;
          return r.error;
        }
        // The device's VSC_Init is for the server alone (spice-server drops it too).
        for (const m of r.value)
          if (m.type !== VscType.init) c.send({ name: 'data', body: { data: encodeVsc({ ...m, readerId }, 'client') } });
        return null;
      },
      guestOpen: () => {},
    };
    c.onMessage((m) => {
      if (m.name !== 'data') return;
      const v = decodeVscClient(m.body.data);
      if (!v.ok) return bad(c, v.error);
      const { type } = v.value;
      if (type === VscType.init) return;
      if (type === VscType.readerAdd || type === VscType.readerRemove)
        return t.relay?.write(encodeVsc({ type, readerId, payload: new Uint8Array(0) }, 'device'));
      if (type !== VscType.error && type !== VscType.atr && type !== VscType.cardRemove && type !== VscType.apdu) {
        malformed.value++;
        return log.warn({ type, peer: c.peer }, 'smartcard message of an unexpected type: dropped');
      }
      if (v.value.readerId !== readerId) return bad(c, `smartcard message for reader ${v.value.readerId}, which does not exist`);
      t.relay?.write(encodeVsc(v.value, 'device'));
    });
    return t;
  };

  serveHandoffs(server, {
    connected(socket, link, leftover) {
      const channel = { type: link.channelType, id: link.channelId };
      const chardev = chardevs.get(key(channel));
      const t =
        link.channelType === ChannelType.smartcard
          ? connectSmartcard(socket, link)
          : connectVmc(socket, link, chardev ?? { channel, name: '', guestOpen: false });
      if (!chardev) {
        t.client.close({ by: 'server', why: 'QEMU has no chardev for the channel now' });
        return t.client;
      }
      const before = tunnels.get(key(channel));
      tunnels.set(key(channel), t);
      before?.client.close({ by: 'session', why: 'a newer connection replaces it' });
      t.client.onClose(() => {
        if (tunnels.get(key(channel)) === t) tunnels.delete(key(channel));
      });
      attach(channel, t);
      t.client.feed(leftover);
      return t.client;
    },
    sessionEnded(session) {
      for (const t of tunnels.values()) if (t.session === session) t.client.close({ by: 'session', why: 'session ended' });
    },
  });
});
