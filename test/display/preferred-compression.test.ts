import test from 'ava';
import { SpiceClient } from '../../client/session.js';
import { eventually } from '../helpers/eventually.js';
import { startCli } from '../helpers/cli.js';

test('PREFERRED_COMPRESSION values naming no mode are refused with a log line each; the client keeps its display', async (t) => {
  const server = startCli(['--port', '0', '--disable-ticketing', '--demo', 'still', '--demo-size', '320x200']);
  t.teardown(() => server.child.kill('SIGKILL'));
  const port = (await server.lineWith('spice-companion started')).port as number;
  const client = await SpiceClient.connect({ host: '127.0.0.1', port });
  t.teardown(() => client.close());
  const d = await client.displayReady();
  await eventually('the first picture', () => d.marked && d.draws > 0, 20_000);
  // 0 is INVALID; 8 and up name nothing; 255 is the largest a u8 carries.
  for (const value of [0, 8, 255]) d.channel.send({ name: 'preferred_compression', body: { image_compression: value } });
  const refused = 'PREFERRED_COMPRESSION of no known mode: refused';
  await eventually('three refusals logged', () => server.lines.filter((l) => l.msg === refused).length === 3, 10_000);
  t.deepEqual(
    server.lines.filter((l) => l.msg === refused).map((l) => l.compression),
    [0, 8, 255],
  );
  t.is(d.error, null);
  t.deepEqual(
    server.lines.filter((l) => l.msg === 'client disconnected'),
    [],
    'the client stays',
  );
});
