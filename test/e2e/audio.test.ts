/**
 * Sound through the companion: QEMU 7.2 with `-audiodev dbus` on a private bus (audio needs
 * one), the test guest playing and recording on QEMU's intel-hda + hda-duplex, spice-gtk as the
 * client. The judge of playback is the PCM spice-gtk hands its audio backend (decoded from Opus
 * when it was Opus); of record, the frequency the guest itself hears.
 */
import test, { type ExecutionContext } from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { haveQemu } from '../../guest/qemu.js';
import { companionOnBus } from '../helpers/server.js';
import { SpiceProbe, type ProbeEvent } from '../helpers/spice-probe.js';
import { buildGuest, Guest, type GuestImage } from '../../guest/guest.js';
import { seriesValue } from '../helpers/prometheus.js';
import { dominantHz, rms } from '../helpers/tone.js';
import { SpiceClient } from '../../client/session.js';
import { ChannelType } from '../../codecs/protocol/enums.js';
import type { ClientPlayback } from '../../client/playback.js';

const qemuTest = haveQemu() ? test.serial : test.skip;

let built: Promise<GuestImage> | undefined;
const guestImage = (): Promise<GuestImage> => (built ??= buildGuest());

/** QEMU's sound at 48 kHz both ways (no resampling for Opus), on an HDA card the guest drives. */
const sound = [
  '-audiodev',
  'dbus,id=snd0,out.frequency=48000,in.frequency=48000',
  '-device',
  'intel-hda',
  '-device',
  'hda-duplex,audiodev=snd0',
];

/** The companion on a private bus with `flags`, the test guest playing a `hz` tone on it, and spice-gtk connected. */
async function setup(t: ExecutionContext, flags: readonly string[], hz = 440) {
  const { bus, server, stats } = await companionOnBus(t, ['--metrics-addr', '127.0.0.1:0', ...flags]);
  const guest = await Guest.start({
    image: await guestImage(),
    workload: 'tone',
    kernelArgs: [`tone=${hz}`],
    qemuArgs: sound,
    display: ['-display', `dbus,addr=${bus.address},audiodev=snd0`],
  });
  t.teardown(() => guest.stop());
  t.like(await guest.waitReady(), { workload: 'tone' });
  const probe = new SpiceProbe(['--port', String(server.port)]);
  t.teardown(() => probe.kill());
  const scrape = async () => (await fetch(`http://127.0.0.1:${server.companion.metricsPort}/metrics`)).text();
  return { guest, probe, stats, scrape, dir: guest.dir };
}

/** The dominant frequency of the last second spice-gtk received, after `settleMs` of playing. */
async function playedHz(t: ExecutionContext, probe: SpiceProbe, dir: string): Promise<number> {
  const path = join(dir, 'playback.pcm');
  const r = await probe.command({ cmd: 'playback-dump', path, seconds: 1 });
  const pcm = readFileSync(path);
  const channels = r.channels as number;
  const rate = r.rate as number;
  t.true(pcm.length >= rate * channels * 2 * 0.9, `${pcm.length} bytes of PCM`);
  t.true(rms(pcm, channels) > 1000, `the tone is audible (RMS ${Math.round(rms(pcm, channels))})`);
  return dominantHz(pcm, channels, rate);
}

const playbackBytes = (scrape: string) => seriesValue(scrape, 'spice_channel_sent_bytes_total{actor="playback"}');

async function playback(t: ExecutionContext, flags: readonly string[]) {
  const { probe, scrape, dir } = await setup(t, flags);
  const start = await probe.waitFor((e) => e.event === 'playback-start', 'playback START', 60_000);
  t.like(start, { channels: 2, rate: 48000 });
  await probe.waitFor((e) => e.event === 'playback-data', 'playback DATA', 30_000);
  // Two seconds of the tone, the channel's bytes counted over them.
  await new Promise((r) => setTimeout(r, 1000));
  const before = playbackBytes(await scrape());
  await new Promise((r) => setTimeout(r, 2000));
  const rate = (playbackBytes(await scrape()) - before) / 2;
  const hz = await playedHz(t, probe, dir);
  t.log(`the client heard ${hz} Hz; the playback channel sent ${Math.round(rate / 1024)} KiB/s`);
  t.true(Math.abs(hz - 440) <= 2, `${hz} Hz`);
  return rate;
}

qemuTest(
  "the guest's 440 Hz tone reaches spice-gtk within 2 Hz as Opus (spice-gtk has the cap; playback-compression on by default)",
  async (t) => {
    const bytesPerS = await playback(t, []);
    // Raw 48 kHz stereo S16 is 192,000 B/s: Opus is a small fraction of it.
    t.true(bytesPerS > 0 && bytesPerS < 192_000 / 4, `${bytesPerS} B/s`);
  },
);

qemuTest("the guest's 440 Hz tone reaches spice-gtk within 2 Hz as raw PCM with playback-compression off", async (t) => {
  const bytesPerS = await playback(t, ['--playback-compression', 'off']);
  t.true(bytesPerS > 192_000 * 0.8, `${bytesPerS} B/s`);
});

qemuTest("spice-gtk's 1 kHz tone reaches the guest within 5 Hz; QEMU's Read is answered at once", async (t) => {
  const { guest, probe, stats } = await setup(t, []);
  await probe.waitFor(
    (e) => e.event === 'channel-event' && e.channel === 'record' && e.name === 'SPICE_CHANNEL_OPENED',
    'record channel',
    60_000,
  );
  // The guest opens its capture device: QEMU enables its input voice, the client is asked to record.
  const first = recordInGuest(t, guest, 60_000);
  await probe.waitFor((e) => e.event === 'record-start', 'record START', 30_000);
  await probe.command({ cmd: 'record-tone', hz: 1000, seconds: 6 });
  t.log(`first recording (it began before the client's tone): ${(await first)[0]}`);
  // Once the tone flows, a second recording hears only it.
  const m = await recordInGuest(t, guest, 30_000);
  const hz = Number(m[1]);
  const s = (await stats()).audio;
  t.log(
    `the guest heard ${m[0]}; QEMU Reads ${s.reads}, answered with some silence ${s.underruns}; Read handled in p50 ${s.readUs.p50} µs, p99 ${s.readUs.p99} µs, max ${s.readUs.max} µs`,
  );
  t.true(Math.abs(hz - 1000) <= 5, `${hz} Hz`);
  t.true(s.reads > 0 && s.readUs.p99 < 1000, 'Read answered within a millisecond');
});

/**
 * The guest's `record` answer. Its capture device busy (the guest kernel's HDA stream still held
 * by the recorder before it, under load) is the guest's, not the companion's: asked again, at
 * most four times; any other error fails at once.
 */
async function recordInGuest(t: ExecutionContext, guest: Guest, timeoutMs: number): Promise<RegExpMatchArray> {
  for (let attempt = 1; ; attempt++) {
    const from = guest.mark();
    guest.sendSerial('record');
    const m = await guest.waitForLine(/GUEST-TONE ([\d.]+)|GUEST-ERROR record: (.*)/, { from, timeoutMs });
    if (m[1] !== undefined) return m;
    if (!/busy/i.test(m[2] ?? '') || attempt === 4) throw new Error(`the guest could not record: ${m[0]}`);
    t.log(`the guest's capture device was busy (attempt ${attempt}): recording again`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

qemuTest('volume and mute set in the guest reach spice-gtk', async (t) => {
  const { guest, probe } = await setup(t, []);
  await probe.waitFor((e) => e.event === 'playback-volume', 'the volume a client gets as it connects', 60_000);
  // The guest's mixer starts muted (Linux's default), and QEMU reports a muted amp at volume 0.
  t.like(
    await after(
      probe,
      () => guest.sendSerial('mute 0'),
      (e) => e.event === 'playback-mute' && e.mute === false,
      'unmuted',
    ),
    { mute: false },
  );
  // QEMU sets each channel's volume in turn: the second brings both to the new level.
  const half = (e: ProbeEvent) => e.event === 'playback-volume' && (e.volume as number[]).every((x) => x > 0 && x < 65535);
  const volume = await after(probe, () => guest.sendSerial('volume 50'), half, 'both channels at the new volume');
  const levels = volume.volume as number[];
  t.log(`the guest's volume at 50 %: spice-gtk's volume ${levels.join(', ')} of 65535`);
  t.is(levels.length, 2);
  t.like(
    await after(
      probe,
      () => guest.sendSerial('mute 1'),
      (e) => e.event === 'playback-mute' && e.mute === true,
      'muted',
    ),
    { mute: true },
  );
});

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

/** The first probe event matching `match` after `act`. */
async function after(probe: SpiceProbe, act: () => void, match: (e: ProbeEvent) => boolean, what: string): Promise<ProbeEvent> {
  const from = probe.events.length;
  act();
  return probe.waitFor((e) => probe.events.indexOf(e) >= from && match(e), what, 30_000);
}

qemuTest(
  'A/V sync: with a movie streaming and a tone playing, stream frames and audio packets carry one clock, LATENCY says what the streams need; when the tone stops, MULTI_MEDIA_TIME again',
  async (t) => {
    const { bus, server } = await companionOnBus(t);
    const guest = await Guest.start({
      image: await guestImage(),
      workload: 'movie',
      vga: 'virtio',
      kernelArgs: ['draw=drm', 'sound=1'],
      qemuArgs: sound,
      display: ['-display', `dbus,addr=${bus.address},audiodev=snd0`],
    });
    t.teardown(() => guest.stop());
    await guest.waitReady({ timeoutMs: 60_000 });
    const client = await SpiceClient.connect(
      { host: '127.0.0.1', port: server.port },
      { open: [ChannelType.display, ChannelType.playback, ChannelType.cursor, ChannelType.inputs] },
    );
    t.teardown(() => client.close());
    const display = await client.displayReady(60_000);
    // How far behind the server's multi-media clock each kind arrives: what a client that keeps
    // time by the audio sees as the gap between picture and sound.
    const lag = { video: [] as number[], audio: [] as number[] };
    display.channel.messages$.subscribe((m) => {
      if (m.name === 'stream_data' || m.name === 'stream_data_sized') lag.video.push(performance.now() - m.body.base.multi_media_time);
    });
    guest.sendSerial('tone 440');
    const deadline = Date.now() + 60_000;
    while ((!client.playback?.format || lag.video.length === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const playback = client.playback!;
    t.truthy(playback.format, 'the tone plays');
    playback.packets$.subscribe((p) => lag.audio.push(performance.now() - p.time));
    // Four seconds of both, once the stream runs with the audio.
    await new Promise((r) => setTimeout(r, 1000));
    lag.video.length = 0;
    lag.audio.length = 0;
    await new Promise((r) => setTimeout(r, 4000));
    const video = median(lag.video);
    const audio = median(lag.audio);
    t.log(
      `${lag.video.length} frames, ${lag.audio.length} audio packets: arrival less stamp p50 video ${video.toFixed(1)} ms, audio ${audio.toFixed(1)} ms (offset ${(video - audio).toFixed(1)} ms); LATENCY ${playback.latencyMs} ms`,
    );
    t.true(lag.video.length > 20 && lag.audio.length > 200, 'both flowed');
    // One clock: a frame arrives as late after its stamp as sound does, give or take its
    // encoding and a frame's wait (before, frames were stamped 400 ms back plus their delay).
    t.true(Math.abs(video - audio) < 100, `picture and sound ${(video - audio).toFixed(1)} ms apart`);
    t.true(playback.latencyMs !== null && playback.latencyMs > 0, 'LATENCY from the stream');
    // The tone stops: the client's clock is the display's again, from a MULTI_MEDIA_TIME.
    const stopped = new Promise<void>((resolve) => playback.channel.messages$.subscribe((m) => m.name === 'stop' && resolve()));
    const mmTime = new Promise<number>((resolve) =>
      client.main.messages$.subscribe((m) => m.name === 'multi_media_time' && resolve(performance.now() - m.body.time)),
    );
    guest.sendSerial('tone 0');
    await stopped;
    // The display's clock runs 400 ms behind the server's (spice-server's MM_TIME_DELTA), the audio's did not.
    const behind = (await mmTime) - audio;
    t.log(`after STOP, MULTI_MEDIA_TIME puts the client's clock ${behind.toFixed(0)} ms behind the one the audio gave`);
    t.true(Math.abs(behind - 400) < 150, `${behind.toFixed(0)} ms`);
  },
);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** When the client heard loud 10 ms packets, and its channel's other messages and the guest's sound lines (for the log). */
class Loudness {
  readonly loud: number[] = [];
  readonly events: string[] = [];
  watch(playback: ClientPlayback): void {
    playback.packets$.subscribe((p) => {
      if (rms(p.pcm, p.format.channels) > 2000) this.loud.push(performance.now());
    });
    playback.channel.messages$.subscribe((m) => {
      if (m.name !== 'data') this.events.push(`${Math.round(performance.now())} ${m.name}`);
    });
  }
  since(at: number): number {
    return this.loud.filter((t) => t >= at).length;
  }
}

// Issue 13's silent bench rows: a tone row after the guest's sound job restarted heard (almost)
// nothing. Each switch to `beep` kills the player and opens the PCM again (QEMU's voice disabled
// and enabled, or kept on when the new player comes before it drained).
qemuTest("every restart of the guest's player is heard: bursts reach the client after each reopen of its playback device", async (t) => {
  const { bus, server, stats } = await companionOnBus(t);
  const guest = await Guest.start({
    image: await guestImage(),
    workload: 'idle',
    kernelArgs: ['sound=1'],
    qemuArgs: sound,
    display: ['-display', `dbus,addr=${bus.address},audiodev=snd0`],
  });
  t.teardown(() => guest.stop());
  await guest.waitReady({ timeoutMs: 60_000 });
  const client = await SpiceClient.connect({ host: '127.0.0.1', port: server.port }, { open: [ChannelType.playback] });
  t.teardown(() => client.close());
  const deadline = Date.now() + 30_000;
  while (!client.playback && Date.now() < deadline) await sleep(50);
  const heard = new Loudness();
  heard.watch(client.playback!);
  const beeps: number[] = [];
  guest.onLine((l) => {
    if (l.startsWith('GUEST-BEEP')) beeps.push(performance.now());
    if (/^GUEST-(ERROR|SOUND)/.test(l)) heard.events.push(`${Math.round(performance.now())} ${l}`);
  });
  const silent: number[] = [];
  for (let round = 0; round < 8; round++) {
    await guest.switchWorkload('beep');
    const from = performance.now();
    // A burst every 500 ms: six announced, then a second for the last to arrive.
    const until = Date.now() + 30_000;
    while (beeps.filter((b) => b >= from).length < 6 && Date.now() < until) await sleep(100);
    await sleep(1000);
    const announced = beeps.filter((b) => b >= from).length;
    const loud = heard.since(from);
    const s = (await stats()).audio;
    t.log(`round ${round}: ${announced} bursts announced, ${loud} loud packets heard; written ${s.written} dropped ${s.dropped}`);
    // A burst is ten loud packets: fewer than three each is a round heard (almost) not at all.
    if (loud < announced * 3) silent.push(round);
  }
  t.log(heard.events.join('\n'));
  t.deepEqual(silent, [], 'rounds that heard (almost) nothing');
});
