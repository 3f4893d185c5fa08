import test from 'ava';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { close, mapShared, memfdCreate, Poller, recvFds, sendFds, socketPair, type Fd } from '../../native/index.js';

const openFds = () => readdirSync('/proc/self/fd').length;
const text = (buf: Uint8Array, n: number) => Buffer.from(buf.subarray(0, n)).toString();

test('a memfd sent through a socketpair maps the same pages on the other side', (t) => {
  const [a, b] = socketPair();
  const memfd = memfdCreate('passed', 4096);
  t.teardown(() => [a, b, memfd].forEach(close));
  new Uint8Array(mapShared(memfd, 4096)).set(Buffer.from('before'), 0);
  t.is(sendFds(a, Buffer.from('here'), [memfd]), 4);
  const buf = new Uint8Array(16);
  const r = recvFds(b, buf)!;
  t.is(r.bytes, 4);
  t.is(text(buf, 4), 'here');
  t.is(r.fds.length, 1);
  t.not(r.fds[0], memfd, 'a new descriptor for the same file');
  const there = new Uint8Array(mapShared(r.fds[0]!, 4096));
  close(r.fds[0]!);
  t.is(text(there, 6), 'before');
  there.set(Buffer.from('after!'), 0);
  t.is(text(new Uint8Array(mapShared(memfd, 4096)), 6), 'after!');
});

test('a socket end passed along is usable: bytes written into it come out of its peer', (t) => {
  const [a, b] = socketPair();
  const [c, d] = socketPair();
  t.teardown(() => [a, b, c, d].forEach(close));
  sendFds(a, Buffer.from('x'), [c, d]);
  const buf = new Uint8Array(64);
  const r = recvFds(b, buf)!;
  t.is(r.fds.length, 2, 'several fds in one message, in order');
  const [c2, d2] = r.fds as [Fd, Fd];
  sendFds(c2, Buffer.from('through the passed end'));
  t.is(text(buf, recvFds(d, buf)!.bytes), 'through the passed end');
  sendFds(c, Buffer.from('and back'));
  t.is(text(buf, recvFds(d2, buf)!.bytes), 'and back');
  close(c2);
  close(d2);
});

test('non-blocking both ways: nothing to read is null, a full socket sends 0, the peer closing reads 0 bytes', (t) => {
  const [a, b] = socketPair();
  t.teardown(() => close(b));
  const buf = new Uint8Array(64 * 1024);
  t.is(recvFds(b, buf), null);
  let sent = 0;
  for (let n = sendFds(a, buf); n > 0; n = sendFds(a, buf)) sent += n;
  t.true(sent > 0);
  let read = 0;
  for (let r = recvFds(b, buf); r !== null; r = recvFds(b, buf)) read += r.bytes;
  t.is(read, sent, 'every byte the sends counted arrived, no more');
  close(a);
  t.deepEqual(recvFds(b, buf), { bytes: 0, fds: [] });
});

test('another process receives a memfd over a unix socket and writes into it', async (t) => {
  const [ours, theirs] = socketPair();
  const memfd = memfdCreate('for-child', 4096);
  t.teardown(() => [ours, memfd].forEach(close));
  const child = spawn(process.execPath, [new URL('./fixtures/fd-receiver.js', import.meta.url).pathname], {
    stdio: ['ignore', 'inherit', 'inherit', theirs],
  });
  close(theirs);
  sendFds(ours, Buffer.from('written by the child'), [memfd]);
  const buf = new Uint8Array(16);
  const answered = new Promise<string>((resolve) => {
    const poller = new Poller(ours, 'readable', () => {
      const r = recvFds(ours, buf);
      if (r === null) return;
      poller.close();
      resolve(text(buf, r.bytes));
    });
    poller.start();
  });
  t.is(await answered, 'done');
  t.deepEqual((await once(child, 'exit'))[0], 0);
  t.is(text(new Uint8Array(mapShared(memfd, 4096)), 20), 'written by the child');
});

test.serial('bad arguments and failed calls are errors, and leak no fds', (t) => {
  const before = openFds();
  const [a, b] = socketPair();
  const memfd = memfdCreate('x', 16);
  t.throws(() => sendFds(a, new Uint8Array(0), []), { instanceOf: RangeError });
  t.throws(() => sendFds(a, Buffer.from('x'), ['3' as never]), { instanceOf: TypeError });
  t.throws(() => sendFds(a, Buffer.from('x'), [memfd, 999_999 as Fd]), { message: /sendmsg: Bad file descriptor/ });
  t.throws(() => sendFds(a, Buffer.from('x'), new Array(254).fill(memfd)), { instanceOf: RangeError });
  t.throws(() => sendFds(999_999 as Fd, Buffer.from('x')), { message: /sendmsg: Bad file descriptor/ });
  t.throws(() => recvFds(memfd, new Uint8Array(4)), { message: /recvmsg: Socket operation on non-socket/ });
  t.throws(() => recvFds(b, new Uint16Array(4) as never), { instanceOf: TypeError });
  t.is(recvFds(b, new Uint8Array(4)), null, 'the failed sends sent nothing');
  // 253 fds (the kernel's maximum) in one message, all received, then all closed again.
  t.is(sendFds(a, Buffer.from('m'), new Array(253).fill(memfd)), 1);
  const r = recvFds(b, new Uint8Array(4))!;
  t.is(r.fds.length, 253);
  r.fds.forEach(close);
  [a, b, memfd].forEach(close);
  t.is(openFds(), before);
});
