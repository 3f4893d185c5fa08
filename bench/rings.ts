import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { HEAP_OFFSET } from '../native/qxl/layout.js';
import { buildQxlProducer } from '../native/fixtures/c-program.js';
import { withDevice } from '../native/qxl/fixtures/qxl-device.js';
import { consumeMessages, type Consumed } from '../native/qxl/fixtures/qxl-consume.js';
import { percentile, table, timeEach } from './stats.js';

// QXL rings in shared memory with eventfd wake-ups, against MessagePort measured in the same run:
// - stream: `count` small messages (QXLMessage with a text, released after use) from a producer
//   to a consumer, timed at the consumer from the first message to the last; by a C process
//   (the QEMU bridge's place), by a worker thread, and as MessagePort posts from a worker.
// - round trip: one command, then wait for its release (C process), against a MessagePort
//   ping-pong with a worker.
// The JS sides signal with wakeAtTurnEnd (one eventfd write per burst); the C producer signals
// at once, as the ring protocol asks.

const count = Number(process.env.BENCH_COMMANDS ?? 100_000);
const roundTrips = Number(process.env.BENCH_ROUND_TRIPS ?? 3000);
const runs = 3;
const producerBinary = buildQxlProducer();
const fixture = (path: string) => new URL(path, import.meta.url);

const size = HEAP_OFFSET + 4096 * 256;
const slot = { id: 1, generation: 1, start: HEAP_OFFSET, end: size };

function cProducer(n: number, lockstep: boolean): Promise<Consumed> {
  return withDevice(size, async ({ memfd, memory, consumerEvfd, producerEvfd }) => {
    const args = [String(n), String(slot.id), String(slot.generation), ...(lockstep ? ['lockstep'] : [])];
    const child = spawn(producerBinary, args, { stdio: ['ignore', 'ignore', 'inherit', memfd, consumerEvfd, producerEvfd] });
    const exited = once(child, 'exit');
    const consumed = await consumeMessages({ memory, slots: [slot], consumerEvfd, producerEvfd, count: n, verify: false });
    const [code] = await exited;
    if (code !== 0) throw new Error(`qxl-producer exited ${code}`);
    return consumed;
  });
}

function threadProducer(n: number): Promise<Consumed> {
  return withDevice(size, async ({ memory, consumerEvfd, producerEvfd }) => {
    const shared = { memory, consumerEvfd, producerEvfd, count: n };
    const consumer = new Worker(fixture('../native/qxl/fixtures/qxl-thread-consumer.js'), {
      workerData: { ...shared, slots: [slot], verify: false },
    });
    const producer = new Worker(fixture('../native/qxl/fixtures/qxl-thread-producer.js'), { workerData: { ...shared, slot } });
    const exited = Promise.all([once(consumer, 'exit'), once(producer, 'exit')]); // listening before either can end
    const [[consumed], [produced]] = await Promise.all([once(consumer, 'message'), once(producer, 'message')]);
    if ('error' in consumed || 'error' in produced) throw new Error(JSON.stringify({ consumed, produced }));
    await exited;
    return consumed as Consumed;
  });
}

const port = new Worker(fixture('./fixtures/port-worker.js'));
function portStream(n: number): Promise<number> {
  return new Promise((resolve) => {
    let received = 0;
    let firstAt = 0;
    const onMessage = (m: { seq: number }) => {
      if (received === 0) firstAt = performance.now();
      if (m.seq !== received++) throw new Error('out of order');
      if (received === n) {
        port.off('message', onMessage);
        resolve(performance.now() - firstAt);
      }
    };
    port.on('message', onMessage);
    port.postMessage({ stream: n });
  });
}
const portPing = () =>
  new Promise((resolve) => {
    port.once('message', resolve);
    port.postMessage('ping');
  });

const median = (xs: number[]) => percentile(xs, 50);
const perSecond = (n: number, ms: number) => (n / ms) * 1000;

// Interleaved runs, so machine noise falls on all sides alike.
const t = { c: [] as number[], thread: [] as number[], port: [] as number[], cWakeups: [] as number[] };
for (let r = 0; r < runs; r++) {
  const c = await cProducer(count, false);
  t.c.push(c.elapsedMs);
  t.cWakeups.push(c.wakeups);
  t.thread.push((await threadProducer(count)).elapsedMs);
  t.port.push(await portStream(count));
}
const rtC: number[] = [];
const rtPort: number[] = [];
for (let r = 0; r < runs; r++) {
  rtC.push(((await cProducer(roundTrips, true)).elapsedMs * 1000) / roundTrips);
  rtPort.push(median(await timeEach(portPing, roundTrips)));
}
await port.terminate();

const ref = perSecond(count, median(t.port));
console.log(`bench/rings: ${count} messages per stream, ${roundTrips} round trips, median of ${runs} runs, Node ${process.version}`);
console.log(
  table(
    ['stream', 'msgs/s', 'µs/msg', 'vs MessagePort'],
    [
      [
        'QXL ring, C process -> main thread',
        perSecond(count, median(t.c)),
        (median(t.c) * 1000) / count,
        perSecond(count, median(t.c)) / ref,
      ],
      [
        'QXL ring, worker -> worker',
        perSecond(count, median(t.thread)),
        (median(t.thread) * 1000) / count,
        perSecond(count, median(t.thread)) / ref,
      ],
      ['MessagePort posts, worker -> main (reference)', ref, (median(t.port) * 1000) / count, 1],
    ],
  ),
);
console.log(`consumer wake-ups per ${count} messages from the C process: ${median(t.cWakeups)}`);
console.log(
  table(
    ['round trip', 'µs', 'vs MessagePort'],
    [
      ['QXL command + release, C process (eventfd both ways)', median(rtC), median(rtC) / median(rtPort)],
      ['MessagePort ping-pong with a worker (reference)', median(rtPort), 1],
    ],
  ),
);
