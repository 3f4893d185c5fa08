import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { close, eventfdCreate, eventfdSignal, Poller, recvFds, sendFds, socketPair, type Fd, type PollMode } from '../../native/index.js';
import { QxlDevice } from '../../native/qxl/device.js';
import { QxlConsumer } from '../../native/qxl/endpoints.js';
import { wakeAtTurnEnd } from '../../native/qxl/wake.js';
import { settle } from '../helpers/eventually.js';

const fixture = (name: string) => new URL(`./fixtures/${name}.js`, import.meta.url);

/** A poller whose callbacks can be awaited one by one. */
function recorder(fd: Fd, mode: PollMode = 'eventfd') {
  const calls: number[] = [];
  let wake: (() => void) | undefined;
  const poller = new Poller(fd, mode, (error, count) => {
    if (error) throw error;
    calls.push(count);
    wake?.();
  });
  const next = () => new Promise<void>((resolve) => (wake = resolve));
  return { poller, calls, next };
}

test('signals coalesce into one callback with their count; the counter is cleared', async (t) => {
  const fd = eventfdCreate();
  const { poller, calls, next } = recorder(fd);
  t.teardown(() => (poller.close(), close(fd)));
  poller.start();
  eventfdSignal(fd);
  eventfdSignal(fd);
  eventfdSignal(fd);
  await next();
  t.deepEqual(calls, [3]);
  eventfdSignal(fd);
  await next();
  t.deepEqual(calls, [3, 1]);
});

test('wakeAtTurnEnd signals once per synchronous turn, after it', async (t) => {
  const fd = eventfdCreate();
  const { poller, calls, next } = recorder(fd);
  t.teardown(() => (poller.close(), close(fd)));
  poller.start();
  const wake = wakeAtTurnEnd(fd);
  wake();
  wake();
  wake();
  await next();
  t.deepEqual(calls, [1], 'three wake-ups in one turn, one signal');
  wake();
  await next();
  t.deepEqual(calls, [1, 1]);
});

test("a device's pushes in one turn wake the red-worker once, after the turn", async (t) => {
  const device = QxlDevice.create(1 << 20);
  const consumer = new QxlConsumer(device.memory, [device.handoff.slot], () => {});
  const { poller, calls, next } = recorder(device.handoff.consumerEventFd as Fd);
  t.teardown(() => (poller.close(), device.close()));
  poller.start();
  const box = { left: 0, top: 0, right: 4, bottom: 2 };
  const src = { width: 4, height: 2, stride: 16, pixels: new Uint8Array(32) };
  for (let i = 0; i < 3; i++) {
    t.true(device.drawCopy(box, src, 0, 0));
    // Taken at once, as a red-worker on the other core does, which finds the ring empty and asks for a signal again.
    t.truthy(consumer.commands.pop());
    t.is(consumer.commands.pop(), undefined);
  }
  await next();
  t.deepEqual(calls, [1], 'three commands asked for a wake-up, one signal');
});

test('wakeAtTurnEnd asks at the turn end whether the fd is still open, and signals only if so', async (t) => {
  const fd = eventfdCreate();
  const { poller, calls, next } = recorder(fd);
  t.teardown(() => (poller.close(), close(fd)));
  poller.start();
  let open = true;
  const wake = wakeAtTurnEnd(fd, () => open);
  wake();
  open = false;
  await settle(20);
  t.deepEqual(calls, [], 'closed within the turn: no signal');
  open = true;
  wake();
  await next();
  t.deepEqual(calls, [1]);
});

test.serial('a device closed in the turn it asked for a wake-up signals nothing (its fd is closed)', async (t) => {
  // A signal after the close would be an uncaught EBADF, or a write to whatever took the fd's
  // number (serial: no other test of the file runs meanwhile to take it).
  const thrown: unknown[] = [];
  const record = (e: unknown) => thrown.push(e);
  process.prependListener('uncaughtException', record);
  t.teardown(() => process.off('uncaughtException', record));
  const device = QxlDevice.create(1 << 20);
  t.is(new QxlConsumer(device.memory, [device.handoff.slot], () => {}).commands.pop(), undefined, 'the red-worker waits');
  t.true(device.drawCopy({ left: 0, top: 0, right: 1, bottom: 1 }, { width: 1, height: 1, stride: 4, pixels: new Uint8Array(4) }, 0, 0));
  device.close();
  await settle(20);
  t.deepEqual(thrown, []);
});

test('a stopped poller misses nothing: signals wait in the counter until it starts again', async (t) => {
  const fd = eventfdCreate();
  const { poller, calls, next } = recorder(fd);
  t.teardown(() => (poller.close(), close(fd)));
  poller.start();
  poller.stop();
  eventfdSignal(fd);
  eventfdSignal(fd);
  await settle();
  t.deepEqual(calls, []);
  poller.start();
  await next();
  t.deepEqual(calls, [2]);
  poller.close();
  poller.close();
  t.throws(() => poller.start(), { message: 'Poller is closed' });
});

test('the poller watches its own copy of the fd: the caller may close theirs', async (t) => {
  const fd = eventfdCreate();
  const twin = eventfdCreate(); // will take fd's number once it is closed
  const calls: number[] = [];
  const poller = new Poller(fd, 'eventfd', (_e, count) => calls.push(count));
  t.teardown(() => (poller.close(), close(twin)));
  poller.start();
  close(fd);
  eventfdSignal(twin);
  await settle();
  t.deepEqual(calls, [], 'another eventfd does not wake it');
});

test('a started poller keeps its process alive until signalled; a stopped one does not', async (t) => {
  const fd = eventfdCreate();
  t.teardown(() => close(fd));
  const stopped = spawnSync(process.execPath, [fileOf('poller-child'), 'stop'], {
    stdio: ['ignore', 'pipe', 'inherit', fd],
    timeout: 20_000,
    encoding: 'utf8',
  });
  t.is(stopped.status, 0, 'the process ended by itself');
  t.is(stopped.stdout, '');

  const child = spawn(process.execPath, [fileOf('poller-child'), 'wait'], { stdio: ['ignore', 'pipe', 'inherit', fd] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    if (out === 'ready\n') eventfdSignal(fd);
  });
  const [code] = await once(child, 'close'); // 'exit' can come before the last stdout bytes
  t.is(code, 0);
  t.is(out, 'ready\nwoken 1\n', 'it was still there to be woken, and closing the poller let it end');
});

test('a worker polls, and can be terminated while its poller is started', async (t) => {
  const fd = eventfdCreate();
  t.teardown(() => close(fd));
  const worker = new Worker(fixture('poller-worker'), { workerData: { fd, mode: 'echo' } });
  const messages: unknown[] = [];
  worker.on('message', (m) => messages.push(m));
  await once(worker, 'message');
  eventfdSignal(fd);
  await once(worker, 'message');
  t.deepEqual(messages, ['started', 1]);
  // A wake-up in flight, and the loop closing with an active uv_poll handle: the handle must be
  // closed first and the callback must not throw into a dying thread, or node aborts.
  eventfdSignal(fd);
  t.is(await worker.terminate(), 1);
});

test('an exception in the callback is the thread’s uncaught exception', async (t) => {
  const fd = eventfdCreate();
  t.teardown(() => close(fd));
  const worker = new Worker(fixture('poller-worker'), { workerData: { fd, mode: 'throw' } });
  await once(worker, 'message');
  eventfdSignal(fd);
  const [error] = await once(worker, 'error');
  t.is((error as Error).message, 'thrown in the poll callback');
});

test("'readable' mode reports a socket ready to read, without reading it", async (t) => {
  const [a, b] = socketPair();
  const got: string[] = [];
  const buf = new Uint8Array(64);
  let wake: () => void = () => {};
  const poller = new Poller(b, 'readable', () => {
    for (let r = recvFds(b, buf); r !== null && r.bytes > 0; r = recvFds(b, buf))
      got.push(Buffer.from(buf.subarray(0, r.bytes)).toString());
    wake();
  });
  t.teardown(() => (poller.close(), close(a), close(b)));
  poller.start();
  for (const word of ['one', 'two']) {
    const read = new Promise<void>((resolve) => (wake = resolve));
    sendFds(a, Buffer.from(word));
    await read;
  }
  t.deepEqual(got, ['one', 'two']);
});

test('pollers dropped without close are collected, and so are their fds', (t) => {
  const r = spawnSync(process.execPath, ['--expose-gc', fileOf('poller-gc')], { encoding: 'utf8', timeout: 60_000 });
  t.is(r.status, 0, r.stderr);
  const { before, after } = JSON.parse(r.stdout) as { before: number; after: number };
  // Of 2000, the last one created may still be reachable from the loop's frame.
  t.true(after <= before + 1, `${after - before} of 2000 fds left open`);
});

test('bad arguments are errors, not crashes', (t) => {
  t.throws(() => new Poller(-1 as never, 'eventfd', () => {}), { instanceOf: RangeError });
  t.throws(() => new Poller(999_999 as never, 'eventfd', () => {}), { message: /dup: Bad file descriptor/ });
  t.throws(() => eventfdSignal(999_999 as never), { message: /Bad file descriptor/ });
});

function fileOf(name: string): string {
  return new URL(fixture(name)).pathname;
}
