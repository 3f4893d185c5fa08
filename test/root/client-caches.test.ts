import test from 'ava';
import { ClientCaches } from '../../actors/root/client-caches.js';

const asked = (pixmapCacheId: number, pixmapCachePixels = 1000) => ({ windowPixels: 2 ** 20, pixmapCacheId, pixmapCachePixels });

test("a client's displays share its GLZ dictionary, and its pixmap cache when they give the same id; a new session starts afresh", (t) => {
  const caches = new ClientCaches();
  const d0 = caches.take(1, 0, asked(1));
  const d1 = caches.take(1, 1, asked(1));
  t.is(d1.glz, d0.glz);
  t.is(d1.pixmaps, d0.pixmaps, 'same cache id: one table');
  const other = caches.take(1, 2, asked(2));
  t.is(other.glz, d0.glz);
  t.not(other.pixmaps, d0.pixmaps, 'another cache id: its own table');
  t.is(caches.take(1, 3, asked(1, 0)).pixmaps, null, 'no cache offered: none');
  const next = caches.take(2, 0, asked(1));
  t.not(next.glz, d0.glz);
  t.not(next.pixmaps, d0.pixmaps);
  t.is(caches.pixmapCaches, 3);
});

test('caches go with the last display using them: a cache id table with its last display, the client with its last', (t) => {
  const caches = new ClientCaches();
  const d0 = caches.take(1, 0, asked(1));
  caches.take(1, 1, asked(1));
  caches.take(1, 2, asked(2));
  caches.release(1, 2);
  t.is(caches.pixmapCaches, 1, "cache 2's table went with display 2");
  caches.release(1, 0);
  t.is(caches.take(1, 0, asked(1)).pixmaps, d0.pixmaps, 'display 1 still holds cache 1');
  caches.release(1, 0);
  caches.release(1, 1);
  caches.release(1, 1);
  t.is(caches.size, 0);
  t.not(caches.take(1, 0, asked(1)).glz, d0.glz, 'the same session taken again after its last display: afresh');
});
