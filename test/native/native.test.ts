import test from 'ava';
import { spawnSync } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import { threadTimes } from '../../runtime/thread-times.js';
import { close, dup, mapShared, memfdCreate, setThreadName } from '../../native/index.js';

const fixture = (name: string) => new URL(`./fixtures/${name}.js`, import.meta.url);

test('a memfd maps as shared memory seen by every mapping and by a worker', async (t) => {
  const fd = memfdCreate('test', 1 << 16);
  t.teardown(() => close(fd));
  const a = mapShared(fd, 1 << 16);
  const b = mapShared(fd, 1 << 16);
  t.true(a instanceof SharedArrayBuffer);
  new Uint8Array(a)[7] = 42;
  t.is(new Uint8Array(b)[7], 42, 'two mappings of one memfd share pages');
  const w = new Worker(fixture('shm-writer'), { workerData: { sab: a } });
  await new Promise((resolve) => w.once('message', resolve));
  await w.terminate();
  t.true(
    new Uint8Array(b).subarray(100, 200).every((v) => v === 0x5a),
    'the worker wrote into the same memory',
  );
});

test('another process writes into the same memfd', (t) => {
  const fd = memfdCreate('cross-process', 4096);
  t.teardown(() => close(fd));
  const sab = mapShared(fd, 4096);
  // The child gets the memfd as its fd 3 and writes through /proc/self/fd/3, plain file I/O.
  const r = spawnSync(process.execPath, ['-e', "require('fs').writeSync(3, Buffer.from('from-child'), 0, 10, 32)"], {
    stdio: ['ignore', 'inherit', 'inherit', fd],
  });
  t.is(r.status, 0);
  t.is(Buffer.from(sab, 32, 10).toString(), 'from-child');
});

test('bad fds and sizes are errors, not crashes', (t) => {
  t.throws(() => mapShared(999_999 as never, 16), { message: /fstat: Bad file descriptor/ });
  const fd = memfdCreate('small', 16);
  t.teardown(() => close(fd));
  t.throws(() => mapShared(fd, 17), { instanceOf: RangeError });
  t.throws(() => dup(-1), { instanceOf: RangeError });
  t.throws(() => memfdCreate('zero', 0), { instanceOf: RangeError });
});

test('a duplicated socket fd is adopted by a worker thread with the bytes already read', async (t) => {
  const handedOver = new Promise<Worker>((resolve) => {
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (s: Socket) => {
      server.close();
      s.resume();
      s.once('data', (first: Buffer) => {
        s.pause();
        const fd = dup((s as unknown as { _handle: { fd: number } })._handle.fd);
        s.destroy();
        resolve(new Worker(fixture('adopt-echo'), { workerData: { fd, leftover: first } }));
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      const c = connect(port, '127.0.0.1', () => c.write('hello '));
      const got: Buffer[] = [];
      c.on('data', (d) => {
        got.push(d);
        if (Buffer.concat(got).length === 6) c.end('world');
      });
      c.on('end', () => void received.resolve(Buffer.concat(got).toString()));
    });
  });
  const received = deferred();
  const worker = await handedOver;
  t.teardown(() => worker.terminate());
  t.is(await received.promise, 'HELLO WORLD');
});

function deferred() {
  let resolve!: (v: string) => void;
  const promise = new Promise<string>((r) => (resolve = r));
  return { promise, resolve };
}

test('setThreadName names the calling thread as the OS lists it, cut to 15 bytes', async (t) => {
  const names = () => threadTimes(process.pid).map((thread) => thread.name);
  const native = new URL('../../native/index.js', import.meta.url).href;
  // The worker stays until terminated: one that ran out of work could leave /proc's list before it is read.
  const code = `import(${JSON.stringify(native)}).then((n) => { n.setThreadName('actor-with-a-long-name'); require('node:worker_threads').parentPort.postMessage('named'); setInterval(() => {}, 60_000); });`;
  const worker = new Worker(code, { eval: true });
  t.teardown(() => worker.terminate());
  await new Promise((resolve) => worker.once('message', resolve));
  t.true(names().includes('actor-with-a-lo'), names().join(','));
  t.throws(() => setThreadName(42 as unknown as string));
});
