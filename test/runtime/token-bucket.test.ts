import test from 'ava';
import { TokenBucket } from '../../runtime/qos/token-bucket.js';

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
