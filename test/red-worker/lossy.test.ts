import test from 'ava';
import { type Box, boxAt } from '../../codecs/box.js';
import { LOSSY_QUIET_MS, LossyAreas } from '../../actors/pipeline/red-worker/lossy.js';
import { goesLossy, wanOn } from '../../actors/pipeline/red-worker/wan.js';
import { corpus } from '../../codecs/image/fixtures/corpus.js';

const area = (boxes: readonly Box[]) => boxes.reduce((n, b) => n + (b.right - b.left) * (b.bottom - b.top), 0);

test('a lossy area that stops changing is handed back once, to go losslessly; one drawn over losslessly is not', async (t) => {
  const quiet: Box[][] = [];
  const lossy = new LossyAreas((boxes) => quiet.push(boxes));
  t.teardown(() => lossy.stop());
  const started = performance.now();
  lossy.lossy(boxAt(0, 0, 100, 100), started);
  lossy.lossy(boxAt(200, 0, 50, 50), started);
  // The second is drawn over losslessly, all but a 10-pixel strip.
  lossy.lossless(boxAt(200, 0, 40, 50));
  await new Promise((r) => setTimeout(r, LOSSY_QUIET_MS * 2 + 100));
  t.is(quiet.length, 1, 'handed back once');
  t.is(area(quiet[0]!), 100 * 100 + 10 * 50);
  lossy.lossy(boxAt(0, 0, 10, 10), performance.now());
  lossy.clear();
  await new Promise((r) => setTimeout(r, LOSSY_QUIET_MS * 2));
  t.is(quiet.length, 1, 'nothing after clear');
});

test('a COPY_BITS from lossy pixels names the destination parts to send losslessly; its destination counts as exact', (t) => {
  const lossy = new LossyAreas(() => t.fail('not quiet yet'));
  t.teardown(() => lossy.stop());
  lossy.lossy(boxAt(0, 100, 100, 20), performance.now());
  // A scroll up by 50 rows of the band 0..200: the lossy rows 100..120 land at 50..70.
  const fix = lossy.copied(boxAt(0, 0, 100, 150), 0, 50);
  t.deepEqual(fix, [boxAt(0, 50, 100, 20)]);
  // The lossy rows were inside the destination: exact now (sent again by the caller).
  t.deepEqual(lossy.copied(boxAt(0, 0, 100, 150), 0, 50), []);
  // A clip limits what counts as copied over.
  lossy.lossy(boxAt(0, 0, 10, 10), performance.now());
  lossy.copied(boxAt(0, 0, 10, 10), 20, 20, [boxAt(0, 0, 5, 10)]);
  t.deepEqual(lossy.copied(boxAt(50, 50, 10, 10), 0, 0), [boxAt(55, 50, 5, 10)]);
});

test('lossy areas stay bounded', (t) => {
  const lossy = new LossyAreas(() => undefined);
  t.teardown(() => lossy.stop());
  for (let i = 0; i < 1000; i++) lossy.lossy(boxAt((i * 7) % 1000, (i * 13) % 700, 5, 5), performance.now());
  // Everything lossy is still covered (merged into one box): a copy of the whole surface names it.
  const fix = lossy.copied(boxAt(0, 0, 1100, 800), 0, 0);
  t.true(fix.length <= 64);
  t.true(area(fix) >= 1000 * 25 * 0.5);
});

test('WAN settings: always, never, auto by the net test; photos go lossy, text does not', (t) => {
  const slow = { latencyMs: 40, bitsPerSecond: 2e6, lowBandwidth: true };
  const fast = { latencyMs: 1, bitsPerSecond: 1e9, lowBandwidth: false };
  t.true(wanOn('always', null));
  t.false(wanOn('never', slow));
  t.true(wanOn('auto', slow));
  t.false(wanOn('auto', fast));
  t.false(wanOn('auto', null), 'no net test yet: a fast link');
  const photo = corpus().find((c) => c.name.startsWith('photo'))!.bitmap;
  const text = corpus().find((c) => c.name.startsWith('text'))!.bitmap;
  t.like(goesLossy(photo, 'auto_glz', false), { lossy: true, graduality: 'high' });
  t.like(goesLossy(text, 'auto_lz', false), { lossy: false });
  t.like(goesLossy(text, 'quic', false), { lossy: true });
  t.like(goesLossy(photo, 'lz4', true), { lossy: false });
});
