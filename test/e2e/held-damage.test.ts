/**
 * What the QEMU bridge holds while no client watches a display (the guest's drawing since boot,
 * merged) is in the picture a client gets when it connects: the red-worker does not send it
 * again on top. QEMU 7.2 with `-display dbus` running the test guest's still idle frame, the TS
 * client connecting once it is drawn.
 */
import test from 'ava';
import { haveQemu } from '../../guest/qemu.js';
import { buildGuest, Guest } from '../../guest/guest.js';
import { SpiceClient } from '../../client/session.js';
import { seriesValue } from '../helpers/prometheus.js';
import { companionOnBus } from '../helpers/server.js';

const qemuTest = haveQemu() ? test.serial : test.skip;

qemuTest('a client connecting to a guest that drew while no one watched gets one picture, not the held damage again', async (t) => {
  const { bus, server } = await companionOnBus(t, ['--metrics-addr', '127.0.0.1:0']);
  const guest = await Guest.start({
    image: await buildGuest(),
    display: ['-display', `dbus,addr=${bus.address}`],
    workload: 'idle',
    vga: 'virtio',
    kernelArgs: ['draw=drm'],
  });
  t.teardown(() => guest.stop());
  await guest.waitReady();
  // The idle frame is drawn and still; all of it waited in the bridge.
  await new Promise((r) => setTimeout(r, 1000));
  const client = await SpiceClient.connect({ host: '127.0.0.1', port: server.port });
  t.teardown(() => client.close());
  const display = await client.displayReady();
  await new Promise((r) => setTimeout(r, 2000));
  const metrics = await (await fetch(`http://127.0.0.1:${server.companion.metricsPort}/metrics`)).text();
  const images = seriesValue(metrics, 'spice_display_drawn_total{actor="red-worker-0",kind="image"}') || 0;
  t.log(`${images} images drawn for the client; its screen ${display.surface?.width}x${display.surface?.height}`);
  t.is(display.error, null);
  t.is(images, 1, 'the first picture only');
});
