/**
 * `npm run bench:wakeups`: what it costs a Node thread to be woken by another, by the two ways
 * the companion's threads wake each other: a MessagePort post (runtime/link.ts) and an eventfd
 * watched by the native Poller (the QXL rings, QEMU's socket), at an idle guest's pace (its
 * marker, 7 a second: every wake finds cold caches) and at a busy one. Per wake: the receiving
 * thread's CPU, and the sending thread's (a timer's wake-up and the post or the signal). The
 * references, in the same run: the eventfd for the port, and two C threads doing the same
 * (bench/fixtures/wake-c.c) for both.
 *
 *     npm run bench:wakeups -- [--seconds S] [--warmup S]
 */
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { buildCProgram } from '../native/fixtures/c-program.js';
import { eventfdCreate, eventfdSignal } from '../native/index.js';
import { threadTimes } from '../runtime/thread-times.js';
import { table } from './stats.js';

const { values: args } = parseArgs({
  options: { seconds: { type: 'string', default: '12' }, warmup: { type: 'string', default: '5' } },
});
const seconds = Number(args.seconds);
const warmupS = Number(args.warmup);
// As the companion runs (actors/root/cli.ts): no full collections once a small heap stops growing.
setFlagsFromString('--no-memory-reducer-for-small-heaps');

type Mode = 'port' | 'eventfd';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cpu = (name: string) =>
  threadTimes(process.pid, 'bench')
    .filter((t) => t.name === name)
    .reduce((s, t) => s + t.seconds, 0);

/** CPU µs per wake of the receiver and of this (sending) thread, `rate` wakes a second. */
async function measure(mode: Mode, rate: number): Promise<{ receiver: number; sender: number }> {
  const fd = eventfdCreate();
  const worker = new Worker(new URL('./fixtures/wake-worker.js', import.meta.url), { workerData: { mode, fd } });
  await new Promise((r) => worker.once('message', r));
  const wake = () => (mode === 'port' ? worker.postMessage(0) : eventfdSignal(fd));
  const run = async (ms: number) => {
    const timer = setInterval(wake, 1000 / rate);
    await sleep(ms);
    clearInterval(timer);
    await sleep(100);
  };
  await run(warmupS * 1000);
  const [r0, s0] = [cpu('wake-receiver'), cpu('bench')];
  const wakes = Math.round(seconds * rate);
  await run(seconds * 1000);
  const [r1, s1] = [cpu('wake-receiver'), cpu('bench')];
  await worker.terminate();
  return { receiver: ((r1 - r0) / wakes) * 1e6, sender: ((s1 - s0) / wakes) * 1e6 };
}

const cProgram = buildCProgram('bench/fixtures/wake-c.c', ['-pthread']);
/** The same in C: CPU µs per wake of the receiving and the sending thread. */
const inC = (rate: number) => {
  const [receiver, sender] = execFileSync(cProgram, [String(rate), String(warmupS), String(seconds)], { encoding: 'utf8' })
    .trim()
    .split(' ')
    .map(Number) as [number, number];
  return { receiver, sender };
};

const rows: (string | number)[][] = [];
for (const rate of [7, 500]) {
  const c = inC(rate);
  const eventfd = await measure('eventfd', rate);
  const port = await measure('port', rate);
  rows.push([
    `${rate}/s`,
    'receiver',
    c.receiver,
    eventfd.receiver,
    port.receiver,
    eventfd.receiver / c.receiver,
    port.receiver / eventfd.receiver,
  ]);
  rows.push(['', 'sender', c.sender, eventfd.sender, port.sender, eventfd.sender / c.sender, port.sender / eventfd.sender]);
}
console.log(`bench:wakeups: ${seconds} s per figure after ${warmupS} s of the same; CPU µs per wake-up\n`);
console.log(table(['pace', 'thread', 'C, eventfd', 'node, eventfd', 'node, port', 'node eventfd / C', 'port / eventfd'], rows));
