import test from 'ava';
import { filter, firstValueFrom } from 'rxjs';
import { stillFrame } from '../../actors/hosts/demo-host/scene.js';
import { writePpm } from '../../codecs/image/ppm.js';
import { SpiceClient } from '../../client/session.js';
import { eventually } from '../helpers/eventually.js';
import { startConfiguredServer, startDisplayTestServer } from '../helpers/server.js';
import { frameColor } from '../fixtures/actors/qxl-test-host.js';
import type { ClientDisplay } from '../../client/display.js';

/** Pixel `i` of the client's primary surface as 0xRRGGBB. */
const colorAt = (d: ClientDisplay, i: number): number => {
  const p = d.surface!.bitmap.pixels;
  return p[i * 4]! | (p[i * 4 + 1]! << 8) | (p[i * 4 + 2]! << 16);
};

for (const compression of ['off', 'lz', 'quic', 'auto_lz']) {
  test(`our client draws the still frame exactly (${compression}), after SURFACE_CREATE, MONITORS_CONFIG and MARK`, async (t) => {
    const s = await startConfiguredServer([
      '--disable-ticketing',
      '--demo',
      'still',
      '--demo-size',
      '640x480',
      '--image-compression',
      compression,
    ]);
    t.teardown(() => s.stop());
    const client = await SpiceClient.connect({ host: '127.0.0.1', port: s.port });
    const d = await client.displayReady();
    await eventually('the first picture', () => d.marked && d.draws > 0, 20_000);
    t.is(d.error, null);
    t.deepEqual(d.monitors?.heads, [{ monitor_id: 0, surface_id: 0, width: 640, height: 480, x: 0, y: 0, flags: 0 }]);
    const names = d.channel.history.map((m) => m.name).filter((n) => n !== 'ping');
    // spice-server's order is create, the whole surface, monitors, mark; an image the host draws
    // before the first one is sent replaces it (it covers it), so mark may come before that image.
    t.deepEqual(names.slice(0, 3), ['set_ack', 'surface_create', 'monitors_config']);
    t.true(names.includes('mark') && names.includes('draw_copy'));
    t.true(Buffer.from(d.ppm()).equals(Buffer.from(writePpm(stillFrame(640, 480)))));
    client.close();
  });
}

test.serial(
  'a client that stops reading holds bounded memory, and when it reads again it gets the current screen, not every frame',
  async (t) => {
    const size = { width: 640, height: 480 };
    const s = await startDisplayTestServer(['--disable-ticketing', '--image-compression', 'off'], size);
    t.teardown(() => s.stop());
    const client = await SpiceClient.connect({ host: '127.0.0.1', port: s.port });
    const d = await client.displayReady();
    await s.host.link.ask({ kind: 'frames', count: 1, first: 0 });
    await eventually('the first frame', () => d.draws > 0, 20_000);
    // The client stops reading: its socket fills, the display channel holds the red-worker back.
    d.channel.socket.pause();
    const rssBefore = process.memoryUsage().rss;
    const frames = 300; // 300 raw 1.2 MB images: 350 MiB if all were kept
    const last = await s.host.link.ask({ kind: 'frames', count: frames, first: 1 });
    const grewMiB = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    const drawsBefore = d.draws;
    d.channel.socket.resume();
    const expected = frameColor(last);
    const pixelAt = (i: number) => colorAt(d, i);
    await eventually('the current screen', () => pixelAt(0) === expected && pixelAt(size.width * size.height - 1) === expected, 20_000);
    const received = d.draws - drawsBefore;
    t.log(
      `${frames} frames drawn while the client was not reading; it then received ${received} drawings; RSS grew ${grewMiB.toFixed(0)} MiB`,
    );
    t.true(received < frames / 4, `far fewer drawings than frames (${received})`);
    t.true(grewMiB < 100, `memory bounded (grew ${grewMiB.toFixed(0)} MiB)`);
    client.close();
  },
);

test('a new primary surface size reaches the client: surface destroyed and created, monitors updated, drawn', async (t) => {
  const s = await startDisplayTestServer(['--disable-ticketing', '--image-compression', 'lz'], { width: 320, height: 200 });
  t.teardown(() => s.stop());
  const client = await SpiceClient.connect({ host: '127.0.0.1', port: s.port });
  const d = await client.displayReady();
  await s.host.link.ask({ kind: 'frames', count: 1, first: 0 });
  await eventually('the first frame', () => d.draws > 0, 20_000);
  t.is(d.surface!.width, 320);
  await s.host.link.ask({ kind: 'resize', width: 400, height: 300 });
  const last = await s.host.link.ask({ kind: 'frames', count: 1, first: 7 });
  const color = () => colorAt(d, 0);
  await eventually(
    'the new surface, drawn',
    () => d.surface?.width === 400 && d.surface.height === 300 && color() === frameColor(last),
    20_000,
  );
  t.like(d.monitors?.heads?.[0], { width: 400, height: 300 });
  const names = d.channel.history.map((m) => m.name);
  t.true(names.lastIndexOf('surface_destroy') < names.lastIndexOf('surface_create'));
  client.close();
});

test('a new device for the display (a restarted host) resets the client: picture cleared, then MARK again with the new one', async (t) => {
  const s = await startDisplayTestServer(['--disable-ticketing', '--image-compression', 'lz'], { width: 200, height: 100 });
  t.teardown(() => s.stop());
  const client = await SpiceClient.connect({ host: '127.0.0.1', port: s.port });
  const d = await client.displayReady();
  await s.host.link.ask({ kind: 'frames', count: 1, first: 0 });
  await eventually('the first frame', () => d.marked && d.draws > 0, 20_000);
  await s.host.link.ask({ kind: 'new-device' });
  await eventually('the reset', () => d.resets === 1, 20_000);
  const last = await s.host.link.ask({ kind: 'frames', count: 1, first: 3 });
  const color = () => colorAt(d, 0);
  await eventually('marked again, with the new picture', () => d.marked && color() === frameColor(last), 20_000);
  const names = d.channel.history.map((m) => m.name);
  t.true(names.indexOf('reset') < names.lastIndexOf('mark'));
  client.close();
});

test('a restarted dispatcher asks for display 0 again when the host re-announces it: the root starts nothing twice and the client gets the new device', async (t) => {
  const s = await startDisplayTestServer(['--disable-ticketing', '--image-compression', 'lz', '--log-level', 'silent'], {
    width: 200,
    height: 100,
  });
  t.teardown(() => s.stop());
  const client = await SpiceClient.connect({ host: '127.0.0.1', port: s.port });
  const d = await client.displayReady();
  await s.host.link.ask({ kind: 'frames', count: 1, first: 0 });
  await eventually('the first frame', () => d.marked && d.draws > 0, 20_000);
  const restarted = firstValueFrom(
    s.companion.supervisor.events$.pipe(filter((e) => e.type === 'started' && e.actor === 'dispatcher' && e.generation === 2)),
  );
  await s.companion.supervisor.ref('dispatcher')!.worker!.terminate();
  await restarted;
  await s.host.link.ask({ kind: 'new-device' });
  await eventually('the reset', () => d.resets === 1, 20_000);
  const last = await s.host.link.ask({ kind: 'frames', count: 1, first: 5 });
  await eventually('marked again, with the new picture', () => d.marked && colorAt(d, 0) === frameColor(last), 20_000);
  t.is(d.resets, 1);
  t.is(colorAt(d, 0), frameColor(last));
  client.close();
});
