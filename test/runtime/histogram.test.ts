import test from 'ava';
import { Histogram } from '../../runtime/histogram.js';

test('count, sum, min and max are exact; values below 16 have exact quantiles', (t) => {
  const h = new Histogram();
  for (const v of [3, 3, 5, 7, 9, 11]) h.record(v);
  t.like(h.summary(), { count: 6, min: 3, max: 11, p50: 5, p99: 11 });
  t.is(h.sum, 38);
  t.is(h.quantile(0), 3);
  t.is(h.quantile(1), 11);
});

test('quantiles stay within 1/16 of the true value across magnitudes', (t) => {
  for (const scale of [1, 37, 1000, 250_000]) {
    const h = new Histogram();
    const values = Array.from({ length: 1000 }, (_, i) => (i + 1) * scale);
    // Shuffled order: the result must not depend on it.
    for (let i = 0; i < values.length; i++) h.record(values[(i * 7919) % values.length]!);
    for (const [q, truth] of [
      [0.5, 500 * scale],
      [0.99, 990 * scale],
      [0.1, 100 * scale],
    ] as const) {
      const got = h.quantile(q);
      t.true(Math.abs(got - truth) <= truth / 16, `scale ${scale} q ${q}: ${got} vs ${truth}`);
    }
  }
});

test('an empty histogram answers zeros; fractions floor, negatives and huge values clamp, NaN is ignored', (t) => {
  const h = new Histogram();
  t.deepEqual(h.summary(), { count: 0, mean: 0, min: 0, p50: 0, p99: 0, max: 0 });
  h.record(2.9);
  h.record(-5);
  h.record(NaN);
  h.record(1e12);
  t.is(h.count, 3);
  t.is(h.summary().min, 0);
  t.is(h.summary().max, 2 ** 32 - 1);
  t.is(h.quantile(0.5), 2);
});
