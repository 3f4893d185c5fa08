import { playbackProtocol as protocol } from '../../../codecs/protocol/channels/audio.js';
import { defineActor } from '../../../runtime/actor.js';
import { flip } from '../../../runtime/port.js';
import { AudioDataMode, AudioFormat, ChannelType, hasCap, PlaybackCap } from '../../../codecs/protocol/enums.js';
import { opusChannels, opusFrequency } from '../../../codecs/audio/opus.js';
import { spiceVolume } from '../../../codecs/audio/volume.js';
import { serveHandoffs } from '../../../channel/adopt.js';
import { ChannelConnection } from '../../../channel/connection.js';
import { channelMeter } from '../../../channel/meter.js';
import { mmTimeNow } from '../../../channel/mm-time.js';
import { playbackFromHost, serverToChannel, type AudioVolume, type PcmFormat, type PlaybackContract } from '../../contracts.js';
import { PlaybackStream } from './stream.js';

type Connection = ChannelConnection<(typeof protocol)['server']['defs'], (typeof protocol)['client']['defs']>;

/** The client sends only base messages (acks, pongs). */
const maxBody = 4096;

interface Client {
  readonly session: number;
  readonly c: Connection;
  stream: PlaybackStream | null;
}

/**
 * The playback channel: the host's audio output to every client. START (after MODE: Opus when
 * the client has the cap and `playback-compression` is on, raw otherwise), DATA in 10 ms frames
 * timed on the multi-media clock, STOP, VOLUME and MUTE to clients with the volume cap. A frame
 * is sent only when the connection has sent everything before it; meanwhile at most three wait,
 * the oldest dropped first.
 */
export default defineActor<PlaybackContract>((ctx) => {
  const meter = channelMeter(ctx.meter);
  const server = ctx.peer(flip(serverToChannel({ type: ChannelType.playback, id: 0 })));
  const host = ctx.peer(playbackFromHost);
  const clients = new Set<Client>();
  let playing: PcmFormat | null = null;
  let volume: AudioVolume | null = null;

  const start = (client: Client, format: PcmFormat) => {
    const opus = ctx.init.compression && hasCap(client.c.link.channelCaps, PlaybackCap.opus);
    client.stream = new PlaybackStream(format, opus ? 'opus' : 'raw');
    const time = mmTimeNow();
    client.c.send({ name: 'mode', body: { time, mode: opus ? AudioDataMode.opus : AudioDataMode.raw, data: new Uint8Array(0) } });
    const wire = opus ? { channels: opusChannels, frequency: opusFrequency } : format;
    client.c.send({ name: 'start', body: { channels: wire.channels, format: AudioFormat.s16, frequency: wire.frequency, time } });
  };
  const sendVolume = (client: Client, v: AudioVolume) => {
    if (!hasCap(client.c.link.channelCaps, PlaybackCap.volume)) return;
    client.c.send({ name: 'volume', body: { volume: spiceVolume(v.volume) } });
    client.c.send({ name: 'mute', body: { mute: v.mute ? 1 : 0 } });
  };
  /** Frames go out one at a time as the connection empties: the rest wait bounded in the stream. */
  const pump = (client: Client) => {
    const s = client.stream;
    if (!s) return;
    while (s.pending > 0 && client.c.queuedBytes === 0) client.c.send({ name: 'data', body: { time: mmTimeNow(), data: s.take()! } });
  };

  host.messages$.subscribe((m) => {
    switch (m.kind) {
      case 'start':
        playing = m.format;
        for (const client of clients) start(client, m.format);
        return;
      case 'stop':
        playing = null;
        for (const client of clients) {
          client.stream = null;
          client.c.send({ name: 'stop', body: {} });
        }
        return;
      case 'volume':
        volume = m;
        for (const client of clients) sendVolume(client, m);
        return;
      case 'pcm':
        for (const client of clients) {
          const s = client.stream;
          if (!s) continue;
          const before = s.dropped;
          s.push(m.pcm.value);
          meter.dropped.value += s.dropped - before;
          pump(client);
        }
        return;
    }
  });

  serveHandoffs(server, {
    connected(socket, link, leftover) {
      const c: Connection = new ChannelConnection(socket, link, protocol, { log: ctx.log, maxBody, qos: ctx.init.qos, meter });
      const client: Client = { session: link.session, c, stream: null };
      clients.add(client);
      c.onClose(() => clients.delete(client));
      c.onDrain(() => pump(client));
      c.onMessage((m) => c.close({ by: 'server', why: `unexpected ${m.name} on the playback channel` }));
      if (volume) sendVolume(client, volume);
      if (playing) start(client, playing);
      c.feed(leftover);
      return c;
    },
    sessionEnded(session) {
      for (const client of clients) if (client.session === session) client.c.close({ by: 'session', why: 'session ended' });
    },
  });
});
