import test from 'ava';
import { checkDeviceMemory, initDeviceMemory } from '../../native/qxl/device-memory.js';
import { COMMAND_RING, HEAP_OFFSET, QxlCmd, RELEASE_RING, RingWord, type QxlPhysical } from '../../native/qxl/layout.js';
import { CommandRing, SpiceRing } from '../../native/qxl/ring.js';

const device = () => {
  const memory = new SharedArrayBuffer(HEAP_OFFSET + 4096);
  initDeviceMemory(memory);
  return memory;
};
const words = (memory: SharedArrayBuffer) => new Uint32Array(memory, COMMAND_RING.offset, 5);
const cmd = (n: number) => ({ type: QxlCmd.Draw, data: BigInt(n) as QxlPhysical });

test('init writes SPICE_RING_INIT and the QXLRam magic; the other side checks them', (t) => {
  const memory = device();
  t.deepEqual([...words(memory)], [32, 0, 1, 0, 0], 'num_items, prod, notify_on_prod = 1, cons, notify_on_cons');
  t.is(checkDeviceMemory(memory), undefined);
  new Uint32Array(memory, RELEASE_RING.offset, 1)[0] = 16;
  t.like(checkDeviceMemory(memory), { error: 'bad-device-memory' });
  t.like(checkDeviceMemory(new SharedArrayBuffer(HEAP_OFFSET + 4096)), { reason: 'no QXLRam magic' });
});

test('commands come out in order, intact, across index wrap-around; push says when the ring is full', (t) => {
  const memory = device();
  const w = words(memory);
  // Start just below 2^32 so prod and cons wrap during the test.
  w[RingWord.prod] = w[RingWord.cons] = 0xffff_fff0;
  const producer = new CommandRing(memory, COMMAND_RING, () => {});
  const consumer = new CommandRing(memory, COMMAND_RING, () => {});
  const data = (n: number) => (0xabcd_0000_0000_0000n | BigInt(n)) as QxlPhysical;
  let sent = 0;
  let got = 0;
  while (got < 100) {
    while (sent < 100 && producer.push({ type: QxlCmd.Draw, data: data(sent) }) === true) sent++;
    if (sent < 100) t.is(producer.ring.length, 32, 'push refuses only with 32 commands in flight');
    for (let c = consumer.pop(); c !== undefined; c = consumer.pop()) t.deepEqual(c, { type: QxlCmd.Draw, data: data(got++) });
  }
  t.is(w[RingWord.prod], 84, 'prod wrapped past 2^32');
  t.is(w[RingWord.cons], 84);
});

test('a side that sleeps is woken exactly once by the other side reaching its index', (t) => {
  const memory = device();
  let consumerWoken = 0;
  let producerWoken = 0;
  const producer = new CommandRing(memory, COMMAND_RING, () => consumerWoken++);
  const consumer = new CommandRing(memory, COMMAND_RING, () => producerWoken++);
  // After init notify_on_prod = 1: the first push wakes.
  t.is(producer.push(cmd(1)), true);
  t.is(consumerWoken, 1);
  t.is(producer.push(cmd(2)), true);
  t.is(consumerWoken, 1, 'no wake-up asked for: the consumer did not sleep');
  t.like(consumer.pop(), { data: 1n });
  t.like(consumer.pop(), { data: 2n });
  t.is(consumer.pop(), undefined, 'empty: the consumer arms notify_on_prod and sleeps');
  t.is(words(memory)[RingWord.notifyOnProd], 3);
  producer.push(cmd(3));
  producer.push(cmd(4));
  t.is(consumerWoken, 2, 'woken once by the push it waited for');
  for (let i = 5; producer.push(cmd(i)) === true; i++);
  t.is(words(memory)[RingWord.notifyOnCons], 3, 'full: the producer arms notify_on_cons = cons + 1');
  t.is(producerWoken, 0);
  consumer.pop();
  t.is(producerWoken, 1, 'the pop that makes room wakes the producer');
  consumer.pop();
  t.is(producerWoken, 1);
});

test('impossible indexes and command types from the other side are error values', (t) => {
  const memory = device();
  const w = words(memory);
  const producer = new CommandRing(memory, COMMAND_RING, () => {});
  const consumer = new CommandRing(memory, COMMAND_RING, () => {});
  w[RingWord.prod] = 40;
  t.deepEqual(consumer.pop(), { error: 'corrupt-ring', prod: 40, cons: 0 });
  t.deepEqual(producer.push(cmd(1)), { error: 'corrupt-ring', prod: 40, cons: 0 });
  w[RingWord.prod] = w[RingWord.cons] = 5;
  producer.push(cmd(1));
  producer.push(cmd(2));
  new DataView(memory).setUint32(COMMAND_RING.offset + 20 + 5 * 16 + 8, 99, true);
  t.deepEqual(consumer.pop(), { error: 'bad-command-type', type: 99 });
  t.like(consumer.pop(), { data: 2n }, 'the bad command was popped, the ring goes on');
});

test('a ring spec that does not fit the memory is refused', (t) => {
  t.throws(() => new SpiceRing(new SharedArrayBuffer(256), COMMAND_RING), { instanceOf: RangeError });
  t.throws(() => new SpiceRing(new SharedArrayBuffer(8192), { offset: 0, numItems: 24, itemSize: 16 }), { instanceOf: RangeError });
  t.throws(() => new SpiceRing(new SharedArrayBuffer(8192), { offset: 2, numItems: 32, itemSize: 16 }), { instanceOf: RangeError });
});
