import test from 'ava';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { HEAP_OFFSET } from '../../native/qxl/layout.js';
import { withDevice } from '../../native/qxl/fixtures/qxl-device.js';

const fixture = (name: string) => new URL(`../../native/qxl/fixtures/${name}.js`, import.meta.url);

test('two worker threads share the device memory: a producer and a consumer, woken by eventfds', async (t) => {
  const count = 3000;
  const size = HEAP_OFFSET + 16 * 1024; // about 70 messages: the heap runs out too
  await withDevice(size, async ({ memory, consumerEvfd, producerEvfd }) => {
    const slot = { id: 0, generation: 1, start: HEAP_OFFSET, end: size };
    const shared = { memory, consumerEvfd, producerEvfd, count };
    const consumer = new Worker(fixture('qxl-thread-consumer'), { workerData: { ...shared, slots: [slot] } });
    const producer = new Worker(fixture('qxl-thread-producer'), { workerData: { ...shared, slot } });
    const exited = Promise.all([once(consumer, 'exit'), once(producer, 'exit')]); // listening before either can end
    const [[consumed], [produced]] = await Promise.all([once(consumer, 'message'), once(producer, 'message')]);
    t.log('producer', produced, 'consumer', consumed);
    t.like(consumed, { received: count });
    t.like(produced, { pushed: count });
    t.true(produced.waitsFull + produced.waitsMemory > 0, 'the producer had to sleep');
    // Both workers end by themselves: their pollers are closed, nothing keeps their loops alive.
    await exited;
  });
});
