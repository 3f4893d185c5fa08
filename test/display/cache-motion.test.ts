import test from 'ava';
import { spiceGtkDisplayInit } from '../../client/display.js';
import { SpiceClient } from '../../client/session.js';
import { eventually } from '../helpers/eventually.js';
import { startConfiguredServer } from '../helpers/server.js';

/**
 * The animated demo desktop (its pictures recur, and its moving window gives COPY_BITS) against our client with the cache sizes a client may offer: the
 * client's cache stays in step with the server's (a FROM_CACHE of an image it does not hold, or
 * more pixels than it offered, is an error there), evictions come as INVAL_LIST, and the
 * COPY_BITS motion detection sends are drawn.
 */
for (const { name, pixels } of [
  { name: "spice-gtk's", pixels: spiceGtkDisplayInit.pixmap_cache_size },
  { name: 'a small', pixels: 100_000n },
  { name: 'a negative (no cache)', pixels: -1n },
]) {
  // One at a time: each is a server, the demo and a client on a 2-core machine.
  test.serial(`the demo desktop with ${name} pixmap cache: the client's cache in step with the server's`, async (t) => {
    const s = await startConfiguredServer(['--disable-ticketing', '--demo', '--demo-size', '640x480']);
    t.teardown(() => s.stop());
    const client = await SpiceClient.connect(
      { host: '127.0.0.1', port: s.port },
      { displayInit: { ...spiceGtkDisplayInit, pixmap_cache_size: pixels } },
    );
    t.teardown(() => client.close());
    const d = await client.displayReady();
    await eventually('120 drawings', () => d.draws >= 120 || d.error !== null, 100_000);
    t.is(d.error, null);
    const got = (name: string) => d.received.get(name) ?? 0;
    t.log(`${got('draw_copy')} images (${d.pixmaps.hits} from the cache), ${got('copy_bits')} copy-bits, ${got('inval_list')} INVAL_LISTs`);
    if (pixels < 0n) return t.is(d.pixmaps.size, 0, 'nothing cached');
    // With a small cache, whether a picture recurs before it is evicted depends on the demo's pace
    // (the machine's load): there the test is that evictions are told and the caches stay in step.
    if (pixels === 100_000n) t.true(got('inval_list') > 0, 'evictions told');
    else t.true(d.pixmaps.hits > 0, 'images drawn from the cache');
    t.true(got('copy_bits') > 0, 'moves sent as COPY_BITS');
  });
}
