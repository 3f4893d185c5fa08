import { playbackProtocol as protocol } from '../../../codecs/protocol/channels/audio.js';
import { defineActor } from '../../../runtime/actor.js';
import { flip } from '../../../runtime/port.js';
import { AudioDataMode, AudioFormat, ChannelType, hasCap, PlaybackCap } from '../../../codecs/protocol/enums.js';
import { opusChannels, opusFrequency } from '../../../codecs/audio/opus.js';
import { serveHandoffs } from '../../../channel/adopt.js';
import { AudioClients } from '../../../channel/audio-clients.js';
import { ChannelConnection } from '../../../channel/connection.js';
import { channelMeter } from '../../../channel/meter.js';
import { mmTimeNow } from '../../../channel/mm-time.js';
import { playbackFromHost, serverToChannel, type PcmFormat, type PlaybackContract } from '../../contracts.js';
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
 * stamped on the multi-media clock as the host's PCM completes them, STOP, VOLUME and MUTE to
 * clients with the volume cap, LATENCY (what the video streams need) to clients with the
 * latency cap while the host plays. A frame is sent only when the connection has sent
 * everything before it; meanwhile at most three wait, the oldest dropped first.
 */
export default defineActor<PlaybackContract>((ctx) => {
  const meter = channelMeter(ctx.meter);
  const server = ctx.peer(flip(serverToChannel({ type: ChannelType.playback, id: 0 })));
  const host = ctx.peer(playbackFromHost);
  /** The playback latency the video streams asked for; null: none asked. */
  let latencyMs: number | null = null;

  const sendLatency = (client: Client) => {
    if (latencyMs !== null && hasCap(client.c.link.channelCaps, PlaybackCap.latency))
      client.c.send({ name: 'latency', body: { latency_ms: latencyMs } });
  };
  const clients = new AudioClients<Client>(
    PlaybackCap.volume,
    (client: Client, format: PcmFormat) => {
      const opus = ctx.init.compression && hasCap(client.c.link.channelCaps, PlaybackCap.opus);
      client.stream = new PlaybackStream(format, opus ? 'opus' : 'raw');
      const time = mmTimeNow();
      client.c.send({ name: 'mode', body: { time, mode: opus ? AudioDataMode.opus : AudioDataMode.raw, data: new Uint8Array(0) } });
      const wire = opus ? { channels: opusChannels, frequency: opusFrequency } : format;
      client.c.send({ name: 'start', body: { channels: wire.channels, format: AudioFormat.s16, frequency: wire.frequency, time } });
      // spice-gtk resets its latency at START.
      sendLatency(client);
    },
    (client) => (client.stream = null),
  );
  /** Frames go out one at a time as the connection empties: the rest wait bounded in the stream. */
  const pump = (client: Client) => {
    const s = client.stream;
    if (!s) return;
    while (s.pending > 0 && client.c.queuedBytes === 0) {
      const { time, data } = s.take()!;
      client.c.send({ name: 'data', body: { time, data } });
    }
  };

  host.messages$.subscribe((m) => {
    switch (m.kind) {
      case 'start':
      case 'stop':
        if ((m.kind === 'start') !== (clients.voice !== null)) void ctx.parent.send({ kind: 'playing', on: m.kind === 'start' });
        return clients.host(m);
      case 'volume':
        return clients.host(m);
      case 'pcm': {
        const now = mmTimeNow();
        for (const client of clients) {
          const s = client.stream;
          if (!s) continue;
          const before = s.dropped;
          s.push(m.pcm.value, now);
          meter.dropped.value += s.dropped - before;
          pump(client);
        }
        return;
      }
    }
  });

  ctx.parent.messages$.subscribe((m) => {
    latencyMs = m.ms;
    if (clients.voice) for (const client of clients) sendLatency(client);
  });

  serveHandoffs(server, {
    connected(socket, link, leftover) {
      const c: Connection = new ChannelConnection(socket, link, protocol, { log: ctx.log, maxBody, qos: ctx.init.qos, meter });
      const client: Client = { session: link.session, c, stream: null };
      c.onDrain(() => pump(client));
      c.onMessage((m) => c.close({ by: 'server', why: `unexpected ${m.name} on the playback channel` }));
      clients.add(client);
      c.feed(leftover);
      return c;
    },
    sessionEnded: (session) => clients.sessionEnded(session),
  });
});
