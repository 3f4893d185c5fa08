import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { statSync, writeFileSync } from 'node:fs';
import { StartError } from '../../runtime/start-error.js';
import { LinkError } from '../../codecs/protocol/link.js';
import { LinkRefused } from '../../client/link.js';
import { SpiceClient } from '../../client/session.js';
import { startTestServer } from '../helpers/server.js';
import { cliPath, startCli } from '../helpers/cli.js';
import { control, ControlClient, controlPath } from '../helpers/control.js';

const run = promisify(execFile);

const refusal = async (p: Promise<SpiceClient>): Promise<number | null> => {
  try {
    (await p).close();
  } catch (err) {
    if (err instanceof LinkRefused) return err.code;
    throw err;
  }
  return -1;
};

test('set_password, expire_password and spice-disconnect act on the server; query-spice lists the client', async (t) => {
  const path = controlPath();
  const s = await startTestServer(['--password', 'old', '--control-socket', path]);
  t.teardown(() => s.stop());
  t.is(statSync(path).mode & 0o777, 0o600, 'only the owner may connect');
  const ep = { host: '127.0.0.1', port: s.port };

  const first = await SpiceClient.connect({ ...ep, password: 'old' });
  const info = (await control(path, 'query-spice')).return as { port: number; auth: string; channels: Array<Record<string, unknown>> };
  t.is(info.port, s.port);
  t.is(info.auth, 'spice');
  t.deepEqual(info.channels.map((c) => c['channel-type']).sort(), [1, 3, 4], 'main, inputs, cursor');
  t.true(info.channels.every((c) => c['connection-id'] === first.init.session_id && c.family === 'ipv4' && c.tls === false));

  t.deepEqual(
    await control(path, 'set_password', { protocol: 'spice', password: 'new', connected: 'fail' }),
    { error: { class: 'GenericError', desc: 'Could not set password' } },
    'fail: a client is connected',
  );
  t.deepEqual(await control(path, 'set_password', { protocol: 'spice', password: 'new' }), { return: {} });
  t.is(await refusal(SpiceClient.connect({ ...ep, password: 'old' })), LinkError.permissionDenied, 'the old password is refused');
  const second = await SpiceClient.connect({ ...ep, password: 'new' });
  t.truthy(second.inputs, 'the new password links');

  const closed = new Promise((resolve) => second.main.socket.once('close', resolve));
  t.deepEqual(await control(path, 'spice-disconnect', { 'connection-id': second.init.session_id }), { return: {} });
  await closed;
  t.deepEqual(await control(path, 'spice-disconnect'), { error: { class: 'GenericError', desc: 'no client is connected' } });

  t.deepEqual(await control(path, 'expire_password', { protocol: 'spice', time: 'now' }), { return: {} });
  await new Promise((r) => setTimeout(r, 20));
  t.is(await refusal(SpiceClient.connect({ ...ep, password: 'new' })), LinkError.permissionDenied, 'expired');
  t.deepEqual(await control(path, 'expire_password', { protocol: 'spice', time: 'never' }), { return: {} });
  (await SpiceClient.connect({ ...ep, password: 'new' })).close();
  first.close();
});

test('hostile input gets error replies; a line over 64 KiB closes its connection; the server keeps serving', async (t) => {
  const path = controlPath();
  const s = await startTestServer(['--disable-ticketing', '--control-socket', path]);
  t.teardown(() => s.stop());
  const { client, greeting } = await ControlClient.connect(path);
  t.deepEqual(greeting, { QMP: { version: { 'spice-companion': 'test' }, capabilities: [] } });
  const error = async (raw: string) => {
    client.send(raw);
    return ((await client.next()).error as { class: string }).class;
  };
  t.is(await error('{"execute": \n'), 'GenericError', 'bad JSON');
  t.is(await error('[1,2]\n'), 'GenericError', 'not an object');
  t.is(await error(`${'['.repeat(32_000)}${']'.repeat(32_000)}\n`), 'GenericError', 'deeply nested, within the line limit');
  t.is(
    await error(`{"execute":"set_password","arguments":{"protocol":"spice","password":${'['.repeat(30_000)}${']'.repeat(30_000)}}}\n`),
    'GenericError',
    'a nested password',
  );
  t.is(await error('{"arguments": {}}\n'), 'GenericError', 'no execute');
  t.is(await error('{"execute": "quit"}\n'), 'CommandNotFound');
  t.is(await error('{"execute": "set_password", "arguments": {"protocol": "vnc", "password": "x"}}\n'), 'GenericError');
  t.is(await error('{"execute": "query-spice", "arguments": {"extra": 1}}\n'), 'GenericError', 'unknown arguments');
  const desc = async (args: object) => ((await client.request('client_migrate_info', args)).error as { desc: string } | undefined)?.desc;
  const to = { protocol: 'spice', hostname: 'dst.example', port: 5900 };
  t.regex((await desc({ ...to, hostname: 'dst\u0000evil' }))!, /hostname: expected a host name/, 'a NUL in the host');
  t.regex((await desc({ ...to, hostname: 'a'.repeat(256) }))!, /hostname: expected a host name/, 'a host too long');
  t.regex((await desc({ ...to, hostname: '' }))!, /hostname/, 'no host');
  t.regex((await desc({ ...to, port: 70000 }))!, /port: expected 1\.\.65535 or -1/);
  t.regex((await desc({ ...to, port: -1 }))!, /port or tls-port is needed/);
  t.regex((await desc({ ...to, 'cert-subject': 'CN=x\nO=y' }))!, /cert-subject: expected a certificate subject/);
  t.regex((await desc({ ...to, 'cert-subject': 'x'.repeat(1025) }))!, /cert-subject/);
  t.deepEqual(await client.request('spice-migrate-switch'), {
    error: { class: 'GenericError', desc: 'no migration target: give client_migrate_info first' },
  });
  t.is(await desc({ ...to, 'tls-port': -1, 'cert-subject': 'O=x,CN=dst' }), undefined, 'a good target is taken');
  const migration = async () => ((await client.request('query-spice')).return as { migration?: object }).migration;
  t.deepEqual(await migration(), { hostname: 'dst.example', port: 5900, 'cert-subject': 'O=x,CN=dst' }, 'query-spice shows it');
  t.deepEqual(await client.request('spice-migrate-switch'), { return: { clients: 0 } }, 'no client: nothing sent');
  t.like(await migration(), { hostname: 'dst.example' }, 'kept for the next switch');
  client.send('{"execute": "qmp_capabilities", "id": 7}\n');
  t.deepEqual(await client.next(), { return: {}, id: 7 }, 'the id comes back');
  // Many requests in one write are answered in order.
  client.send('{"execute":"qmp_capabilities","id":1}\n'.repeat(40));
  for (let i = 0; i < 40; i++) t.is((await client.next()).id, 1);

  // A line with no end in sight, in pieces.
  for (let i = 0; i < 20; i++) client.send('x'.repeat(4096));
  t.regex(((await client.next()).error as { desc: string }).desc, /longer than 65536 bytes/);
  await client.closed;
  // And one long line in one piece.
  const again = await ControlClient.connect(path);
  again.client.send(`{"execute":"query-spice","pad":"${'y'.repeat(70_000)}"}\n`);
  t.regex(((await again.client.next()).error as { desc: string }).desc, /longer than/);
  await again.client.closed;
  t.is(((await control(path, 'query-spice')).return as { enabled: boolean }).enabled, true, 'still serving');
});

test('spice-companion control SOCKET COMMAND [JSON] prints the reply; exit 0 for a return, 1 for an error', async (t) => {
  const path = controlPath();
  const cli = startCli(['--port', '0', '--demo', 'off', '--disable-ticketing', '--control-socket', path]);
  t.teardown(() => void cli.child.kill('SIGTERM'));
  await cli.lineWith('spice-companion started');
  const ok = await run(process.execPath, [cliPath, 'control', path, 'query-spice']);
  const reply = JSON.parse(ok.stdout) as { return: { enabled: boolean; auth: string; channels: unknown[] } };
  t.like(reply.return, { enabled: true, auth: 'none', channels: [] });
  const set = await run(process.execPath, [cliPath, 'control', path, 'set_password', '{"protocol":"spice","password":"p"}']);
  t.is(set.stdout, '{"return":{}}\n');
  const bad = await run(process.execPath, [cliPath, 'control', path, 'nope']).catch((err: { code: number; stdout: string }) => err);
  t.like(bad, { code: 1 });
  t.regex(bad.stdout, /CommandNotFound/);
  const usage = await run(process.execPath, [cliPath, 'control', path]).catch((err: { code: number; stderr: string }) => err);
  t.like(usage, { code: 2 });
  t.true(
    cli.lines.some((l) => l.msg === 'control command' && l.command === 'set_password'),
    'logged by name (never the password)',
  );
  t.false(cli.lines.some((l) => JSON.stringify(l).includes('"p"')));
});

test('a control-socket path holding something else than a socket stops start-up; a stale socket is replaced', async (t) => {
  const path = controlPath();
  writeFileSync(path, 'not mine');
  await t.throwsAsync(startTestServer(['--disable-ticketing', '--control-socket', path]), {
    instanceOf: StartError,
    message: `control-socket: ${path} exists and is not a socket`,
  });
  const stale = controlPath();
  // A process killed while listening leaves its socket file behind.
  await run(process.execPath, [
    '-e',
    `require('net').createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, 'SIGKILL'))`,
  ]).catch(() => {});
  t.true(statSync(stale).isSocket());
  const s = await startTestServer(['--disable-ticketing', '--control-socket', stale]);
  t.teardown(() => s.stop());
  t.is(((await control(stale, 'query-spice')).return as { port: number }).port, s.port, 'the companion listens there');
});
