import test from 'ava';
import { QxlDevice } from '../../native/qxl/device.js';
import { WRITE_GENERATION_OFFSET } from '../../native/qxl/layout.js';
import { WriteGenerations, writtenBefore } from '../../actors/pipeline/red-worker/write-generations.js';

test("a move of the host's write holds until a snapshot ends after that write began; the count wraps", (t) => {
  const device = QxlDevice.create(1024 * 1024);
  t.teardown(() => device.close());
  const g = new WriteGenerations();
  g.attach(device.memory);
  const first = device.beginWrite();
  t.false(g.mayShow(first), 'no snapshot since the write began');
  g.snapshotted();
  t.true(g.mayShow(first), 'a snapshot ended after the write began: it may show the new pixels');
  const second = device.beginWrite();
  t.false(g.mayShow(second));
  t.true(g.mayShow(second - 1));

  // A device already counting: what it wrote before may all be shown.
  const later = new WriteGenerations();
  later.attach(device.memory);
  t.true(later.mayShow(second));

  // Past 2^32 writes the comparison still orders them.
  const word = new Uint32Array(device.memory, WRITE_GENERATION_OFFSET, 1);
  word[0] = 0xffff_fffe;
  const wrap = new WriteGenerations();
  wrap.attach(device.memory);
  const next = device.beginWrite();
  const after = device.beginWrite();
  t.is(after, 0);
  t.false(wrap.mayShow(next));
  wrap.snapshotted();
  t.true(wrap.mayShow(next));
  t.true(wrap.mayShow(after));
  t.false(wrap.mayShow(after + 1));
});

test('a write is whole in a snapshot begun after it ended, not in one begun while it ran; the count wraps', (t) => {
  const device = QxlDevice.create(1024 * 1024);
  t.teardown(() => device.close());
  const g = new WriteGenerations();
  g.attach(device.memory);
  const first = device.beginWrite();
  t.false(writtenBefore(first, g.current()), 'under way when the snapshot begins');
  device.endWrite();
  const start = g.current();
  t.true(writtenBefore(first, start), 'ended before it');
  const second = device.beginWrite();
  t.false(writtenBefore(second, start), 'a later write is not in it');
  t.false(g.mayShow(second), 'and a move of it still holds');
  t.true(writtenBefore(0xffff_ffff, 1), 'across the wrap');
});
