/**
 * The pixmap cache and scroll detection against a real client: QEMU 7.2 with `-display dbus`
 * running the test guest's text workload (a terminal scrolling a line a frame, damage without
 * copy information) and desktop workload (windows sliding over a gradient, found as moves), the companion at its
 * defaults, spice-gtk (spice-probe.py) watching. After some seconds of drawing the guest is
 * paused and what spice-gtk shows must be QMP screendump exactly (so every COPY_BITS, fill and
 * FROM_CACHE was drawn right); the metrics count what went out.
 */
import test from 'ava';
import { haveQemu } from '../../guest/qemu.js';
import { buildGuest, Guest } from '../../guest/guest.js';
import { metricSum, seriesValue } from '../helpers/prometheus.js';
import { clientMatchesGuest, headScreen, probeScreenshot } from '../helpers/screens.js';
import { companionOnBus } from '../helpers/server.js';
import { SpiceProbe } from '../helpers/spice-probe.js';

const qemuTest = haveQemu() ? test.serial : test.skip;

qemuTest(
  "spice-gtk shows the guest's scrolling text and its desktop exactly, the scroll sent mostly as COPY_BITS, images found in the pixmap cache",
  async (t) => {
    const { bus, server } = await companionOnBus(t, ['--metrics-addr', '127.0.0.1:0']);
    const guest = await Guest.start({
      image: await buildGuest(),
      display: ['-display', `dbus,addr=${bus.address}`],
      workload: 'text',
      vga: 'virtio',
      kernelArgs: ['draw=drm'],
    });
    t.teardown(() => guest.stop());
    await guest.waitReady();
    const probe = new SpiceProbe(['--port', String(server.port)]);
    t.teardown(() => probe.kill());
    await probe.waitFor((e) => e.event === 'primary-create', 'the primary surface at the client', 30_000);
    const scrape = async () => (await fetch(`http://127.0.0.1:${server.companion.metricsPort}/metrics`)).text();
    // A series is made at its first sample: absent means none yet.
    const value = (s: string, series: string) => seriesValue(s, series) || 0;
    const drawn = (s: string, kind: string) => value(s, `spice_display_drawn_total{actor="red-worker-0",kind="${kind}"}`);
    const cached = (s: string, result: string) => value(s, `spice_display_pixmap_cache_total{actor="red-worker-0",result="${result}"}`);

    for (const workload of ['text', 'desktop'] as const) {
      if (workload !== 'text') {
        await guest.switchWorkload(workload);
      }
      const before = await scrape();
      await new Promise((r) => setTimeout(r, 5000));
      await guest.qmp.execute('stop');
      const match = await clientMatchesGuest(
        () => guest.screendump(),
        () => probeScreenshot(probe, guest.dir),
      );
      const after = await scrape();
      await guest.qmp.execute('cont');
      const delta = (f: (s: string) => number) => f(after) - f(before);
      const [copies, images, fills] = ['copy-bits', 'image', 'fill'].map((k) => delta((s) => drawn(s, k)));
      const [hits, added, skipped] = ['hit', 'added', 'skipped'].map((r) => delta((s) => cached(s, r)));
      // The bridge's planning (QEMU's Updates) and the red-worker's (hosts' copies).
      const motionMs = delta((s) => metricSum(s, 'spice_display_motion_seconds_total') * 1000);
      const bytes = delta((s) => seriesValue(s, 'spice_channel_sent_bytes_total{actor="display-0"}'));
      t.log(
        `${workload}: ${copies} COPY_BITS, ${images} images (${hits} of them FROM_CACHE), ${fills} fills in 5 s; ` +
          `pixmap cache: ${hits} hits, ${added} added, ${skipped} too large (hit rate ${((100 * hits) / Math.max(1, hits + added)).toFixed(1)}%); ` +
          `${bytes} display bytes; ${motionMs.toFixed(0)} ms looking for motion; spice-gtk = screendump ${match.screen.width}x${match.screen.height} at attempt ${match.attempts}`,
      );
      if (workload === 'text') {
        t.true(copies > 10, `text: ${copies} COPY_BITS`);
        // Each scroll is one COPY_BITS of the moved rows and one image of the new line: as many copies as images.
        t.true(copies >= images / 2, `text mostly COPY_BITS: ${copies} copies, ${images} images`);
      } else {
        t.true(added > 0, 'desktop: images went into the cache');
        // The sliding windows are found in the damage QEMU gives without copy information.
        t.true(copies > 5, `desktop: windows dragged as COPY_BITS: ${copies}`);
      }
    }
    t.is(await probe.quit(), 0);
  },
);

qemuTest(
  "two heads showing the same pixels (virtio-vga max_outputs=2, the guest mirroring): spice-gtk's one pixmap cache, a display drawing images the other sent, evictions behind WAIT_FOR_CHANNELS; both heads exact",
  async (t) => {
    const { bus, server } = await companionOnBus(t, ['--metrics-addr', '127.0.0.1:0']);
    const guest = await Guest.start({
      image: await buildGuest(),
      display: ['-display', `dbus,addr=${bus.address}`],
      workload: 'desktop',
      vga: 'virtio',
      outputs: 2,
      // Head 1 connected from the start (QEMU enables it only once a client asks), so the guest mirrors onto it.
      kernelArgs: ['draw=mirror', 'video=Virtual-2:e'],
    });
    t.teardown(() => guest.stop());
    await guest.waitReady({ timeoutMs: 120_000 });
    // A cache of 2 Mi pixels (two screens): it fills, and images one display used are evicted by the other.
    const probe = new SpiceProbe(['--port', String(server.port), '--cache-size', String(8 * 1024 * 1024)]);
    t.teardown(() => probe.kill());
    for (const id of [0, 1]) await probe.waitFor((e) => e.event === 'primary-create' && e.id === id, `display ${id}`, 30_000);
    await new Promise((r) => setTimeout(r, 5000));
    await guest.qmp.execute('stop');
    for (const head of [0, 1]) {
      const match = await clientMatchesGuest(
        () => headScreen(guest, head),
        () => probeScreenshot(probe, guest.dir, head),
      );
      t.log(`spice-gtk = screendump head ${head} ${match.screen.width}x${match.screen.height} at attempt ${match.attempts}`);
    }
    const metrics = await (await fetch(`http://127.0.0.1:${server.companion.metricsPort}/metrics`)).text();
    const figure = (name: string, head: number) => seriesValue(metrics, `${name}{actor="red-worker-${head}"}`) || 0;
    const figures = [0, 1].map((head) => ({
      hits: seriesValue(metrics, `spice_display_pixmap_cache_total{actor="red-worker-${head}",result="hit"}`) || 0,
      shared: figure('spice_display_pixmap_cache_shared_hits_total', head),
      evicted: figure('spice_display_pixmap_cache_evicted_total', head),
      waits: figure('spice_display_pixmap_cache_waits_total', head),
    }));
    for (const [head, f] of figures.entries())
      t.log(`display ${head}: ${f.hits} hits, ${f.shared} of them on the other display's images; ${f.evicted} evicted, ${f.waits} waits`);
    const sum = (k: keyof (typeof figures)[number]) => figures.reduce((n, f) => n + f[k], 0);
    t.true(sum('shared') > 0, "a display drew from the cache what the other sent (the client's one cache)");
    t.true(sum('waits') > 0, 'images the other display used were dropped behind a WAIT_FOR_CHANNELS (and spice-gtk kept drawing)');
    t.is(await probe.quit(), 0);
  },
);
