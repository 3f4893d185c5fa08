import test from 'ava';
import { startCli } from '../helpers/cli.js';
import { makeTestCa } from '../helpers/test-ca.js';
import { control, controlPath } from '../helpers/control.js';
import { eventually } from '../helpers/eventually.js';
import { SpiceProbe } from '../helpers/spice-probe.js';

// Switch-host migration with spice-gtk 0.42: client_migrate_info on one companion names another,
// spice-migrate-switch sends MIGRATE_SWITCH_HOST, and the client links to the other by itself.

/** A companion serving the still demo under `name`, listening as `listen` says (a free plain port by default). */
const companion = async (name: string, listen = ['--port', '0']) => {
  const socket = controlPath();
  const cli = startCli([...listen, '--password', 's3cret', '--demo', 'still', '--name', name, '--control-socket', socket]);
  const started = await cli.lineWith('spice-companion started');
  return { cli, socket, port: started.port as number, tlsPort: started.tlsPort as number };
};

type Info = { channels: Array<Record<string, unknown>>; migration?: Record<string, unknown> };
const query = async (socket: string) => (await control(socket, 'query-spice')).return as Info;

test('spice-gtk follows spice-migrate-switch to the client_migrate_info target', async (t) => {
  const [source, target] = await Promise.all([companion('source'), companion('target')]);
  t.teardown(() => void [source, target].forEach((c) => c.cli.child.kill('SIGKILL')));
  const gtk = new SpiceProbe(['--port', String(source.port), '--password', 's3cret']);
  t.teardown(() => gtk.kill());
  await gtk.waitFor((e) => e.event === 'session-name' && e.name === 'source', 'the source named');
  await gtk.waitFor((e) => e.event === 'primary-create', 'the source display', 30_000);

  const args = { protocol: 'spice', hostname: '127.0.0.1', port: target.port, 'cert-subject': 'C=XX,O=test,CN=127.0.0.1' };
  t.deepEqual(await control(source.socket, 'client_migrate_info', args), { return: {} });
  t.deepEqual((await query(source.socket)).migration, { hostname: '127.0.0.1', port: target.port, 'cert-subject': args['cert-subject'] });

  const since = gtk.events.length;
  t.deepEqual(await control(source.socket, 'spice-migrate-switch'), { return: { clients: 1 } });
  const after = (match: (e: (typeof gtk.events)[number]) => boolean) => (e: (typeof gtk.events)[number]) =>
    gtk.events.indexOf(e) >= since && match(e);
  await gtk.waitFor(
    after((e) => e.event === 'channel-event' && e.channel === 'main' && e.name === 'SPICE_CHANNEL_SWITCHING'),
    'switching',
  );
  await gtk.waitFor(
    after((e) => e.event === 'session-name' && e.name === 'target'),
    'the target named',
    30_000,
  );
  await gtk.waitFor(
    after((e) => e.event === 'primary-create'),
    'the target display',
    30_000,
  );

  // The client is the target's now, every channel of it; the source has none and its target is used up.
  await eventually(
    'the target to list main, display, inputs, cursor',
    async () => (await query(target.socket)).channels.length === 4,
    15_000,
  );
  const channels = (await query(target.socket)).channels.map((c) => c['channel-type']).sort();
  t.deepEqual(channels, [1, 2, 3, 4]);
  await eventually('the source to list nothing', async () => (await query(source.socket)).channels.length === 0, 15_000);
  t.is((await query(source.socket)).migration, undefined);
  t.is(gtk.events.filter((e) => e.event === 'disconnected').length, 0, 'the session never ended');
});

test('a switch to a TLS-only target: spice-gtk takes its tls-port and checks its certificate against cert-subject', async (t) => {
  const ca = makeTestCa();
  const [source, target] = await Promise.all([companion('source'), companion('target', ['--tls-port', '0', '--x509-dir', ca.dir])]);
  t.teardown(() => void [source, target].forEach((c) => c.cli.child.kill('SIGKILL')));
  const gtk = new SpiceProbe(['--port', String(source.port), '--password', 's3cret', '--ca-file', ca.caFile]);
  t.teardown(() => gtk.kill());
  await gtk.waitFor((e) => e.event === 'session-name' && e.name === 'source', 'the source named');

  const to = { protocol: 'spice', hostname: '127.0.0.1', port: -1, 'tls-port': target.tlsPort, 'cert-subject': ca.subject };
  t.deepEqual(await control(source.socket, 'client_migrate_info', to), { return: {} });
  t.deepEqual(await control(source.socket, 'spice-migrate-switch'), { return: { clients: 1 } });
  // RSA keys and TLS are slow on a loaded machine.
  await gtk.waitFor((e) => e.event === 'session-name' && e.name === 'target', 'the target named', 45_000);
  await eventually(
    'the target to list main over TLS',
    async () => (await query(target.socket)).channels.some((c) => c['channel-type'] === 1 && c.tls === true),
    15_000,
  );
});
