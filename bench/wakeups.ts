/**
 * `npm run bench:wakeups`: what it costs a Node thread to be woken by another, by the two ways
 * the companion's threads wake each other: a MessagePort post (runtime/link.ts) and an eventfd
 * watched by the native Poller (the QXL rings, QEMU's socket), at an idle guest's pace (its
 * marker, 7 a second: every wake finds cold caches) and at a busy one. Per wake: the receiving
 * thread's CPU, and the sending thread's (a timer's wake-up and the post or the signal). Then
 * the same with a write: the woken thread sends `--bytes` (an idle marker's drawing) on a
 * loopback TCP connection that another thread drains, as a display channel's thread sends a
 * drawing to its client. The references, in the same run: the eventfd for the port, and C
 * threads doing the same (bench/fixtures/wake-c.c) for both.
 *
 *     npm run bench:wakeups -- [--seconds S] [--warmup S] [--bytes N]
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
  options: {
    seconds: { type: 'string', default: '12' },
    warmup: { type: 'string', default: '5' },
    // bench:e2e's idle marker: a 16x16 GLZ drawing and its message, some 300 bytes.
    bytes: { type: 'string', default: '300' },
  },
});
const seconds = Number(args.seconds);
const warmupS = Number(args.warmup);
const bytes = Number(args.bytes);
if (!(Number.isInteger(bytes) && bytes > 0 && bytes <= 65536)) throw new Error('--bytes: 1..65536');
// As the companion runs (actors/root/cli.ts): no full collections once a small heap stops growing.
setFlagsFromString('--no-memory-reducer-for-small-heaps');

type Mode = 'port' | 'eventfd';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cpu = (name: string) =>
  threadTimes(process.pid, 'bench')
    .filter((t) => t.name === name)
    .reduce((s, t) => s + t.seconds, 0);

const fixture = new URL('./fixtures/wake-worker.js', import.meta.url);

/** CPU µs per wake of the receiver and of this (sending) thread, `rate` wakes a second; the receiver writes `write` bytes per wake. */
async function measure(mode: Mode, rate: number, write = 0): Promise<{ receiver: number; sender: number }> {
  const fd = eventfdCreate();
  const client = write > 0 ? new Worker(fixture, { workerData: { role: 'client' } }) : null;
  const clientPort = client ? await new Promise<number>((r) => client.once('message', r)) : 0;
  const worker = new Worker(fixture, { workerData: { role: 'receiver', mode, fd, bytes: write, client: clientPort } });
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
  await client?.terminate();
  return { receiver: ((r1 - r0) / wakes) * 1e6, sender: ((s1 - s0) / wakes) * 1e6 };
}

const cProgram = buildCProgram('bench/fixtures/wake-c.c', ['-pthread']);
/** The same in C: CPU µs per wake of the receiving and the sending thread. */
const inC = (rate: number, write = 0) => {
  const [receiver, sender] = execFileSync(cProgram, [String(rate), String(warmupS), String(seconds), String(write)], { encoding: 'utf8' })
    .trim()
    .split(' ')
    .map(Number) as [number, number];
  return { receiver, sender };
};

const rows: (string | number)[][] = [];
const writes: (string | number)[][] = [];
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
  const cWrite = inC(rate, bytes);
  const portWrite = await measure('port', rate, bytes);
  writes.push([`${rate}/s`, cWrite.receiver, portWrite.receiver, portWrite.receiver / cWrite.receiver, portWrite.receiver - port.receiver]);
}
console.log(`bench:wakeups: ${seconds} s per figure after ${warmupS} s of the same; CPU µs per wake-up\n`);
console.log(table(['pace', 'thread', 'C, eventfd', 'node, eventfd', 'node, port', 'node eventfd / C', 'port / eventfd'], rows));
console.log(`\nWoken, then ${bytes} bytes written to a loopback TCP connection; the woken thread's CPU µs per wake-up\n`);
console.log(table(['pace', 'C, eventfd + write', 'node, port + write', 'node / C', 'node: the write alone'], writes));
