import test from 'ava';
import { Meter } from '../../runtime/meter.js';
import { createLogger } from '../../runtime/log.js';
import { Supervisor } from '../../runtime/supervisor.js';
import type { CounterContract } from '../fixtures/actors/contracts.js';

test('a meter gives one cell per name and labels, and reads figures kept elsewhere at collection', (t) => {
  const meter = new Meter();
  const a = meter.counter('x_total', 'x', { kind: 'a' });
  a.value += 2;
  t.is(meter.counter('x_total', 'x', { kind: 'a' }), a, 'the same cell');
  meter.counter('x_total', 'x', { kind: 'b' }).value++;
  let kept = 5;
  meter.gauge('y', 'y', {}, () => kept);
  kept = 7;
  t.deepEqual(meter.samples(), [
    { name: 'x_total', help: 'x', type: 'counter', labels: { kind: 'a' }, value: 2 },
    { name: 'x_total', help: 'x', type: 'counter', labels: { kind: 'b' }, value: 1 },
    { name: 'y', help: 'y', type: 'gauge', labels: {}, value: 7 },
  ]);
});

test("the supervisor collects every actor's meter and counts restarts", async (t) => {
  const sup = new Supervisor({ log: createLogger('silent'), logLevel: 'silent' });
  t.teardown(() => sup.stop());
  const a = sup.spawn<CounterContract>({
    name: 'a',
    module: new URL('../fixtures/actors/counter.js', import.meta.url),
    init: { start: 3 },
    policy: { backoffMs: { initial: 20, max: 20 } },
  });
  await a.link.send({ kind: 'add', n: 4 });
  t.is(await a.link.ask({ kind: 'get' }), 7);
  t.like(await sup.metrics(), [{ actor: 'a', restarts: 0, samples: [{ name: 'counter_total', value: 7 }] }]);
  const back = sup.next('a', 'started');
  await a.link.ask({ kind: 'crash' }).catch(() => {});
  await back;
  t.like(
    await sup.metrics(),
    [{ actor: 'a', restarts: 1, samples: [{ name: 'counter_total', value: 3 }] }],
    'a fresh meter after the restart',
  );
});
