import test from 'ava';
import { PixmapCache, pixmapCachePixels, PIXMAP_CACHE_MAX_PIXELS } from '../../actors/pipeline/red-worker/cache/pixmap-cache.js';
import { contentKey } from '../../actors/pipeline/red-worker/cache/content-key.js';

const options = { canLossy: false, jpeg: false };

test('an image seen again is a hit under the id it was added with; least recently used images go first, their ids listed', (t) => {
  const cache = new PixmapCache(300, 7n << 56n);
  const a = cache.use('a', 100, options);
  t.like(a, { kind: 'add', replace: false, evicted: [] });
  if (a.kind !== 'add') return;
  t.is(a.id >> 56n, 7n, 'ids carry the base in their high bits');
  const b = cache.use('b', 100, options);
  cache.use('c', 100, options);
  t.deepEqual(cache.use('a', 100, options), { kind: 'hit', id: a.id, lossless: false });
  // Full: 'b' is the least recently used now ('a' was just hit).
  const d = cache.use('d', 150, options);
  t.like(d, { kind: 'add' });
  if (d.kind !== 'add' || b.kind !== 'add') return;
  t.true(d.evicted.includes(b.id));
  t.true(cache.pixels <= 300);
  t.like(cache.use('b', 100, options), { kind: 'add' }, 'an evicted image is sent again');
  t.deepEqual(cache.use('huge', 301, options), { kind: 'skip' }, 'larger than the cache: not cached');
  t.is(cache.hits, 1);
});

test('entries are bounded in number too; a forgotten id is never a hit', (t) => {
  const cache = new PixmapCache(1_000_000, 0n, 4);
  for (let i = 0; i < 10; i++) cache.use(`k${i}`, 1, options);
  t.is(cache.size, 4);
  const v = cache.use('x', 1, options);
  if (v.kind !== 'add') return t.fail();
  cache.forget(v.id);
  t.like(cache.use('x', 1, options), { kind: 'add' });
});

test('lossy entries: a hit when lossy pixels may show, else sent again with CACHE_REPLACE_ME; exact hits say so while JPEG is on', (t) => {
  const cache = new PixmapCache(1000, 0n);
  const v = cache.use('p', 10, options);
  if (v.kind !== 'add') return t.fail();
  t.deepEqual(cache.use('p', 10, { canLossy: false, jpeg: true }), { kind: 'hit', id: v.id, lossless: true });
  cache.setLossy(v.id, true);
  t.deepEqual(cache.use('p', 10, { canLossy: true, jpeg: true }), { kind: 'hit', id: v.id, lossless: false });
  t.deepEqual(cache.use('p', 10, { canLossy: false, jpeg: true }), { kind: 'add', id: v.id, replace: true, evicted: [] });
  t.like(cache.use('p', 10, { canLossy: false, jpeg: true }), { kind: 'hit', lossless: true });
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
  t.is(contentKey(a), contentKey(x));
  t.is(contentKey(a), contentKey(wide));
  const changed = { ...a, pixels: px(32, (i) => (i === 17 ? 1 : i * 0x10101)) };
  t.not(contentKey(a), contentKey(changed));
  t.not(contentKey(a), contentKey({ ...a, width: 4, height: 8 }));
});
