import test from 'ava';
import { Worker } from 'node:worker_threads';
import { SharedBudget } from '../../runtime/qos/shared-budget.js';
import { processClock } from '../../runtime/clock.js';

test('a shared budget paces by rate; lower priorities keep a reserve for higher ones; priority 0 borrows one burst', (t) => {
  const b = SharedBudget.create(1000, 0, 800); // 1000 B/s, burst 800
  t.is(b.take(500, 1, 0), 0, 'from a full bucket');
  // 300 left; priority 4 must leave 400 (4/8 of the burst): it waits, priority 1 (100 reserve) does not.
  t.true(b.take(100, 4, 0) > 0);
  t.is(b.take(100, 1, 0), 0);
  t.is(b.take(900, 0, 0), 0, 'priority 0 borrows: 200 - 900 = -700, within one burst');
  t.true(b.take(200, 0, 0) > 0, 'but not past one burst');
  const wait = b.take(100, 2, 0);
  t.true(Math.abs(wait - (700 + 300)) < 1, `priority 2 waits for the debt and its reserve: ${wait} ms`);
  t.is(b.take(100, 2, 1000), 0, 'after the refill');
  const big = SharedBudget.create(1000, 0, 800);
  t.is(big.take(5000, 3, 0), 0, 'a unit larger than the burst goes from a full bucket');
  t.true(big.take(10, 0, 0) > 3000, 'and its debt holds even priority 0');
});

test('the budget is one across threads', async (t) => {
  const b = SharedBudget.create(1, processClock.now(), 1000);
  const w = new Worker(
    `const { workerData, parentPort } = require('node:worker_threads');
     const url = workerData.url;
     import(url).then(({ SharedBudget }) => {
       const b = SharedBudget.of(workerData.memory);
       parentPort.postMessage(b.take(900, 1, performance.timeOrigin + performance.now()));
     });`,
    { eval: true, workerData: { memory: b.memory, url: new URL('../../runtime/qos/shared-budget.js', import.meta.url).href } },
  );
  t.is(await new Promise((r) => w.once('message', r)), 0, 'the worker took 900 of the 1000');
  await w.terminate();
  t.true(b.take(900, 1, processClock.now()) > 0, 'so there is not enough left here');
});
