import test from 'ava';
import { SharedBuffers, sizeClass } from '../../codecs/image/shared-buffers.js';

test('a size class holds the size, at most 25% above it', (t) => {
  for (const n of [1, 4096, 4097, 5000, 65_537, 1024 * 768 * 4, 1920 * 1080 * 4, 33_554_433]) {
    const c = sizeClass(n);
    t.true(c >= n, `${n} -> ${c}`);
    t.true(c <= Math.max(4096, n * 1.25), `${n} -> ${c}`);
  }
});

test('a buffer given back serves the next drawing of a similar size', (t) => {
  const buffers = new SharedBuffers(2);
  const a = buffers.take(300 * 200 * 4);
  buffers.give(a);
  t.is(buffers.take(310 * 200 * 4), a);
  t.not(buffers.take(300 * 200 * 4), a);
});

test('at most perClass buffers of a class wait for reuse', (t) => {
  const buffers = new SharedBuffers(2);
  const taken = [buffers.take(10_000), buffers.take(10_000), buffers.take(10_000)];
  taken.forEach((b) => buffers.give(b));
  const again = new Set([buffers.take(10_000), buffers.take(10_000), buffers.take(10_000)]);
  t.is(taken.filter((b) => again.has(b)).length, 2);
});
