/**
 * The unix socket transport's reading: every byte arrives in order, in reads into the space the
 * sink gives, and a read that does not fill its space ends the wake-up (no read only to find
 * the socket empty).
 */
import test from 'ava';
import { socketPair } from '../../../native/index.js';
import { UnixTransport } from '../../../actors/hosts/qemu-bridge/dbus/transport.js';
import { eventually, settle } from '../../helpers/eventually.js';

/** A sink with a `size`-byte space that keeps what it is given and counts the reads asked for. */
function recorder(size: number) {
  const space = new Uint8Array(size);
  const got: number[] = [];
  const sink = {
    reads: 0,
    got,
    space: () => (sink.reads++, space),
    filled: (n: number) => got.push(...space.subarray(0, n)),
    ended: () => {},
  };
  return sink;
}

test('a message smaller than the space is one read; one larger is read in full, in order', async (t) => {
  const [a, b] = socketPair();
  const receiver = UnixTransport.fromFd(a);
  const sender = UnixTransport.fromFd(b);
  const sink = recorder(64);
  receiver.start(sink);
  t.teardown(() => (receiver.close(), sender.close()));

  sender.write(Uint8Array.from({ length: 40 }, (_, i) => i));
  await eventually('the 40 bytes', () => sink.got.length === 40);
  // Another read of the same wake-up would come before the loop waits again.
  await settle();
  t.is(sink.reads, 1, 'the short read was the last of its wake-up');

  const big = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff);
  sender.write(big);
  await eventually('the 1000 bytes', () => sink.got.length === 1040);
  t.deepEqual(sink.got.slice(40), [...big]);
  // 1000 bytes in 64-byte spaces: 16 reads, of which the last is short.
  await settle();
  t.is(sink.reads, 1 + 16);
});
