import test from 'ava';
import { LinkError } from '../../codecs/protocol/link.js';
import { SpiceClient } from '../../client/session.js';
import { startTestServer } from '../helpers/server.js';
import { SpiceProbe } from '../helpers/spice-probe.js';
import { control, controlPath } from '../helpers/control.js';
import { refusal } from '../helpers/refusal.js';

// The control socket with spice-gtk 0.42 connected: what it lists, and what its commands do to a real client.

const opened = (p: SpiceProbe, ch: string) =>
  p.waitFor((e) => e.event === 'channel-event' && e.name === 'SPICE_CHANNEL_OPENED' && `${e.channel}:${e.id}` === ch, `${ch} opened`);

test("query-spice lists spice-gtk's channels; set_password and expire_password refuse new links; spice-disconnect closes it", async (t) => {
  const path = controlPath();
  const s = await startTestServer(['--password', 'old', '--control-socket', path]);
  t.teardown(() => s.stop());
  const gtk = new SpiceProbe(['--port', String(s.port), '--password', 'old']);
  t.teardown(() => gtk.kill());
  for (const ch of ['main:0', 'inputs:0', 'cursor:0']) await opened(gtk, ch);

  const info = (await control(path, 'query-spice')).return as { channels: Array<Record<string, unknown>>; 'mouse-mode': string };
  const channels = info.channels.map((c) => `${String(c['channel-type'])}:${String(c['channel-id'])}`).sort();
  t.deepEqual(channels, ['1:0', '3:0', '4:0'], 'main, inputs and cursor');
  const sessions = new Set(info.channels.map((c) => c['connection-id']));
  t.is(sessions.size, 1, 'one session');
  t.true(info.channels.every((c) => c.host === '127.0.0.1' && c.family === 'ipv4' && c.tls === false && Number(c.port) > 0));
  t.is(info['mouse-mode'], 'server', 'the recording host takes no absolute positions');

  t.deepEqual(await control(path, 'set_password', { protocol: 'spice', password: 'new' }), { return: {} });
  const refused = await refusal(SpiceClient.connect({ host: '127.0.0.1', port: s.port, password: 'old' }).then((c) => c.close()));
  t.is(refused, LinkError.permissionDenied, 'the old password no longer links');
  t.is(((await control(path, 'query-spice')).return as { channels: unknown[] }).channels.length, 3, 'keep: the connected client stays');

  t.deepEqual(await control(path, 'expire_password', { protocol: 'spice', time: 'now' }), { return: {} });
  const late = new SpiceProbe(['--port', String(s.port), '--password', 'new']);
  t.teardown(() => late.kill());
  t.is(await late.exited, 6, 'an expired password: SPICE_CHANNEL_ERROR_AUTH');

  t.deepEqual(await control(path, 'spice-disconnect', { 'connection-id': [...sessions][0] }), { return: {} });
  for (const ch of ['main:0', 'inputs:0', 'cursor:0']) {
    await gtk.waitFor(
      (e) => e.event === 'channel-event' && e.name === 'SPICE_CHANNEL_CLOSED' && `${e.channel}:${e.id}` === ch,
      `${ch} closed by the server`,
    );
  }
  t.deepEqual(((await control(path, 'query-spice')).return as { channels: unknown[] }).channels, [], 'nothing left connected');
});
