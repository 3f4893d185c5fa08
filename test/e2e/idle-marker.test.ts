/**
 * An idle guest beside the companion, as bench:e2e's idle row has it: the test guest draws only
 * its 16x16 latency marker, every 137 ms. Such small images are compressed on the red-worker's
 * own thread (actors/pipeline/red-worker/compress-here.ts), so the markers reach spice-gtk with no
 * job in the compressor pool, at QEMU's default image settings, exactly.
 */
import test from 'ava';
import { buildGuest, Guest, type GuestImage } from '../../guest/guest.js';
import { haveQemu } from '../../guest/qemu.js';
import { startBus } from '../helpers/dbus-daemon.js';
import { actorFigure } from '../helpers/figures.js';
import { clientMatchesGuest, probeScreenshot } from '../helpers/screens.js';
import { startConfiguredServer } from '../helpers/server.js';
import { SpiceProbe } from '../helpers/spice-probe.js';

const qemuTest = haveQemu() ? test.serial : test.skip;
let built: Promise<GuestImage> | undefined;
const guestImage = (): Promise<GuestImage> => (built ??= buildGuest());

qemuTest(
  "the idle guest's markers go to spice-gtk compressed on the red-worker, none through the pool, and it shows them exactly",
  async (t) => {
    const bus = await startBus();
    t.teardown(() => bus.stop());
    const server = await startConfiguredServer(['--disable-ticketing', '--qemu-dbus', bus.address]);
    t.teardown(() => server.stop());
    const guest = await Guest.start({
      workload: 'idle',
      vga: 'virtio',
      kernelArgs: ['draw=drm', 'marker=1'],
      image: await guestImage(),
      display: ['-display', `dbus,addr=${bus.address}`],
    });
    t.teardown(() => guest.stop());
    await guest.waitReady();
    const p = new SpiceProbe(['--port', String(server.port)]);
    t.teardown(() => p.kill());
    await p.waitFor((e) => e.event === 'channel-event' && e.name === 'SPICE_CHANNEL_OPENED' && e.channel === 'display', 'display open');
    /** Images sent compressed (by any encoding but raw) so far. */
    const compressed = async () => {
      const worker = (await server.companion.supervisor.metrics()).find((m) => m.actor === 'red-worker-0');
      const images = worker?.samples.filter((x) => x.name === 'spice_display_images_total' && x.labels.encoding !== 'raw') ?? [];
      return images.reduce((sum, x) => sum + x.value, 0);
    };
    const figures = async () => ({
      poolJobs: await actorFigure(server.companion, 'compressor-pool', 'spice_compressor_jobs_total', { display: '0' }),
      sent: await actorFigure(server.companion, 'red-worker-0', 'spice_display_drawings_sent_total'),
      compressed: await compressed(),
    });
    // The first picture (the whole screen) is the pool's; from then on only markers change.
    const waitMarks = async (n: number) => {
      for (let i = 0; i < n; i++) await guest.waitForLine(/GUEST-MARK \d+/, { from: guest.mark(), timeoutMs: 30_000 });
    };
    await waitMarks(3);
    // The first picture's pool work may still be going (and, after the unwatched boot, the
    // damage the bridge held: an image too many, a known leftover): wait until three markers in
    // a row pass without a pool job (one was not enough on a loaded machine: the leftover came
    // after a quiet marker).
    let before = await figures();
    for (let i = 0, quiet = 0; i < 30 && quiet < 3; i++) {
      await waitMarks(1);
      const now = await figures();
      quiet = now.poolJobs === before.poolJobs ? quiet + 1 : 0;
      before = now;
    }
    before = await figures();
    await waitMarks(10);
    const after = await figures();
    t.log(`10 markers: ${JSON.stringify(before)} -> ${JSON.stringify(after)}`);
    t.true(after.sent - before.sent >= 5, 'the markers were sent');
    t.true(after.compressed - before.compressed >= 5, 'as compressed images');
    t.is(after.poolJobs, before.poolJobs, 'no pool job for them');

    const from = guest.mark();
    guest.sendSerial('pause');
    await guest.waitForLine(/^GUEST-PAUSED/, { from });
    await clientMatchesGuest(
      () => guest.screendump(),
      () => probeScreenshot(p, guest.dir),
    );
    t.is(await p.quit(), 0);
  },
);
