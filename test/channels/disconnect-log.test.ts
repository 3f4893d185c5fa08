import test from 'ava';
import type { Socket } from 'node:net';
import { SpiceClient } from '../../client/session.js';
import { startCli } from '../helpers/cli.js';

test('a client that resets its connections is logged as gone, without a warning', async (t) => {
  const server = startCli(['--port', '0', '--disable-ticketing', '--demo', 'off']);
  t.teardown(() => server.child.kill('SIGKILL'));
  const port = (await server.lineWith('spice-companion started')).port as number;
  const client = await SpiceClient.connect({ host: '127.0.0.1', port });
  for (const channel of [client.inputs!, client.main]) (channel.socket as Socket).resetAndDestroy();
  await server.lineWith('client disconnected');
  await new Promise((r) => setTimeout(r, 500));
  const gone = server.lines.filter((l) => l.msg === 'client disconnected');
  t.true(
    gone.some((l) => /ECONNRESET/.test(String(l.reason))),
    'the reset is said, at info level',
  );
  t.deepEqual(
    server.lines.filter((l) => (l.level as number) >= 40),
    [],
    'no warning or error',
  );
});
