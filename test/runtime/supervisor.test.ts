import test, { type ExecutionContext } from 'ava';
import { LinkDownError } from '../../runtime/link.js';
import { createLogger } from '../../runtime/log.js';
import { moved, shared } from '../../runtime/envelope.js';
import { Supervisor, type SupervisorEvent } from '../../runtime/supervisor.js';
import { prestartActorThread, takeSpareThread } from '../../runtime/spare-thread.js';
import {
  coalescingProducerToConsumer,
  counterPeers,
  producerToConsumer,
  type ConsumerContract,
  type CounterContract,
  type CrashOnStartContract,
  type ProducerContract,
} from '../fixtures/actors/contracts.js';
import { eventually, settle } from '../helpers/eventually.js';

const actor = (name: string) => new URL(`../fixtures/actors/${name}.js`, import.meta.url);

function supervisor(t: ExecutionContext): { sup: Supervisor; events: SupervisorEvent[] } {
  const sup = new Supervisor({ log: createLogger('silent'), logLevel: 'silent' });
  const events: SupervisorEvent[] = [];
  sup.events$.subscribe((e) => events.push(e));
  t.teardown(() => sup.stop());
  return { sup, events };
}

test('a crashing actor is restarted with fresh state while its peer keeps running', async (t) => {
  const { sup, events } = supervisor(t);
  const policy = { backoffMs: { initial: 50, max: 50 } };
  const a = sup.spawn<CounterContract>({ name: 'a', module: actor('counter'), init: { start: 10 }, policy });
  const b = sup.spawn<CounterContract>({ name: 'b', module: actor('counter'), init: { start: 20 }, policy });
  const peerEvents: string[] = [];
  b.link.messages$.subscribe((m) => peerEvents.push(m.event));
  sup.connect(counterPeers);
  await a.link.send({ kind: 'add', n: 5 });
  t.is(await a.link.ask({ kind: 'get' }), 15);
  t.is(await b.link.ask({ kind: 'ask-peer' }), 15);

  const restarted = sup.next('a', 'started');
  await t.throwsAsync(a.link.ask({ kind: 'crash' }), { instanceOf: LinkDownError });
  // The peer answers while a is down.
  t.is(await b.link.ask({ kind: 'get' }), 20);
  const started = await restarted;
  t.is(started.generation, 2);
  t.is(await a.link.ask({ kind: 'get' }), 10, 'restarted from its init, not its old state');
  t.is(await b.link.ask({ kind: 'ask-peer' }), 10, 'the peer link was re-made');
  await eventually('b to see a go down and come back', () => peerEvents.filter((e) => e.endsWith(':a')).length >= 3);
  t.deepEqual(peerEvents.filter((e) => e.endsWith(':a')).slice(-2), ['down:a', 'up:a']);
  const crash = events.find((e) => e.type === 'crashed');
  t.like(crash, { type: 'crashed', actor: 'a', generation: 1 });
  t.regex(crash?.type === 'crashed' ? crash.error : '', /counter asked to crash/);
  t.like(
    events.find((e) => e.type === 'restarting'),
    { actor: 'a', attempt: 1, delayMs: 50 },
  );
  t.false(events.some((e) => e.actor === 'b' && e.type !== 'started'));
});

test('an actor on a thread booted ahead (a spare) gets its init and its peers, and a restart gets a fresh thread', async (t) => {
  const { sup } = supervisor(t);
  const policy = { backoffMs: { initial: 50, max: 50 } };
  prestartActorThread(actor('counter'));
  // The actor's data reaches the spare whether or not it has finished loading its module.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const a = sup.spawn<CounterContract>({ name: 'a', module: actor('counter'), init: { start: 10 }, policy });
  const b = sup.spawn<CounterContract>({ name: 'b', module: actor('counter'), init: { start: 20 } });
  sup.connect(counterPeers);
  t.is(takeSpareThread(actor('counter')), undefined, 'the first actor of that module took the spare');
  await a.link.send({ kind: 'add', n: 5 });
  t.is(await a.link.ask({ kind: 'get' }), 15);
  t.is(await b.link.ask({ kind: 'ask-peer' }), 15);
  const restarted = sup.next('a', 'started');
  await t.throwsAsync(a.link.ask({ kind: 'crash' }), { instanceOf: LinkDownError });
  t.is((await restarted).generation, 2);
  t.is(await a.link.ask({ kind: 'get' }), 10, 'restarted from its init');
  t.is(await b.link.ask({ kind: 'ask-peer' }), 10);
});

test('a crash loop is bounded: restarts with growing backoff, then escalation', async (t) => {
  const { sup, events } = supervisor(t);
  const escalated = sup.next('boom', 'escalated');
  sup.spawn<CrashOnStartContract>({
    name: 'boom',
    module: actor('crash-on-start'),
    init: null,
    policy: { maxRestarts: 3, withinMs: 60_000, backoffMs: { initial: 10, max: 1_000 } },
  });
  const e = await escalated;
  t.true(e.crashLoop);
  t.regex(e.error, /cannot start/);
  t.deepEqual(
    events.filter((x) => x.type === 'restarting').map((x) => (x.type === 'restarting' ? x.delayMs : 0)),
    [10, 20, 40],
  );
  t.is(events.filter((x) => x.type === 'crashed').length, 4);
  await settle(100);
  t.is(events.filter((x) => x.type === 'crashed').length, 4, 'no restart after escalation');
});

test('the stop policy leaves a crashed actor down', async (t) => {
  const { sup, events } = supervisor(t);
  const stopped = sup.next('once', 'stopped');
  sup.spawn<CrashOnStartContract>({ name: 'once', module: actor('crash-on-start'), init: null, policy: { strategy: 'stop' } });
  await stopped;
  await settle(100);
  t.deepEqual(
    events.map((e) => e.type),
    ['crashed', 'stopped'],
  );
});

test('an actor taking the end of a port that is not its own fails at start', async (t) => {
  const { sup } = supervisor(t);
  const crashed = sup.next('impostor', 'crashed');
  sup.spawn<ProducerContract>({ name: 'impostor', module: actor('producer'), init: { size: 1 }, policy: { strategy: 'stop' } });
  t.regex((await crashed).error, /impostor took the producer end of the port producer–consumer/);
});

test('moved buffers and shared memory round-trip intact through a worker', async (t) => {
  const { sup } = supervisor(t);
  const c = sup.spawn<CounterContract>({ name: 'echo', module: actor('counter'), init: { start: 0 } });
  for (const size of [1, 1 << 20, 8 << 20]) {
    const data = new Uint8Array(size);
    for (let i = 0; i < size; i++) data[i] = (i * 31 + 7) & 0xff;
    const expected = data.slice();
    const back = await c.link.ask({ kind: 'echo', data: moved(data) });
    t.is(data.byteLength, 0, 'moved, not copied');
    t.is(Buffer.compare(back.value, expected), 0, `${size} bytes intact`);
  }
  const sab = new SharedArrayBuffer(4096);
  const n = await c.link.ask({ kind: 'fill', data: shared(new Uint8Array(sab, 1024, 2048)), value: 0xab });
  t.is(n, 2048);
  const view = new Uint8Array(sab);
  t.true(
    view.subarray(1024, 3072).every((v) => v === 0xab),
    'the worker wrote into our memory',
  );
  t.true(view.subarray(0, 1024).every((v) => v === 0) && view.subarray(3072).every((v) => v === 0), 'only its slice');
});

const FRAME = 1 << 20;
const FRAMES = 300;

function pipeline(t: ExecutionContext, coalesce: boolean) {
  const { sup } = supervisor(t);
  const producer = sup.spawn<ProducerContract>({ name: 'producer', module: actor('producer'), init: { size: FRAME } });
  const consumer = sup.spawn<ConsumerContract>({ name: 'consumer', module: actor('consumer'), init: null });
  sup.connect(coalesce ? coalescingProducerToConsumer : producerToConsumer);
  return { producer, consumer };
}

test.serial('a producer facing a stalled consumer waits, under a fixed memory bound', async (t) => {
  const { producer, consumer } = pipeline(t, false);
  await consumer.link.ask({ kind: 'stall' });
  const rssBefore = process.memoryUsage().rss;
  const done = producer.link.ask({ kind: 'produce', count: FRAMES, mode: 'send' });
  await eventually('the producer to fill window and outbox', async () => (await producer.link.ask({ kind: 'progress' })).sent === 8);
  await settle(300);
  const { sent } = await producer.link.ask({ kind: 'progress' });
  t.is(sent, 8, 'window (4) + outbox (4) frames, then the producer waits');
  const grown = process.memoryUsage().rss - rssBefore;
  t.true(grown < 64 * FRAME, `RSS grew ${(grown / FRAME).toFixed(1)} MiB for ${FRAMES} MiB offered`);
  t.is((await consumer.link.ask({ kind: 'seen' })).count, 0);
  await consumer.link.ask({ kind: 'resume' });
  t.is(await done, FRAMES);
  await eventually('every frame to arrive', async () => (await consumer.link.ask({ kind: 'seen' })).count === FRAMES);
  t.deepEqual(await consumer.link.ask({ kind: 'seen' }), { count: FRAMES, lastSeq: FRAMES, bytes: FRAMES * FRAME });
});

test('a coalescing producer never waits and its stalled consumer gets the latest frame', async (t) => {
  const { producer, consumer } = pipeline(t, true);
  await consumer.link.ask({ kind: 'stall' });
  t.is(await producer.link.ask({ kind: 'produce', count: FRAMES, mode: 'offer' }), FRAMES);
  const { merged } = await producer.link.ask({ kind: 'progress' });
  t.true(merged >= FRAMES - 5, `${merged} frames merged away`);
  await consumer.link.ask({ kind: 'resume' });
  await eventually('the latest frame', async () => (await consumer.link.ask({ kind: 'seen' })).lastSeq === FRAMES);
  const seen = await consumer.link.ask({ kind: 'seen' });
  t.true(seen.count <= 5, `only ${seen.count} frames delivered, not ${FRAMES}`);
});
