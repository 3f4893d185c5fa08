import test from 'ava';
import { SpiceClient } from '../../client/session.js';
import { LinkRefused } from '../../client/link.js';
import { startConfiguredServer } from '../helpers/server.js';
import { createServer } from 'node:net';
import { loadConfig, ConfigError } from '../../config/load.js';
import { parseArgs } from '../../config/flags.js';
import { StartError } from '../../runtime/start-error.js';
import { seriesValue } from '../helpers/prometheus.js';
import { eventually } from '../helpers/eventually.js';

test('/metrics: traffic and frames grow while a client watches the live demo; a wrong ticket counts as a refused link', async (t) => {
  const s = await startConfiguredServer([
    '--demo',
    'live',
    '--demo-size',
    '640x480',
    '--password',
    'pw',
    '--metrics-addr',
    '127.0.0.1:0',
    '--compressor-threads',
    '1',
  ]);
  t.teardown(() => s.stop());
  const url = `http://127.0.0.1:${s.companion.metricsPort}/metrics`;
  const scrape = async () => {
    const res = await fetch(url);
    t.is(res.status, 200);
    t.regex(res.headers.get('content-type') ?? '', /^text\/plain/);
    return res.text();
  };
  t.is((await fetch(`http://127.0.0.1:${s.companion.metricsPort}/other`)).status, 404);

  const first = await SpiceClient.connect({ host: '127.0.0.1', port: s.port, password: 'pw' });
  t.teardown(() => first.close());
  await first.displayReady();
  await new Promise((r) => setTimeout(r, 1000));
  const before = await scrape();
  // A client's first picture is one image of the whole screen: the first client's is made on the
  // red-worker (the pool starts after it), the next client's, larger than what the red-worker
  // compresses itself, is the pool's job (as, at this size, are the frames of the demo's video
  // window once it is found to be one).
  first.close();
  await eventually('the first client gone', async () => seriesValue(await scrape(), 'spice_clients{actor="server"}') === 0, 10_000, 50);
  const client = await SpiceClient.connect({ host: '127.0.0.1', port: s.port, password: 'pw' });
  t.teardown(() => client.close());
  await client.displayReady();
  await new Promise((r) => setTimeout(r, 1500));
  const after = await scrape();
  for (const series of [
    'spice_channel_sent_bytes_total{actor="display-0"}',
    'spice_channel_sent_messages_total{actor="display-0"}',
    'spice_display_drawings_sent_total{actor="red-worker-0"}',
  ]) {
    t.true(
      seriesValue(after, series) > seriesValue(before, series),
      `${series} grows: ${seriesValue(before, series)} -> ${seriesValue(after, series)}`,
    );
  }
  t.true(seriesValue(after, 'spice_channel_received_messages_total{actor="display-0"}') >= 1, 'DISPLAY_INIT and ACKs received');
  t.is(seriesValue(after, 'spice_clients{actor="server"}'), 1);
  t.is(seriesValue(after, 'spice_channels_linked{actor="server"}'), 4, 'main, inputs, cursor, display');
  t.is(seriesValue(after, 'spice_channel_connections{actor="display-0"}'), 1);
  t.true(
    after.split('\n').some((l) => l.startsWith('spice_display_images_total{actor="red-worker-0",encoding=')),
    'images by encoding',
  );
  t.true(seriesValue(after, 'spice_compressor_encode_seconds_total{actor="compressor-pool"}') > 0);
  t.true(seriesValue(after, 'spice_compressor_jobs_total{actor="compressor-pool",display="0"}') > 0);
  t.is(seriesValue(after, 'spice_actor_restarts_total{actor="display-0"}'), 0);
  t.true(seriesValue(after, 'spice_thread_cpu_seconds_total{thread="red-worker-0"}') >= 0);
  t.true(after.includes('process_resident_memory_bytes'), "prom-client's process figures");

  t.true(Number.isNaN(seriesValue(after, 'spice_link_refused_total{actor="server",reason="permissionDenied"}')), 'no refusal yet');
  await t.throwsAsync(SpiceClient.connect({ host: '127.0.0.1', port: s.port, password: 'wrong' }), { instanceOf: LinkRefused });
  t.is(seriesValue(await scrape(), 'spice_link_refused_total{actor="server",reason="permissionDenied"}'), 1, 'the wrong ticket counted');
});

test('metrics-addr takes HOST:PORT (IPv6 in brackets); a port in use stops start-up with one line naming it', async (t) => {
  const load = (addr: string) => loadConfig({ args: parseArgs(['--metrics-addr', addr]), env: {} }).config['metrics-addr'];
  t.is(load('[::1]:9500'), '[::1]:9500');
  t.is(load('localhost:0'), 'localhost:0');
  for (const bad of ['9500', '127.0.0.1', '127.0.0.1:70000', '::1:9500']) t.throws(() => load(bad), { instanceOf: ConfigError }, bad);
  const taken = createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
  t.teardown(() => void taken.close());
  const port = (taken.address() as { port: number }).port;
  await t.throwsAsync(startConfiguredServer(['--demo', 'off', '--metrics-addr', `127.0.0.1:${port}`]), {
    instanceOf: StartError,
    message: `metrics-addr: cannot listen on 127.0.0.1:${port}: EADDRINUSE`,
  });
});
