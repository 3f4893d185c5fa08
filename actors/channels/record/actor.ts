import { recordProtocol as protocol } from '../../../codecs/protocol/channels/audio.js';
import { defineActor } from '../../../runtime/actor.js';
import { flip } from '../../../runtime/port.js';
import { moved } from '../../../runtime/envelope.js';
import { AudioDataMode, AudioFormat, ChannelType, hasCap, RecordCap } from '../../../codecs/protocol/enums.js';
import { OpusDecoder, opusChannels, opusFrequency } from '../../../codecs/audio/opus.js';
import { PcmConverter } from '../../../codecs/audio/convert.js';
import { spiceVolume } from '../../../codecs/audio/volume.js';
import { serveHandoffs } from '../../../channel/adopt.js';
import { ChannelConnection } from '../../../channel/connection.js';
import { channelMeter } from '../../../channel/meter.js';
import { recordToHost, serverToChannel, type AudioVolume, type PcmFormat, type RecordContract } from '../../contracts.js';

type Connection = ChannelConnection<(typeof protocol)['server']['defs'], (typeof protocol)['client']['defs']>;

/** spice-server's record receive buffer is 32 KiB; a raw packet is a frame or a few. */
const maxBody = 64 * 1024;
/**
 * What clients record: 48 kHz stereo S16, Opus's format (spice-gtk's Opus encoder is stereo and
 * needs an Opus rate); the host's voice gets it converted to its own when that differs.
 */
const wire: PcmFormat = { frequency: opusFrequency, channels: opusChannels };
const frameBytes = wire.channels * 2;

interface Client {
  readonly session: number;
  readonly c: Connection;
  mode: 'raw' | 'opus';
  decoder: OpusDecoder | null;
  converter: PcmConverter | null;
  /** Packets dropped as malformed: the first is logged, then every hundredth. */
  bad: number;
}

/**
 * The record channel: when the host's input voice is on, clients are asked to record (START,
 * VOLUME, MUTE); their DATA (raw, or Opus after a MODE saying so) becomes PCM in the host
 * voice's format, offered to the host's jitter buffer (dropped when the link is full: the host
 * is behind and older audio is worth less). Malformed packets are dropped with a log line.
 */
export default defineActor<RecordContract>((ctx) => {
  const meter = channelMeter(ctx.meter);
  const malformed = ctx.meter.counter(
    'spice_record_malformed_packets_total',
    'Record packets dropped as malformed (raw PCM of broken frames, Opus libopus refused).',
  );
  const server = ctx.peer(flip(serverToChannel({ type: ChannelType.record, id: 0 })));
  const host = ctx.peer(recordToHost);
  const clients = new Set<Client>();
  let recording: PcmFormat | null = null;
  let volume: AudioVolume | null = null;

  const start = (client: Client, format: PcmFormat) => {
    client.converter = new PcmConverter(wire, format);
    client.c.send({ name: 'start', body: { channels: wire.channels, format: AudioFormat.s16, frequency: wire.frequency } });
  };
  const sendVolume = (client: Client, v: AudioVolume) => {
    if (!hasCap(client.c.link.channelCaps, RecordCap.volume)) return;
    client.c.send({ name: 'volume', body: { volume: spiceVolume(v.volume) } });
    client.c.send({ name: 'mute', body: { mute: v.mute ? 1 : 0 } });
  };
  const drop = (client: Client, why: string) => {
    malformed.value++;
    if (client.bad++ % 100 === 0) ctx.log.warn({ peer: client.c.peer, why, dropped: client.bad }, 'record packet dropped');
  };
  const data = (client: Client, packet: Uint8Array) => {
    const converter = client.converter;
    if (!recording || !converter) return;
    let pcm = packet;
    if (client.mode === 'opus') {
      const r = client.decoder!.decode(packet);
      if (!r.ok) return drop(client, `Opus: ${r.error}`);
      pcm = r.value;
    } else if (packet.length % frameBytes !== 0)
      return drop(client, `${packet.length} bytes of raw PCM: not whole ${frameBytes}-byte frames`);
    const out = converter.convert(pcm);
    // The raw bytes are the receive buffer's: a copy moves, not them.
    if (!host.offer({ kind: 'pcm', pcm: moved(out === packet ? out.slice() : out) })) meter.dropped.value++;
  };

  host.messages$.subscribe((m) => {
    switch (m.kind) {
      case 'start':
        recording = m.format;
        for (const client of clients) start(client, m.format);
        return;
      case 'stop':
        recording = null;
        for (const client of clients) {
          client.converter = null;
          client.c.send({ name: 'stop', body: {} });
        }
        return;
      case 'volume':
        volume = m;
        for (const client of clients) sendVolume(client, m);
        return;
    }
  });

  serveHandoffs(server, {
    connected(socket, link, leftover) {
      const c: Connection = new ChannelConnection(socket, link, protocol, { log: ctx.log, maxBody, qos: ctx.init.qos, meter });
      const client: Client = { session: link.session, c, mode: 'raw', decoder: null, converter: null, bad: 0 };
      clients.add(client);
      c.onClose(() => clients.delete(client));
      c.onMessage((m) => {
        switch (m.name) {
          case 'mode':
            if (m.body.mode === AudioDataMode.raw) {
              client.mode = 'raw';
              client.decoder = null;
            } else if (m.body.mode === AudioDataMode.opus) {
              client.mode = 'opus';
              client.decoder = new OpusDecoder();
            } else drop(client, `mode ${m.body.mode}: only raw and Opus`);
            return;
          case 'start_mark':
            return;
          case 'data':
            return data(client, m.body.data);
          default:
            return c.close({ by: 'server', why: `unexpected ${m.name} on the record channel` });
        }
      });
      if (volume) sendVolume(client, volume);
      if (recording) start(client, recording);
      c.feed(leftover);
      return c;
    },
    sessionEnded(session) {
      for (const client of clients) if (client.session === session) client.c.close({ by: 'session', why: 'session ended' });
    },
  });
});
