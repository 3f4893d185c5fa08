import test from 'ava';
import type { Clock } from '../../runtime/clock.js';
import { QosScheduler } from '../../runtime/qos/scheduler.js';
import { TokenBucket } from '../../runtime/qos/token-bucket.js';

class ManualClock implements Clock {
  t = 0;
  now(): number {
    return this.t;
  }
}

test('token bucket: burst goes at once, then the rate paces', (t) => {
  const b = new TokenBucket(1000, 500, 0);
  t.true(b.tryTake(500, 0));
  t.false(b.tryTake(100, 0));
  t.is(b.waitFor(100, 0), 100);
  t.true(b.tryTake(100, 100));
});

test('token bucket: a unit larger than the burst goes when full and leaves debt', (t) => {
  const b = new TokenBucket(1000, 100, 0);
  t.true(b.tryTake(1000, 0));
  // 900 bytes of debt plus 100 to fill again: one second.
  t.is(b.waitFor(100, 0), 1000);
  t.false(b.tryTake(1, 500));
  t.true(b.tryTake(100, 1000));
});

const classes = [
  { name: 'inputs', priority: 0 },
  { name: 'display', priority: 2 },
  { name: 'audio', priority: 3 },
];

test('scheduler: higher priority goes first, FIFO within a class', (t) => {
  const clock = new ManualClock();
  const s = new QosScheduler<string>({ classes, clock });
  s.enqueue('display', 10, 'd1');
  s.enqueue('audio', 10, 'a1');
  s.enqueue('display', 10, 'd2');
  s.enqueue('inputs', 10, 'i1');
  const order: string[] = [];
  for (let p = s.next(); p && 'item' in p; p = s.next()) order.push(p.item);
  t.deepEqual(order, ['i1', 'd1', 'd2', 'a1']);
  t.is(s.next(), null);
});

test('scheduler: a starved low class goes before a busy higher one', (t) => {
  const clock = new ManualClock();
  const s = new QosScheduler<string>({ classes, clock, starvationMs: 100 });
  s.enqueue('audio', 10, 'a1');
  const served: string[] = [];
  // The display keeps its queue full; every 20 ms one item of it goes.
  for (let i = 0; clock.t <= 200; i++, clock.t += 20) {
    s.enqueue('display', 10, `d${i}`);
    const p = s.next();
    if (p && 'item' in p) served.push(p.item);
  }
  const audioAt = served.indexOf('a1');
  t.true(audioAt > 0, 'display went first while audio had not waited long');
  t.true(audioAt <= 100 / 20 + 1, `audio went at step ${audioAt}, within the starvation bound`);
});

test('scheduler: class and link rates pace sending on a simulated clock', (t) => {
  const clock = new ManualClock();
  const s = new QosScheduler<number>({
    classes: [
      { name: 'display', priority: 2, rate: 10_000, burst: 1_000 },
      { name: 'audio', priority: 3 },
    ],
    linkRate: 20_000,
    linkBurst: 2_000,
    clock,
  });
  for (let i = 0; i < 300; i++) s.enqueue('display', 500, i);
  let sentDisplay = 0;
  // Over 10 simulated seconds the display class gets its 10 kB/s (+ its burst), no more.
  for (; clock.t <= 10_000; clock.t += 5) {
    for (let p = s.next(); p && 'item' in p; p = s.next()) sentDisplay += p.bytes;
  }
  t.true(sentDisplay >= 100_000 && sentDisplay <= 101_000, `display sent ${sentDisplay}`);
  // When only the rate holds an item back, next() says for how long.
  const s2 = new QosScheduler<number>({ classes: [{ name: 'x', priority: 0, rate: 1000, burst: 100 }], clock: new ManualClock() });
  s2.enqueue('x', 100, 1);
  s2.enqueue('x', 100, 2);
  t.truthy(s2.next());
  t.deepEqual(s2.next(), { waitMs: 100 });
});

test('scheduler: a full class refuses, others still accept', (t) => {
  const s = new QosScheduler<number>({ classes: [{ name: 'display', priority: 2, maxItems: 2 }, { name: 'inputs', priority: 0 }], clock: new ManualClock() });
  t.true(s.enqueue('display', 1, 1));
  t.true(s.enqueue('display', 1, 2));
  t.false(s.enqueue('display', 1, 3));
  t.true(s.enqueue('inputs', 1, 4));
  t.is(s.size, 3);
});
