import { Worker } from 'node:worker_threads';
import { moved } from '../runtime/envelope.js';
import { createLogger } from '../runtime/log.js';
import { Supervisor } from '../runtime/supervisor.js';
import type { EchoContract } from './fixtures/contracts.js';
import { percentile, table, timeEach } from './stats.js';

// Actor round trips and frame moves, each against raw postMessage to a bare worker measured in
// the same run: the ratio is the runtime's overhead (msgpack framing, credits, request ids).

const iterations = Number(process.env.BENCH_ITERATIONS ?? 4000);

const raw = new Worker(new URL('./fixtures/raw-echo-worker.js', import.meta.url));
const rawRoundTrip = (msg: unknown, transfer: ArrayBuffer[] = []) =>
  new Promise<unknown>((resolve) => {
    raw.once('message', resolve);
    raw.postMessage(msg, transfer);
  });

const supervisor = new Supervisor({ log: createLogger('warn'), logLevel: 'warn' });
const echo = supervisor.spawn<EchoContract>({ name: 'echo', module: new URL('./fixtures/echo-actor.js', import.meta.url), init: null });
await supervisor.next('echo', 'started');

const rows: (string | number)[][] = [];
async function compare(name: string, rawOp: () => Promise<unknown>, actorOp: () => Promise<unknown>, n = iterations) {
  // Interleaved rounds, so warm-up and machine noise fall on both sides alike.
  const r: number[] = [];
  const a: number[] = [];
  const rounds = 20;
  for (let round = 0; round < rounds; round++) {
    r.push(...(await timeEach(rawOp, n / rounds)));
    a.push(...(await timeEach(actorOp, n / rounds)));
  }
  const [r50, a50, r99, a99] = [percentile(r, 50), percentile(a, 50), percentile(r, 99), percentile(a, 99)];
  rows.push([name, r50, a50, a50 / r50, r99, a99]);
}

await compare(
  'round trip, small message',
  () => rawRoundTrip({ kind: 'ping', t: 1 }),
  () => echo.link.ask({ kind: 'ping', t: 1 }),
);
for (const mib of [1, 8]) {
  // One buffer each, moved there and back, so no run allocates or copies pixels.
  let rawBuf: Uint8Array = new Uint8Array(mib << 20).fill(1);
  let actorBuf: Uint8Array = new Uint8Array(mib << 20).fill(1);
  await compare(
    `${mib} MiB frame moved there and back`,
    async () => (rawBuf = (await rawRoundTrip(rawBuf, [rawBuf.buffer as ArrayBuffer])) as Uint8Array),
    async () => (actorBuf = (await echo.link.ask({ kind: 'frame', pixels: moved(actorBuf) })).value),
    iterations / 4,
  );
}

console.log(`bench/runtime: ${iterations} iterations (frames: ${iterations / 4}), Node ${process.version}, times in µs`);
console.log(table(['operation', 'raw p50', 'actor p50', 'ratio', 'raw p99', 'actor p99'], rows));
await supervisor.stop();
await raw.terminate();
