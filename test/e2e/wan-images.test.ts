/**
 * The WAN image encodings against a real client: QEMU 7.2 with `-display dbus` running the test
 * guest's text and desktop workloads, the companion with one `image-compression`, spice-gtk
 * (spice-probe.py) watching. After some seconds of drawing the guest is paused (QMP stop) and
 * what spice-gtk shows must be QMP screendump exactly; the metrics say the images went out in
 * the encoding under test.
 */
import test from 'ava';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { haveQemu } from '../../guest/qemu.js';
import { buildGuest, Guest, type GuestImage } from '../../guest/guest.js';
import { seriesValue } from '../helpers/prometheus.js';
import { clientMatchesGuest, readScreen } from '../helpers/screens.js';
import { companionOnBus } from '../helpers/server.js';
import { SpiceProbe } from '../helpers/spice-probe.js';

const qemuTest = haveQemu() ? test.serial : test.skip;
let built: Promise<GuestImage> | undefined;
const guestImage = (): Promise<GuestImage> => (built ??= buildGuest());

/**
 * The image type the metrics name for each mode's images of these workloads (lz4: spice-gtk has
 * the cap; auto_glz: the workloads' images are not smooth, so GLZ rather than QUIC).
 */
const cases: { mode: string; encoding: string; workloads: readonly ('text' | 'desktop')[] }[] = [
  { mode: 'lz4', encoding: 'lz4', workloads: ['text', 'desktop'] },
  { mode: 'glz', encoding: 'glz', workloads: ['text', 'desktop'] },
  { mode: 'auto_glz', encoding: 'glz', workloads: ['text', 'desktop'] },
];

for (const { mode, encoding, workloads } of cases) {
  qemuTest(`image-compression ${mode}: spice-gtk shows exactly the guest's ${workloads.join(' and ')} workloads`, async (t) => {
    const { bus, server } = await companionOnBus(t, ['--image-compression', mode, '--metrics-addr', '127.0.0.1:0']);
    const guest = await Guest.start({
      image: await guestImage(),
      display: ['-display', `dbus,addr=${bus.address}`],
      workload: workloads[0],
      vga: 'virtio',
      kernelArgs: ['draw=drm'],
    });
    t.teardown(() => guest.stop());
    await guest.waitReady();
    const probe = new SpiceProbe(['--port', String(server.port)]);
    t.teardown(() => probe.kill());
    await probe.waitFor((e) => e.event === 'primary-create', 'the primary surface at the client', 30_000);
    const scrape = async () => (await fetch(`http://127.0.0.1:${server.companion.metricsPort}/metrics`)).text();

    for (const workload of workloads) {
      if (workload !== workloads[0]) {
        const from = guest.mark();
        guest.sendSerial(`workload ${workload}`);
        await guest.waitForLine(new RegExp(`GUEST-READY workload=${workload}`), { from });
      }
      const before = await scrape();
      await new Promise((r) => setTimeout(r, 3000));
      await guest.qmp.execute('stop');
      const match = await clientMatchesGuest(
        () => guest.screendump(),
        () => probeScreen(probe, guest.dir),
      );
      const after = await scrape();
      await guest.qmp.execute('cont');
      // A series is made at its first sample: absent in the scrape before means none yet.
      const value = (s: string, series: string) => seriesValue(s, series) || 0;
      const count = (s: string) => value(s, `spice_display_images_total{actor="red-worker-0",encoding="${encoding}"}`);
      const bytes = (s: string) => seriesValue(s, 'spice_channel_sent_bytes_total{actor="display-0"}');
      const images = count(after) - count(before);
      t.true(
        images > 0,
        `${workload}: ${encoding} images sent; ${after
          .split('\n')
          .filter((l) => l.startsWith('spice_display_images_total'))
          .join(', ')}`,
      );
      const glz = (coded: string) => {
        const series = `spice_display_glz_pixels_total{actor="red-worker-0",coded="${coded}"}`;
        return value(after, series) - value(before, series);
      };
      const [earlier, same, literal] = [glz('earlier-image'), glz('same-image'), glz('literal')];
      const share = earlier / (earlier + same + literal);
      if (encoding === 'glz') t.true(earlier > 0, `${workload}: GLZ matches into earlier images`);
      t.log(
        `${mode}, ${workload}: ${images} ${encoding} images, ${bytes(after) - bytes(before)} display bytes in 3 s; ` +
          (encoding === 'glz'
            ? `GLZ pixels from earlier images ${(share * 100).toFixed(1)}% (${earlier} of ${earlier + same + literal}); `
            : '') +
          `spice-gtk = screendump ${match.screen.width}x${match.screen.height} at attempt ${match.attempts}`,
      );
    }
    t.is(await probe.quit(), 0);
  });
}

/** What the probe's spice-gtk shows on display 0. */
async function probeScreen(p: SpiceProbe, dir: string) {
  const path = join(dir, `probe-${Date.now()}.ppm`);
  await p.command({ cmd: 'screenshot', path, display: 0 });
  try {
    return readScreen(path);
  } finally {
    rmSync(path, { force: true });
  }
}
