import test from 'ava';
import { filter, firstValueFrom } from 'rxjs';
import { SpiceClient, first } from '../../client/session.js';
import { playbackProtocol, recordProtocol } from '../../codecs/protocol/channels/audio.js';
import { AudioDataMode, capWords, ChannelType, PlaybackCap, RecordCap } from '../../codecs/protocol/enums.js';
import { OpusEncoder, opusChannels, opusFrameSamples, opusFrequency } from '../../codecs/audio/opus.js';
import { moved } from '../../runtime/envelope.js';
import { startAudioTestServer } from '../helpers/server.js';
import { eventually } from '../helpers/eventually.js';
import { seriesValue } from '../helpers/prometheus.js';
import { dominantHz, sine } from '../helpers/tone.js';

const format = { frequency: opusFrequency, channels: opusChannels };

/** A client of the audio test host's companion, once the playback and record channels are listed. */
async function audioClient(t: import('ava').ExecutionContext, flags: readonly string[] = []) {
  const s = await startAudioTestServer(['--disable-ticketing', ...flags]);
  t.teardown(() => s.stop());
  const client = await SpiceClient.connect({ host: '127.0.0.1', port: s.port });
  t.teardown(() => client.close());
  await eventually('the audio channels listed', () => client.channels.some((c) => c.type === ChannelType.record), 10_000);
  return { s, client };
}

test('record: malformed raw DATA and hostile Opus packets are dropped with a log line; the client stays and its good packets reach the host', async (t) => {
  const { s, client } = await audioClient(t, ['--metrics-addr', '127.0.0.1:0']);
  const rec = await client.openChannel(recordProtocol, 0, {}, capWords([RecordCap.opus, RecordCap.volume]));
  t.teardown(() => rec.close());
  const started = first(rec, 'start');
  void s.host.link.send({ kind: 'record-start', format });
  t.like(await started, { channels: 2, frequency: 48000 });
  const received: Uint8Array[] = [];
  s.host.link.messages$.subscribe((m) => {
    if (m.kind === 'recorded') received.push(m.pcm.value);
  });
  rec.send({ name: 'mode', body: { time: 0, mode: AudioDataMode.raw, data: new Uint8Array(0) } });
  rec.send({ name: 'data', body: { time: 1, data: Uint8Array.of(1, 2, 3) } });
  rec.send({ name: 'mode', body: { time: 2, mode: AudioDataMode.opus, data: new Uint8Array(0) } });
  rec.send({ name: 'data', body: { time: 3, data: new Uint8Array(0) } });
  rec.send({ name: 'data', body: { time: 4, data: new Uint8Array(400).fill(0xff) } });
  // 10 ms packets at about the pace of a microphone (the host's link drops what it cannot take).
  const enc = new OpusEncoder();
  for (let f = 0; f < 50; f++) {
    rec.send({
      name: 'data',
      body: { time: 10 + f, data: enc.encode(sine(1000, opusFrequency, opusChannels, opusFrameSamples, f * opusFrameSamples)) },
    });
    await new Promise((r) => setTimeout(r, 10));
  }
  await eventually('the good packets reached the host', () => received.reduce((n, p) => n + p.length, 0) >= 40 * 1920, 10_000);
  // The three bad packets (each logged as "record packet dropped" by the record actor): a raw one of broken frames, an empty and a hostile Opus one.
  const scrape = await (await fetch(`http://127.0.0.1:${s.companion.metricsPort}/metrics`)).text();
  t.is(seriesValue(scrape, 'spice_record_malformed_packets_total{actor="record"}'), 3);
  t.false(rec.socket.destroyed, 'the record channel stays open');
  const pcm = Buffer.concat(received);
  t.true(Math.abs(dominantHz(pcm.subarray(pcm.length / 2), 2, opusFrequency) - 1000) < 2);
});

test('playback: a client that stops reading has at most a few frames waiting; old ones are dropped and memory stays flat', async (t) => {
  const { s, client } = await audioClient(t, ['--metrics-addr', '127.0.0.1:0']);
  const pb = await client.openChannel(playbackProtocol, 0, {}, capWords([PlaybackCap.volume]));
  t.teardown(() => pb.close());
  const started = first(pb, 'start');
  void s.host.link.send({ kind: 'playback-start', format });
  await started;
  const scrape = async () => (await fetch(`http://127.0.0.1:${s.companion.metricsPort}/metrics`)).text();
  const chunk = 48000 * 4 * 0.1; // 100 ms
  const push = async (seconds: number) => {
    for (let i = 0; i < seconds * 10; i++) {
      void s.host.link.send({ kind: 'playback-pcm', pcm: moved(sine(440, 48000, 2, chunk / 4, i * (chunk / 4))) });
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const data = firstValueFrom(pb.messages$.pipe(filter((m) => m.name === 'data')));
  await push(1);
  await data;
  // The client stops reading: its socket buffers fill, then the companion's.
  pb.socket.pause();
  await push(10);
  const rss0 = process.memoryUsage().rss;
  const before = await scrape();
  await push(30);
  const after = await scrape();
  const rss1 = process.memoryUsage().rss;
  const queued = seriesValue(after, 'spice_channel_queued_messages{actor="playback"}');
  const dropped = [before, after].map((x) => seriesValue(x, 'spice_channel_dropped_messages_total{actor="playback"}'));
  t.log(
    `41 s of raw 48 kHz stereo to a client that stopped reading: ${queued} messages queued in the connection; ` +
      `frames dropped ${dropped[0]} after 10 s, ${dropped[1]} after 40 s; this process's RSS ${Math.round(rss0 / 2 ** 20)} → ${Math.round(rss1 / 2 ** 20)} MiB over the last 30 s`,
  );
  t.true(queued <= 1, `${queued} queued`);
  // 30 s of 10 ms frames, all but a few dropped.
  t.true(dropped[1]! - dropped[0]! > 2500, `${dropped[1]! - dropped[0]!} dropped`);
  t.true(rss1 - rss0 < 64 * 2 ** 20, 'memory stays flat');
});
