import { recordProtocol as protocol } from '../../../codecs/protocol/channels/audio.js';
import { defineActor } from '../../../runtime/actor.js';
import { flip } from '../../../runtime/port.js';
import { moved } from '../../../runtime/envelope.js';
import { AudioDataMode, AudioFormat, ChannelType, RecordCap } from '../../../codecs/protocol/enums.js';
import { OpusDecoder, opusChannels, opusFrequency } from '../../../codecs/audio/opus.js';
import { PcmConverter } from '../../../codecs/audio/convert.js';
import { serveHandoffs } from '../../../channel/adopt.js';
import { AudioClients } from '../../../channel/audio-clients.js';
import { ChannelConnection } from '../../../channel/connection.js';
import { channelMeter } from '../../../channel/meter.js';
import { recordToHost, serverToChannel, type PcmFormat, type RecordContract } from '../../contracts.js';

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
  const clients = new AudioClients<Client>(
    RecordCap.volume,
    (client: Client, format: PcmFormat) => {
      client.converter = new PcmConverter(wire, format);
      client.c.send({ name: 'start', body: { channels: wire.channels, format: AudioFormat.s16, frequency: wire.frequency } });
    },
    (client) => (client.converter = null),
  );
  const drop = (client: Client, why: string) => {
    malformed.value++;
    if (client.bad++ % 100 === 0) ctx.log.warn({ peer: client.c.peer, why, dropped: client.bad }, 'record packet dropped');
  };
  const data = (client: Client, packet: Uint8Array) => {
    const converter = client.converter;
    if (!clients.voice || !converter) return;
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

  host.messages$.subscribe((m) => clients.host(m));

  serveHandoffs(server, {
    connected(socket, link, leftover) {
      const c: Connection = new ChannelConnection(socket, link, protocol, { log: ctx.log, maxBody, qos: ctx.init.qos, meter });
      const client: Client = { session: link.session, c, mode: 'raw', decoder: null, converter: null, bad: 0 };
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
      clients.add(client);
      c.feed(leftover);
      return c;
    },
    sessionEnded: (session) => clients.sessionEnded(session),
  });
});
