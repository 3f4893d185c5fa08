import test from 'ava';
import { stillFrame } from '../../actors/hosts/demo-host/scene.js';
import { writePpm } from '../../codecs/image/ppm.js';
import { SpiceClient, first } from '../../client/session.js';
import { startCli } from '../helpers/cli.js';
import { eventually } from '../helpers/eventually.js';

// Inputs and cursor 0 start only after display 0's first drawing (actors/root/companion.ts): a
// client that links them at once waits in the server's links until they are up, then is served.
test('a client linking as soon as the port opens gets inputs and cursor served once their actors are up', async (t) => {
  const { child, lines, lineWith } = startCli(['--port', '0', '--disable-ticketing', '--demo', 'still', '--log-level', 'debug']);
  t.teardown(() => child.kill('SIGKILL'));
  const { port } = (await lineWith('listening')) as { port: number };
  const client = await SpiceClient.connect({ host: '127.0.0.1', port });
  t.teardown(() => client.close());
  const [inputs, cursor] = await Promise.all([first(client.inputs!, 'init'), first(client.cursor!, 'init')]);
  t.is(typeof inputs.keyboard_modifiers, 'number');
  t.is(typeof cursor.visible, 'number');
  await lineWith('spice-companion started');
  const at = (msg: string, match: (l: Record<string, unknown>) => boolean) => lines.find((l) => l.msg === msg && match(l))?.time as number;
  const linkedAt = (channel: string) => at('linked', (l) => l.channel === channel);
  const startedAt = (actor: string) => at('actor started', (l) => l.actor === actor);
  // The server's link of each channel, then its actor's start, in the log: the links were made
  // before those actors existed (the client's own connect ends later, after its first picture).
  t.true(linkedAt('inputs') < startedAt('inputs'), 'inputs linked before its actor was up');
  t.true(linkedAt('cursor') < startedAt('cursor-0'), 'cursor-0 linked before its actor was up');
  client.inputs!.send({ name: 'key_down', body: { code: 0x1e } });
  client.inputs!.send({ name: 'key_up', body: { code: 0x9e } });
  // The demo host takes the keys without a word; the channel stays up and the client is not dropped.
  await new Promise((r) => setTimeout(r, 200));
  t.false(client.inputs!.socket.destroyed, 'the inputs channel is still up');
});

// The compressor pool starts after display 0's first drawing too: a client there at once gets its
// first picture, the whole screen, compressed on the red-worker's thread, and exact.
test('a client linking as soon as the port opens gets its first picture exact before the compressor pool is up', async (t) => {
  const { child, lines, lineWith } = startCli([
    '--port',
    '0',
    '--disable-ticketing',
    '--demo',
    'still',
    '--demo-size',
    '640x480',
    '--log-level',
    'debug',
  ]);
  t.teardown(() => child.kill('SIGKILL'));
  const { port } = (await lineWith('listening')) as { port: number };
  const client = await SpiceClient.connect({ host: '127.0.0.1', port });
  t.teardown(() => client.close());
  const d = await client.displayReady();
  await eventually('the first picture', () => d.marked && d.draws > 0, 30_000);
  t.is(d.error, null);
  t.true(Buffer.from(d.ppm()).equals(Buffer.from(writePpm(stillFrame(640, 480)))), 'the demo frame, exactly');
  await lineWith('spice-companion started');
  const at = (msg: string, actor?: string) => lines.findIndex((l) => l.msg === msg && (actor === undefined || l.actor === actor));
  t.true(at('first drawing sent') >= 0, 'display 0 sent its first drawing');
  t.true(at('first drawing sent') < at('actor started', 'compressor-pool'), 'the pool started after it');
  // The display keeps when it drew first (a probe that watches only once connect() ends reads it
  // there): after the server linked its channel, and by the time the client had the picture.
  const linkedAt = lines.find((l) => l.msg === 'linked' && l.channel === 'display')!.time as number;
  t.true(d.firstDrawnAt !== null && d.firstDrawnAt >= linkedAt - 5 && d.firstDrawnAt <= performance.timeOrigin + performance.now());
});
