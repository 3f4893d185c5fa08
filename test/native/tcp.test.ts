import test from 'ava';
import net from 'node:net';
import { setNotSentLowat } from '../../native/index.js';
import { socketFd } from '../../actors/server/listeners.js';

/** Bytes the kernel took from a writer whose peer reads nothing, with and without TCP_NOTSENT_LOWAT. */
async function takenByKernel(lowat?: number): Promise<number> {
  const server = net.createServer((s) => s.pause());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await new Promise((r) => client.once('connect', r));
  if (lowat !== undefined) setNotSentLowat(socketFd(client), lowat);
  const total = 32 << 20;
  for (let at = 0; at < total; at += 16384) client.write(Buffer.alloc(16384));
  // The kernel takes what it will at once; what it refused stays queued in node.
  await new Promise((r) => setTimeout(r, 300));
  const taken = total - client.writableLength;
  client.destroy();
  server.close();
  return taken;
}

test("TCP_NOTSENT_LOWAT keeps a stalled connection's backlog out of the kernel: it stays in node, where it can still be dropped", async (t) => {
  const plain = await takenByKernel();
  const low = await takenByKernel(64 * 1024);
  t.log(`kernel took ${plain} bytes by default, ${low} with a 64 KiB low-water mark`);
  t.true(low * 4 < plain, `${low} vs ${plain}`);
});

test('setNotSentLowat refuses what is not a TCP socket or a byte count', (t) => {
  t.throws(() => setNotSentLowat(-1, 1024));
  t.throws(() => setNotSentLowat(0, -1));
});
