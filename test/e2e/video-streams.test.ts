/**
 * Video streams with real spice-gtk and a real QEMU: the test guest's movie workload becomes a
 * stream with the codec the client prefers, the client's screen tracks the guest's (SSIM against
 * QMP screendump, the guest paused), and once the video stops the stream ends and the client's
 * screen is the guest's exactly.
 */
import test, { type ExecutionContext } from 'ava';
import { rmSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { haveQemu } from '../../guest/qemu.js';
import { buildGuest, Guest, type GuestImage } from '../../guest/guest.js';
import { ssim } from '../../codecs/image/ssim.js';
import { crop } from '../../codecs/image/crop.js';
import { movieBox } from '../../guest/movie.js';
import type { Bitmap32 } from '../../codecs/image/bitmap.js';
import { videoCodecType } from '../../codecs/video/codec-list.js';
import type { VideoCodec } from '../../codecs/video/encoder.js';
import { eventually } from '../helpers/eventually.js';
import { seriesValue } from '../helpers/prometheus.js';
import { describeDiff, diffScreens, readScreen } from '../helpers/screens.js';
import { companionOnBus } from '../helpers/server.js';
import { SpiceProbe } from '../helpers/spice-probe.js';

const qemuTest = haveQemu() ? test.serial : test.skip;

let built: Promise<GuestImage> | undefined;
const guestImage = (): Promise<GuestImage> => (built ??= buildGuest());

async function probeScreen(p: SpiceProbe, dir: string): Promise<Bitmap32> {
  const path = join(dir, `probe-${Date.now()}.ppm`);
  await p.command({ cmd: 'screenshot', path });
  try {
    return readScreen(path);
  } finally {
    rmSync(path, { force: true });
  }
}

async function movieStream(t: ExecutionContext, codec: VideoCodec) {
  const { bus, server } = await companionOnBus(t, ['--metrics-addr', '127.0.0.1:0', '--streaming-video', 'filter']);
  const scrape = async () => (await fetch(`http://127.0.0.1:${server.companion.metricsPort}/metrics`)).text();
  // virtio-gpu with DRM drawing: QEMU's updates are the guest's exact rectangles.
  const guest = await Guest.start({
    image: await guestImage(),
    workload: 'movie',
    vga: 'virtio',
    kernelArgs: ['draw=drm'],
    display: ['-display', `dbus,addr=${bus.address}`],
  });
  t.teardown(() => guest.stop());
  const ready = await guest.waitReady({ timeoutMs: 60_000 });
  const p = new SpiceProbe(['--port', String(server.port)]);
  t.teardown(() => p.kill());
  await p.waitFor((e) => e.event === 'primary-create' && e.width === ready.width, 'the primary surface');
  await p.command({ cmd: 'preferred-video-codecs', codecs: [videoCodecType[codec]] });

  const series = `spice_display_streams_total{actor="red-worker-0",codec="${codec}"}`;
  const t0 = performance.now();
  await eventually(`a ${codec} stream`, async () => seriesValue(await scrape(), series) >= 1, 60_000);
  t.log(`${codec} stream created ${Math.round(performance.now() - t0)} ms after the client asked for ${codec}`);
  // Let it play a little: frames flow, the client decodes them.
  await new Promise((r) => setTimeout(r, 1500));
  const framesBefore = seriesValue(await scrape(), 'spice_display_stream_frames_total{actor="red-worker-0"}');

  const from = guest.mark();
  guest.sendSerial('pause');
  await guest.waitForLine(/^GUEST-PAUSED/, { from });
  const paused = performance.now();
  // The last frames reach the client within their playback delay (about 150 ms at first); the
  // stream ends at least 300 ms after its last frame, so this is still the stream's picture (or already exact).
  await new Promise((r) => setTimeout(r, 200));
  const streamed = await probeScreen(p, guest.dir);
  const shotAt = Math.round(performance.now() - paused);
  // The guest is paused: its screen stays as it was when the screenshot was taken.
  const dump = await guest.screendump();
  const region = movieBox(ready);
  const score = ssim(crop(streamed, region), crop(dump, region));
  const lossy = diffScreens(crop(streamed, region), crop(dump, region)).kind !== 'same';
  t.log(
    `${codec}: ${framesBefore} frames sent; client vs screendump, movie region, ${shotAt} ms after the pause: SSIM ${score.toFixed(4)}${lossy ? '' : ' (already exact)'}`,
  );
  // With SPICE_DEBUG=1, spice-gtk says which frames it dropped and why.
  const late = p.stderr.split('\n').filter((l) => /late/.test(l));
  if (late.length > 0) t.log(`spice-gtk: ${late.length} late-frame lines, the last: ${late.at(-1)}`);
  t.true(score >= 0.9, `SSIM ${score}`);

  let exactAt = -1;
  let last = '';
  while (performance.now() - paused < 6000) {
    const d = diffScreens(await probeScreen(p, guest.dir), dump);
    if (d.kind === 'same') {
      exactAt = Math.round(performance.now() - paused);
      break;
    }
    last = describeDiff(d);
    await new Promise((r) => setTimeout(r, 100));
  }
  // The bound is 2 s. From the guest's last frame to spice-gtk's pixels the end crosses
  // QEMU, five of the companion's threads and spice-gtk's, each waiting for a core while more
  // threads are runnable than there are cores: the bound scales by the load per core beyond 1,
  // at most threefold (past that the machine measures nothing but its queue).
  const load = loadavg()[0]! / availableParallelism();
  const bound = 2000 * Math.min(3, Math.max(1, load));
  t.log(
    `${codec}: the client's screen equals the screendump ${exactAt} ms after the pause (bound ${Math.round(bound)} ms, load ${load.toFixed(1)} per core)`,
  );
  t.true(exactAt >= 0, `never exact: ${last}`);
  t.true(exactAt <= bound, `exact only after ${exactAt} ms`);
  t.is(await p.quit(), 0);
}

for (const codec of ['mjpeg', 'vp8', 'h264'] as const) {
  qemuTest(`movie workload: spice-gtk gets a ${codec} stream that tracks the guest, and the exact screen once the video stops`, (t) =>
    movieStream(t, codec),
  );
}
