import test from 'ava';
import { initDeviceMemory } from '../../native/qxl/device-memory.js';
import { QxlConsumer, QxlProducer } from '../../native/qxl/endpoints.js';
import { HEAP_OFFSET, QxlCmd, RELEASE_RING } from '../../native/qxl/layout.js';

/** Producer and consumer views of one device memory, counting the wake-ups each asks for. */
function device(batch = 32) {
  const memory = new SharedArrayBuffer(HEAP_OFFSET + 64 * 1024);
  initDeviceMemory(memory);
  const slot = { id: 2, generation: 3, start: HEAP_OFFSET, end: memory.byteLength };
  const woken = { consumer: 0, producer: 0 };
  const producer = new QxlProducer(memory, slot, () => woken.consumer++);
  const consumer = new QxlConsumer(memory, [slot], () => woken.producer++, undefined, batch);
  const view = new DataView(memory);
  /** Submits n commands and has the consumer pop them all. */
  const submit = (n: number) =>
    Array.from({ length: n }, () => {
      const s = producer.allocCommand(64)!;
      producer.commands.push({ type: QxlCmd.Message, data: s.address });
      const cmd = consumer.commands.pop();
      if (cmd === undefined || 'error' in cmd) throw new Error('no command');
      return { ...s, cmd };
    });
  return { memory, producer, consumer, woken, view, submit };
}

test('releases are chained through QXLReleaseInfo.next and published as one ring item', (t) => {
  const { producer, consumer, view, submit } = device();
  const [a, b, c] = submit(3);
  for (const s of [a!, b!, c!]) t.is(consumer.release(s.cmd), undefined);
  t.is(consumer.releases.pending, 3);
  t.is(consumer.releases.ring.length, 0, 'held back until the batch is full or the consumer flushes');
  t.is(producer.collectReleases(), 0);
  consumer.releases.flush();
  t.is(consumer.releases.ring.length, 1);
  const item = view.getBigUint64(RELEASE_RING.offset + 20, true);
  t.is(item, a!.address, 'the ring item is the first id');
  t.is(view.getBigUint64(a!.offset, true), b!.address, "the first struct's id became next");
  t.is(view.getBigUint64(b!.offset, true), c!.address);
  t.is(view.getBigUint64(c!.offset, true), 0n, 'the chain ends with 0');
  t.is(producer.heap.liveCount, 3);
  t.is(producer.collectReleases(), 3);
  t.is(producer.heap.liveCount, 0, 'all three structs are back in the heap');
});

test('a full batch is published without a flush', (t) => {
  const { producer, consumer, submit } = device(4);
  for (const s of submit(9)) consumer.release(s.cmd);
  t.is(consumer.releases.ring.length, 2);
  t.is(consumer.releases.pending, 1);
  t.is(producer.collectReleases(), 8);
});

test('releasing never waits: with the ring full the chain grows, and the reader wakes the writer', (t) => {
  const { producer, consumer, woken, submit } = device(1);
  for (const s of submit(20)) t.is(consumer.release(s.cmd), undefined);
  t.is(consumer.releases.ring.length, 7, 'one item stays free for the chain being built');
  t.is(consumer.releases.pending, 13);
  const before = woken.consumer;
  t.is(producer.collectReleases(), 7);
  t.is(woken.consumer, before + 1, 'the pop that made room woke the release writer');
  consumer.releases.flush();
  t.is(producer.collectReleases(), 13);
  t.is(producer.heap.liveCount, 0);
});

test('a producer out of memory sleeps on the release ring and the next publish wakes it', (t) => {
  const { producer, consumer, woken, submit } = device();
  const [a] = submit(1);
  t.is(producer.collectReleases(true), 0, 'nothing yet: armed');
  consumer.release(a!.cmd);
  t.is(woken.producer, 0);
  consumer.releases.flush();
  t.is(woken.producer, 1);
  t.is(producer.collectReleases(true), 1);
});

test('a release the producer does not know is an error value', (t) => {
  const { producer, consumer, view, submit } = device();
  const [a, b] = submit(2);
  view.setBigUint64(b!.offset, a!.address + 8n, true); // a forged id inside a live struct
  consumer.release(a!.cmd);
  consumer.release(b!.cmd);
  consumer.releases.flush();
  t.deepEqual(producer.collectReleases(), { error: 'bad-release', id: a!.address + 8n });
  t.like(consumer.release({ type: QxlCmd.Message, data: (a!.address ^ (1n << 60n)) as typeof a.address }), { error: 'bad-address' });
});

test('views refuse memory slots outside the heap, so no address can resolve outside the memory', (t) => {
  const { memory } = device();
  const wake = () => {};
  t.throws(() => new QxlConsumer(memory, [{ id: 0, generation: 0, start: HEAP_OFFSET, end: memory.byteLength + 8 }], wake), {
    instanceOf: RangeError,
  });
  t.throws(() => new QxlConsumer(memory, [{ id: 0, generation: 0, start: 0, end: HEAP_OFFSET }], wake), { instanceOf: RangeError });
  t.throws(() => new QxlProducer(memory, { id: 0, generation: 0, start: 4096, end: HEAP_OFFSET + 64 }, wake), { instanceOf: RangeError });
});

test('the cursor ring is a ring of its own', (t) => {
  const { producer, consumer } = device();
  const s = producer.allocCommand(64)!;
  t.true(producer.cursor.push({ type: QxlCmd.Cursor, data: s.address }));
  t.is(consumer.commands.pop(), undefined);
  t.deepEqual(consumer.cursor.pop(), { type: QxlCmd.Cursor, data: s.address });
  t.is(consumer.cursor.pop(), undefined);
});
