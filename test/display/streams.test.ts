import test from 'ava';
import { SpiceClient } from '../../client/session.js';
import { eventually } from '../helpers/eventually.js';
import { startConfiguredServer } from '../helpers/server.js';

test("our client gets the demo desktop's animated region as an MJPEG stream (no MULTI_CODEC: MJPEG only) and draws its frames", async (t) => {
  const s = await startConfiguredServer(['--disable-ticketing', '--demo', '--demo-size', '1024x768', '--streaming-video', 'filter']);
  t.teardown(() => s.stop());
  const client = await SpiceClient.connect({ host: '127.0.0.1', port: s.port });
  t.teardown(() => client.close());
  const d = await client.displayReady();
  await eventually('stream frames drawn', () => d.streamFrames >= 5 || d.error !== null, 60_000);
  t.is(d.error, null);
  const create = d.channel.history.find((m) => m.name === 'stream_create');
  t.like(create?.body, { codec_type: 1, flags: 1, surface_id: 0 });
  t.is(d.streams.size, 1);
  const names = new Set(d.channel.history.map((m) => m.name));
  t.false(names.has('stream_activate_report'), 'this client did not advertise STREAM_REPORT');
});

test('with streaming-video off, no stream', async (t) => {
  const s = await startConfiguredServer(['--disable-ticketing', '--demo', '--demo-size', '1024x768', '--streaming-video', 'off']);
  t.teardown(() => s.stop());
  const client = await SpiceClient.connect({ host: '127.0.0.1', port: s.port });
  t.teardown(() => client.close());
  const d = await client.displayReady();
  await eventually('many drawings', () => d.draws > 60, 60_000);
  t.false(d.channel.history.some((m) => m.name === 'stream_create'));
});

test('a client with STREAM_REPORT answers STREAM_ACTIVATE_REPORT with STREAM_REPORTs', async (t) => {
  const s = await startConfiguredServer(['--disable-ticketing', '--demo', '--demo-size', '1024x768', '--streaming-video', 'filter']);
  t.teardown(() => s.stop());
  const client = await SpiceClient.connect({ host: '127.0.0.1', port: s.port }, { videoCodecs: ['mjpeg'] });
  t.teardown(() => client.close());
  const d = await client.displayReady();
  await eventually('stream reports sent', () => d.reportsSent >= 2 || d.error !== null, 60_000);
  t.is(d.error, null);
  t.true(d.channel.history.some((m) => m.name === 'stream_activate_report'));
});
