import test from 'ava';
import { DeviceHeap } from '../../native/qxl/heap.js';
import type { QxlPhysical } from '../../native/qxl/layout.js';
import { MemSlots } from '../../native/qxl/memslots.js';

const addr = (v: bigint) => v as QxlPhysical;

test('an address is slot id, generation and offset, as spice-server decodes it', (t) => {
  const slots = new MemSlots();
  slots.add({ id: 1, generation: 7, start: 8192, end: 65536 });
  const a = slots.encode(1, 10000);
  t.is(a as bigint, 0x0107_0000_0000_2710n, 'id in the top 8 bits, generation in the next 8');
  t.is(slots.resolve(a, 16), 10000);
  t.is(slots.resolve(addr(0x0107_0000_0000_0000n | 65528n), 8), 65528, 'the last 8 bytes of the slot');
  t.deepEqual(slots.available(a), { offset: 10000, length: 55536 });
  t.throws(() => slots.encode(1, 65536), { instanceOf: RangeError });
  t.throws(() => slots.encode(2, 9000), { instanceOf: RangeError });
});

test('bad addresses are error values: slot id, missing slot, generation, range', (t) => {
  const slots = new MemSlots();
  slots.add({ id: 1, generation: 7, start: 8192, end: 65536 });
  const problem = (a: bigint, size = 8) => {
    const r = slots.resolve(addr(a), size);
    return typeof r === 'number' ? r : r.problem;
  };
  t.is(problem(0x0807_0000_0000_2000n), 'slot-id', 'slot 8 of 8: the CVE-2019-3813 off-by-one is refused');
  t.is(problem(0xff07_0000_0000_2000n), 'slot-id');
  t.is(problem(0x0207_0000_0000_2000n), 'no-slot');
  t.is(problem(0x0106_0000_0000_2000n), 'generation');
  t.is(problem(0x0107_0000_0000_1fffn), 'range', 'below the slot');
  t.is(problem(0x0107_0000_0001_0000n), 'range', 'at the end');
  t.is(problem(0x0107_0000_0000_fff9n), 'range', 'the struct runs past the end');
  t.is(problem(0x0107_ffff_ffff_fff0n), 'range');
  t.is(problem(0x0107_0000_0000_2000n, -1), 'range');
  t.is(problem(0x0107_0000_0000_2000n, 1.5), 'range');
  t.is(problem(-1n), 'slot-id', 'a negative bigint is read as its 64-bit pattern');
  // A slot re-added with a new generation voids the old addresses.
  const old = slots.encode(1, 9000);
  slots.add({ id: 1, generation: 8, start: 8192, end: 65536 });
  t.like(slots.resolve(old, 8), { problem: 'generation' });
  slots.delete(1);
  t.like(slots.resolve(old, 8), { problem: 'no-slot' });
});

test('slots that the address bits cannot express are refused', (t) => {
  const slots = new MemSlots();
  t.throws(() => slots.add({ id: 8, generation: 0, start: 0, end: 10 }), { instanceOf: RangeError });
  t.throws(() => slots.add({ id: 0, generation: 256, start: 0, end: 10 }), { instanceOf: RangeError });
  t.throws(() => slots.add({ id: 0, generation: 0, start: 10, end: 10 }), { instanceOf: RangeError });
  t.throws(() => new MemSlots({ idBits: 24, generationBits: 24 }), { instanceOf: RangeError });
  const narrow = new MemSlots({ idBits: 2, generationBits: 1 }, 4);
  narrow.add({ id: 3, generation: 1, start: 0, end: 4096 });
  t.is(narrow.encode(3, 5) as bigint, 0xe000_0000_0000_0005n);
});

test('the device heap allocates first fit, aligned, and coalesces what comes back', (t) => {
  const heap = new DeviceHeap(8192, 8192 + 672);
  const a = heap.alloc(100)!;
  const b = heap.alloc(200)!;
  const c = heap.alloc(300)!;
  t.deepEqual([a, b, c], [8192, 8192 + 104, 8192 + 304], 'sizes rounded up to 8');
  t.is(heap.alloc(500), undefined, 'no block of 500 left');
  t.is(heap.liveCount, 3);
  t.true(heap.free(b));
  t.false(heap.free(b), 'a double free is refused');
  t.false(heap.free(a + 8), 'so is a pointer into an allocation');
  t.is(heap.alloc(208), undefined, 'the hole is 200 bytes, the tail 64');
  t.true(heap.free(a));
  t.is(heap.alloc(304), 8192, 'a and b merged into one block');
  t.true(heap.free(8192));
  t.true(heap.free(c));
  t.is(heap.usedBytes, 0);
  t.is(heap.alloc(672), 8192, 'everything merged back into one block');
  t.throws(() => heap.alloc(0), { instanceOf: RangeError });
});
