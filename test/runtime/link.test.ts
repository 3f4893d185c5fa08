import test, { type ExecutionContext } from 'ava';
import { MessageChannel, Worker } from 'node:worker_threads';
import { moved, shared, Moved, type Shared } from '../../runtime/envelope.js';
import { Link, RemoteError } from '../../runtime/link.js';
import type { Flip } from '../../runtime/message.js';
import { eventually, settle } from '../helpers/eventually.js';

type Msg =
  | { kind: 'n'; n: number }
  | { kind: 'pos'; x: number }
  | { kind: 'double'; n: number }
  | { kind: 'blob'; data: Moved<Uint8Array> };
interface A {
  send: Msg;
  recv: never;
  asks: { double: number };
  answers: {};
}

const pair = (t: ExecutionContext, options: { window?: number; maxQueue?: number; maxWaiting?: number } = {}) => {
  const { port1, port2 } = new MessageChannel();
  const a = new Link<A>(port1, { ...options, name: 'a', rules: { pos: { latest: true } } });
  const b = new Link<Flip<A>>(port2, { ...options, name: 'b' });
  t.teardown(() => (a.close(), b.close()));
  return { a, b };
};

test('messages arrive in order and requests are answered', async (t) => {
  const { a, b } = pair(t);
  const got: number[] = [];
  b.messages$.subscribe((m) => m.kind === 'n' && got.push(m.n));
  b.serve({ double: (m) => m.n * 2 });
  for (let i = 0; i < 500; i++) await a.send({ kind: 'n', n: i });
  t.is(await a.ask({ kind: 'double', n: 21 }), 42);
  t.deepEqual(got, [...Array(500).keys()]);
});

test('a failing handler rejects the request with its message', async (t) => {
  const { a, b } = pair(t);
  b.serve({
    double: () => {
      throw new Error('no doubling today');
    },
  });
  await t.throwsAsync(a.ask({ kind: 'double', n: 1 }), { instanceOf: RemoteError, message: 'no doubling today' });
});

test('a paused receiver stops its sender at window + maxQueue', async (t) => {
  const { a, b } = pair(t, { window: 8, maxQueue: 4 });
  let received = 0;
  b.messages$.subscribe(() => received++);
  b.pause();
  await eventually('the initial grant', () => a.availableCredits === 8);
  let accepted = 0;
  for (let i = 0; i < 100; i++) {
    if (!a.offer({ kind: 'n', n: i })) break;
    accepted++;
  }
  t.is(accepted, 12);
  const blocked = a.send({ kind: 'n', n: 999 });
  let done = false;
  void blocked.then(() => (done = true));
  await settle();
  t.false(done, 'send waits while the outbox is full');
  t.is(received, 0);
  b.resume();
  await blocked;
  await eventually('all 13 messages', () => received === 13);
  await settle();
  t.is(received, 13);
});

test('a receiver pausing while it takes a message holds that credit too; credited() waits for credit', async (t) => {
  const { a, b } = pair(t, { window: 2, maxQueue: 2 });
  const got: number[] = [];
  b.messages$.subscribe((m) => {
    if (m.kind !== 'n') return;
    got.push(m.n);
    if (m.n === 0) b.pause();
  });
  await a.credited();
  t.is(a.availableCredits, 2);
  await a.send({ kind: 'n', n: 0 });
  await a.send({ kind: 'n', n: 1 });
  await eventually('the first message taken', () => got.length === 1);
  let credited = false;
  void a.credited().then(() => (credited = true));
  await settle();
  t.is(a.availableCredits, 0, 'no credit for the message the receiver paused on, nor for the held one');
  t.false(credited);
  b.resume();
  await eventually('credit again', () => credited);
  t.deepEqual(got, [0, 1]);
  t.is(a.availableCredits, 2);
});

test('credit comes back without waking a sender that still has some; one that runs out is woken', async (t) => {
  const { port1, port2 } = new MessageChannel();
  const a = new Link<A>(port1, { name: 'a', window: 2 });
  const b = new Link<Flip<A>>(port2, { name: 'b', window: 2 });
  t.teardown(() => (a.close(), b.close()));
  let framesToA = 0;
  port1.on('message', () => framesToA++);
  const got: number[] = [];
  b.messages$.subscribe((m) => m.kind === 'n' && got.push(m.n));
  await eventually('the initial grant', () => a.availableCredits === 2);
  // A trickle: each message taken before the next is sent.
  for (let i = 0; i < 20; i++) {
    await a.send({ kind: 'n', n: i });
    await eventually(`message ${i} taken`, () => got.length === i + 1);
  }
  t.is(a.availableCredits, 2);
  t.is(framesToA, 1, 'only the initial grant was posted to the sender');
  // A burst past the window: the sender waits for credit and is woken for it.
  for (let i = 20; i < 60; i++) await a.send({ kind: 'n', n: i });
  await eventually('the burst', () => got.length === 60);
  t.deepEqual(got, [...Array(60).keys()]);
  t.true(framesToA > 1);
  await a.credited();
  t.is(a.availableCredits, 2);
});

test('sends wait for room in order, at most maxWaiting of them (merged by the rules too); past that LinkFullError and nothing queued', async (t) => {
  const { a, b } = pair(t, { window: 1, maxQueue: 2, maxWaiting: 3 });
  const got: string[] = [];
  b.messages$.subscribe((m) => got.push(m.kind === 'n' ? `n${m.n}` : m.kind === 'pos' ? `pos${m.x}` : m.kind));
  b.pause();
  await eventually('the initial grant', () => a.availableCredits === 1);
  const settled: string[] = [];
  const send = (m: Msg, name: string) =>
    a.send(m).then(
      () => settled.push(name),
      (e: unknown) => settled.push(`${name} refused: ${(e as Error).name}`),
    );
  // One in flight, two in the outbox, then three waiting.
  const sends = [0, 1, 2, 3, 4].map((n) => send({ kind: 'n', n }, `n${n}`));
  sends.push(send({ kind: 'pos', x: 1 }, 'pos1'));
  t.is(a.waiting, 3);
  sends.push(send({ kind: 'pos', x: 2 }, 'pos2'));
  t.is(a.waiting, 3, 'a position merges into the one waiting at the tail');
  sends.push(send({ kind: 'n', n: 5 }, 'n5'));
  t.false(a.offer({ kind: 'n', n: 6 }), 'offer never goes ahead of waiting sends');
  await settle();
  t.deepEqual(settled, ['n0', 'n1', 'n2', 'pos1', 'n5 refused: LinkFullError']);
  b.resume();
  await Promise.all(sends);
  await eventually('every queued message', () => got.length === 6);
  t.deepEqual(got, ['n0', 'n1', 'n2', 'n3', 'n4', 'pos2']);
  t.deepEqual(settled.slice(5), ['n3', 'n4', 'pos2']);
  t.is(a.waiting, 0);
});

test('a closing link refuses what waits for room', async (t) => {
  const { a, b } = pair(t, { window: 1, maxQueue: 1, maxWaiting: 4 });
  b.pause();
  await eventually('the initial grant', () => a.availableCredits === 1);
  await a.send({ kind: 'n', n: 0 });
  await a.send({ kind: 'n', n: 1 });
  const waiting = a.send({ kind: 'n', n: 2 });
  const asked = a.ask({ kind: 'double', n: 3 });
  t.is(a.waiting, 2);
  a.close();
  await t.throwsAsync(waiting, { name: 'LinkDownError' });
  await t.throwsAsync(asked, { name: 'LinkDownError' });
});

test('merge rules coalesce what waits for credit', async (t) => {
  const { a, b } = pair(t, { window: 1, maxQueue: 4 });
  const xs: number[] = [];
  b.messages$.subscribe((m) => m.kind === 'pos' && xs.push(m.x));
  b.pause();
  await eventually('the initial grant', () => a.availableCredits === 1);
  for (let x = 0; x < 1000; x++) t.true(a.offer({ kind: 'pos', x }));
  t.is(a.queued, 1);
  b.resume();
  await eventually('the last position', () => xs.at(-1) === 999);
  t.deepEqual(xs, [0, 999]);
});

test('moved buffers transfer without a copy; shared memory is shared', async (t) => {
  const { port1, port2 } = new MessageChannel();
  type M = { kind: 'm'; data: Moved<Uint8Array>; mem: Shared<Uint8Array> };
  const a = new Link<{ send: M; recv: never; asks: {}; answers: {} }>(port1);
  const b = new Link<{ send: never; recv: M; asks: {}; answers: {} }>(port2);
  t.teardown(() => (a.close(), b.close()));
  const big = new Uint8Array(1 << 20).map((_, i) => i * 7);
  const copy = big.slice();
  const sab = new Uint8Array(new SharedArrayBuffer(64), 16, 32);
  const got = new Promise<M>((resolve) => b.messages$.subscribe(resolve));
  await a.send({ kind: 'm', data: moved(big), mem: shared(sab) });
  const m = await got;
  t.is(big.byteLength, 0, 'the sender no longer owns the moved buffer');
  t.true(m.data instanceof Moved);
  t.is(Buffer.compare(m.data.value, copy), 0);
  t.is(m.mem.value.byteOffset, 16);
  t.is(m.mem.value.length, 32);
  m.mem.value[0] = 42;
  t.is(sab[0], 42);
});

test('a detached link keeps its outbox and drains it into the next port', async (t) => {
  const { port1, port2 } = new MessageChannel();
  const a = new Link<A>(port1, { window: 4, maxQueue: 16 });
  a.detach('peer restarting');
  t.is(a.state, 'down');
  for (let i = 0; i < 10; i++) t.true(a.offer({ kind: 'n', n: i }));
  port2.close();
  const next = new MessageChannel();
  const b = new Link<Flip<A>>(next.port2);
  t.teardown(() => (a.close(), b.close()));
  const got: number[] = [];
  b.messages$.subscribe((m) => m.kind === 'n' && got.push(m.n));
  a.attach(next.port1);
  await eventually('10 messages', () => got.length === 10);
  t.deepEqual(got, [...Array(10).keys()]);
});

test('across two threads with a window of 1, neither send nor credited() misses a grant', async (t) => {
  // The receiver on a thread of its own grants while the sender raises its flag: a grant read
  // by neither (a lost wake-up) would stall the sender for good.
  const { port1, port2 } = new MessageChannel();
  const receiver = new Worker(
    `const { workerData } = require('node:worker_threads');
     import(workerData.link).then(({ Link }) => {
       const b = new Link(workerData.port, { name: 'b', window: 1 });
       b.messages$.subscribe(() => {});
     });`,
    { eval: true, workerData: { port: port2, link: new URL('../../runtime/link.js', import.meta.url).href }, transferList: [port2] },
  );
  t.teardown(() => receiver.terminate());
  const a = new Link<A>(port1, { name: 'a', window: 1, maxQueue: 1 });
  t.teardown(() => a.close());
  const rounds = 20_000;
  let sent = 0;
  let refused = 0;
  const run = async () => {
    for (; sent < rounds; sent++) {
      if (sent % 2 === 1) await a.send({ kind: 'n', n: sent });
      else {
        await a.credited();
        if (!a.offer({ kind: 'n', n: sent })) refused++;
      }
    }
  };
  // No progress for seconds on a pair with nothing else to do is a wake-up lost, not slowness.
  let seen = -1;
  let watch: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    watch = setInterval(() => (seen === sent ? reject(new Error(`stalled after ${sent} messages`)) : (seen = sent)), 5_000);
  });
  t.teardown(() => clearInterval(watch));
  await Promise.race([run(), stalled]);
  t.is(sent, rounds);
  t.is(refused, 0, 'credited() resolved only with credit to spare');
});

test("a turn's messages go to the port as one frame batch, in order, and a port replaced in the turn gets what was posted before", async (t) => {
  const { port1, port2 } = new MessageChannel();
  let posts = 0;
  const post = port1.postMessage.bind(port1);
  port1.postMessage = (...args: Parameters<typeof port1.postMessage>) => (posts++, post(...args));
  const a = new Link<A>(port1, { name: 'a' });
  const b = new Link<Flip<A>>(port2, { name: 'b' });
  t.teardown(() => (a.close(), b.close()));
  const got: number[] = [];
  b.messages$.subscribe((m) => m.kind === 'n' && got.push(m.n));
  await eventually('the initial grant', () => a.availableCredits === 64);
  posts = 0;
  for (let i = 0; i < 5; i++) await a.send({ kind: 'n', n: i });
  t.is(posts, 0, 'nothing posted before the turn ends');
  await eventually('the batch', () => got.length === 5);
  t.is(posts, 1);
  t.deepEqual(got, [0, 1, 2, 3, 4]);

  // Sent, then the port replaced in the same turn: the old peer gets it.
  await a.send({ kind: 'n', n: 5 });
  const next = new MessageChannel();
  a.attach(next.port1);
  await eventually('the message sent before the swap', () => got.length === 6);
  t.is(got[5], 5);
  next.port1.close();
});
