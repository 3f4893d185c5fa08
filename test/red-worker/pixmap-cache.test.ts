import test from 'ava';
import { Worker } from 'node:worker_threads';
import {
  PixmapCache,
  pixmapCachePixels,
  PIXMAP_CACHE_DISPLAYS,
  PIXMAP_CACHE_MAX_PIXELS,
  type CacheVerdict,
} from '../../actors/pipeline/red-worker/cache/pixmap-cache.js';
import { contentKey, type ContentKey } from '../../actors/pipeline/red-worker/cache/content-key.js';

const options = { canLossy: false, jpeg: false };
/** A content key named `name` (its hashes from the name). */
const k = (name: string): ContentKey => {
  let h = 7;
  for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
  return { width: name.length, height: 1, h1: h, h2: h ^ 0x5bd1e995 };
};
/** `displays` views of one new cache of `capacity` pixels. */
const shared = (capacity: number, displays = 1, maxEntries?: number) => {
  const memory = PixmapCache.create(capacity, maxEntries);
  return Array.from({ length: displays }, (_, d) => new PixmapCache(memory, d));
};
const added = (v: CacheVerdict) => {
  if (v.kind !== 'add') throw new Error(`not an add: ${v.kind}`);
  return v;
};

test('an image seen again is a hit under the id it was added with; least recently used images go first, their ids listed', (t) => {
  const [cache] = shared(300);
  const a = added(cache!.use(k('a'), 100, options));
  t.like(a, { replace: false, evicted: [], waits: [] });
  const b = added(cache!.use(k('b'), 100, options));
  cache!.use(k('c'), 100, options);
  t.like(cache!.use(k('a'), 100, options), { kind: 'hit', id: a.id, lossless: false, shared: false });
  // Full: 'b' is the least recently used now ('a' was just hit).
  const d = added(cache!.use(k('d'), 150, options));
  t.true(d.evicted.includes(b.id));
  t.true(cache!.pixels <= 300);
  t.like(cache!.use(k('b'), 100, options), { kind: 'add' }, 'an evicted image is sent again');
  t.deepEqual(cache!.use(k('huge'), 301, options), { kind: 'skip' }, 'larger than the cache: not cached');
});

test('entries are bounded in number too; a forgotten id is never a hit', (t) => {
  const [cache] = shared(1_000_000, 1, 4);
  for (let i = 0; i < 10; i++) cache!.use(k(`k${i}`), 1, options);
  t.is(cache!.size, 4);
  const v = added(cache!.use(k('x'), 1, options));
  cache!.forget(v.use);
  t.like(cache!.use(k('x'), 1, options), { kind: 'add' });
  t.is(cache!.size, 4);
});

test('lossy entries: a hit when lossy pixels may show, else sent again with CACHE_REPLACE_ME; exact hits say so while JPEG is on', (t) => {
  const [cache] = shared(1000);
  const v = added(cache!.use(k('p'), 10, options));
  t.like(cache!.use(k('p'), 10, { canLossy: false, jpeg: true }), { kind: 'hit', id: v.id, lossless: true });
  cache!.setLossy(v.use, true);
  t.like(cache!.use(k('p'), 10, { canLossy: true, jpeg: true }), { kind: 'hit', id: v.id, lossless: false });
  t.like(cache!.use(k('p'), 10, { canLossy: false, jpeg: true }), { kind: 'add', id: v.id, replace: true, evicted: [] });
  t.like(cache!.use(k('p'), 10, { canLossy: false, jpeg: true }), { kind: 'hit', lossless: true });
});

test("a client's displays share one cache: one id sequence, a display hits what another sent", (t) => {
  const [d0, d1] = shared(1000, 2);
  const a = added(d0!.use(k('a'), 10, options));
  const b = added(d1!.use(k('b'), 10, options));
  t.not(a.id, b.id);
  t.like(d1!.use(k('a'), 10, options), { kind: 'hit', id: a.id, shared: true });
  t.like(d0!.use(k('a'), 10, options), { kind: 'hit', id: a.id, shared: false });
  t.is(d0!.size, 2);
  t.throws(() => new PixmapCache(PixmapCache.create(10), PIXMAP_CACHE_DISPLAYS), { instanceOf: RangeError });
});

test('a display knows whether another uses the cache (its unsent messages then hold that one back)', (t) => {
  const memory = PixmapCache.create(1000);
  const d0 = new PixmapCache(memory, 0);
  t.false(d0.shared, 'alone');
  const d3 = new PixmapCache(memory, 3);
  t.true(d0.shared, 'display 3 came');
  t.true(d3.shared, 'display 0 was there');
  d3.leave();
  t.false(d0.shared, 'display 3 left');
  d0.leave();
  t.false(new PixmapCache(memory, 3).shared, 'the one after both left is alone');
});

test('evicting what another display used: never before its message has a serial; after, behind a wait for that serial', (t) => {
  // Capacity for two images: a third evicts the least recently used.
  type Row = readonly [situation: string, other: (d1: PixmapCache, use: { slot: number; seq: number }) => void, expect: string];
  const rows: Row[] = [
    ['display 1 hit it, its message not gone yet', () => {}, 'kept'],
    ['display 1 hit it, its message went as serial 42', (d1, use) => d1.sent([use], 42), 'wait 1@42'],
    ['display 1 hit it, its message never went', (d1, use) => d1.settle([use]), 'evicted'],
    ['display 1 hit it, its message went, then its client left', (d1, use) => (d1.sent([use], 42), d1.leave()), 'evicted'],
  ];
  for (const [situation, other, expect] of rows) {
    const [d0, d1] = shared(20, 2);
    const a = added(d0!.use(k('a'), 10, options));
    d0!.sent([a.use], 7);
    const hit = d1!.use(k('a'), 10, options);
    if (hit.kind !== 'hit') return t.fail(situation);
    other(d1!, hit.use);
    added(d0!.use(k('b'), 10, options));
    const c = d0!.use(k('c'), 10, options);
    const got =
      c.kind === 'skip'
        ? 'skip'
        : c.kind === 'add' && c.evicted.includes(a.id)
          ? c.waits.length > 0
            ? c.waits.map((w) => `wait ${w.display}@${w.serial}`).join(' ')
            : 'evicted'
          : 'kept';
    t.is(got, expect, situation);
  }
  // Nothing evictable: the image goes uncached.
  const [d0, d1] = shared(10, 2);
  added(d0!.use(k('a'), 10, options));
  d1!.use(k('a'), 10, options);
  t.deepEqual(d0!.use(k('b'), 10, options), { kind: 'skip' }, 'no room it may free: not cached');
});

test('two red-worker threads on one cache: the table stays whole (every entry found once, its pixels counted once)', async (t) => {
  const capacity = 5000;
  const memory = PixmapCache.create(capacity, 64);
  const keys = 300;
  const start = new Int32Array(new SharedArrayBuffer(4));
  const worker = (display: number) =>
    new Promise<void>((resolve, reject) => {
      const w = new Worker(
        `const { workerData, parentPort } = require('node:worker_threads');
         import(workerData.url).then(({ PixmapCache }) => {
           const c = new PixmapCache(workerData.memory, workerData.display);
           let serial = 0;
           let seed = workerData.display + 1;
           const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
           // Both start together, so that their calls overlap.
           Atomics.add(workerData.start, 0, 1);
           while (Atomics.load(workerData.start, 0) < 2);
           for (let i = 0; i < 100000; i++) {
             const n = Math.floor(rnd() * workerData.keys);
             const v = c.use({ width: n, height: 1, h1: n * 7, h2: n }, 10 + (n % 90), { canLossy: true, jpeg: false });
             if (v.kind === 'skip') continue;
             if (rnd() < 0.9) c.sent([v.use], ++serial); else c.settle([v.use]);
           }
           parentPort.postMessage('done');
         }, (e) => { throw e; });`,
        {
          eval: true,
          workerData: {
            memory,
            display,
            keys,
            start,
            url: new URL('../../actors/pipeline/red-worker/cache/pixmap-cache.js', import.meta.url).href,
          },
        },
      );
      w.once('message', () => void w.terminate().then(() => resolve()));
      w.once('error', reject);
    });
  await Promise.all([worker(0), worker(1)]);
  const probe = new PixmapCache(memory, 2);
  // A miss larger than the cache changes nothing: every key is looked up, none added.
  const ids = new Set<bigint>();
  let pixels = 0;
  for (let n = 0; n < keys; n++) {
    const v = probe.use({ width: n, height: 1, h1: n * 7, h2: n }, capacity + 1, { canLossy: true, jpeg: false });
    if (v.kind === 'hit') {
      ids.add(v.id);
      pixels += 10 + (n % 90);
    }
  }
  t.is(ids.size, probe.size, 'every entry found under its own id');
  t.is(pixels, probe.pixels, 'the pixels held are those of the entries');
  t.true(probe.pixels <= capacity && probe.size <= 64);
  t.true(probe.size > 10, `${probe.size} entries held`);
});

test("DISPLAY_INIT's size is clamped to the bound; hostile values give no cache or the bound", (t) => {
  t.deepEqual(pixmapCachePixels(20_971_520), { pixels: 20_971_520, clamped: false });
  t.deepEqual(pixmapCachePixels(-5), { pixels: 0, clamped: true });
  t.deepEqual(pixmapCachePixels(2 ** 62), { pixels: PIXMAP_CACHE_MAX_PIXELS, clamped: true });
  t.deepEqual(pixmapCachePixels(Number.NaN), { pixels: 0, clamped: true });
});

test('content keys: equal shown pixels give equal keys whatever the 4th byte or the stride; one changed pixel or another size does not', (t) => {
  const px = (n: number, fill: (i: number) => number) => {
    const b = new Uint8Array(new SharedArrayBuffer(n * 4));
    const w = new Uint32Array(b.buffer);
    for (let i = 0; i < n; i++) w[i] = fill(i);
    return b;
  };
  const a = { width: 8, height: 4, stride: 32, pixels: px(32, (i) => 0xff000000 | (i * 0x10101)) };
  const x = { ...a, pixels: px(32, (i) => i * 0x10101) };
  const wide = { ...a, stride: 48, pixels: px(48, (i) => (i % 12 < 8 ? (i - 4 * Math.floor(i / 12)) * 0x10101 : 0xabcdef)) };
  t.deepEqual(contentKey(a), contentKey(x));
  t.deepEqual(contentKey(a), contentKey(wide));
  const changed = { ...a, pixels: px(32, (i) => (i === 17 ? 1 : i * 0x10101)) };
  t.notDeepEqual(contentKey(a), contentKey(changed));
  t.notDeepEqual(contentKey(a), contentKey({ ...a, width: 4, height: 8, stride: 16 }), 'the same pixels in another shape');
  // Each pixel's place counts, over rows of a width that is no multiple of the hash's lanes: any
  // one channel changed anywhere, or two neighbours swapped, gives a key of its own.
  const [width, height, stride] = [7, 5, 9];
  const base = (i: number) => (i % stride < width ? ((i * 0x9e3779b1) >>> 0) & 0xffffff : 0);
  const keyOf = (fill: (i: number) => number) =>
    JSON.stringify(contentKey({ width, height, stride: stride * 4, pixels: px(stride * height, fill) }));
  const keys = new Set([keyOf(base)]);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const at = y * stride + x;
      for (const bit of [0x1, 0x100, 0x10000]) keys.add(keyOf((i) => (i === at ? base(i) ^ bit : base(i))));
      if (x + 1 < width) keys.add(keyOf((i) => base(i === at ? at + 1 : i === at + 1 ? at : i)));
    }
  t.is(keys.size, 1 + width * height * 3 + (width - 1) * height);
});
