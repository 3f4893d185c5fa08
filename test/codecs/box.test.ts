import test from 'ava';
import { boxAt, mergeBoxes } from '../../codecs/box.js';

test('mergeBoxes clips, drops what is outside, merges neighbours and keeps strangers apart', (t) => {
  const screen = boxAt(0, 0, 100, 100);
  t.deepEqual(mergeBoxes([boxAt(-5, 90, 20, 20), boxAt(100, 0, 5, 5)], screen), [boxAt(0, 90, 15, 10)]);
  t.deepEqual(
    mergeBoxes([boxAt(0, 0, 6, 7), boxAt(12, 0, 6, 7), boxAt(6, 0, 6, 7)], screen),
    [boxAt(0, 0, 18, 7)],
    'three glyph cells in a row',
  );
  t.deepEqual(mergeBoxes([boxAt(0, 0, 10, 10), boxAt(50, 50, 10, 10)], screen), [boxAt(0, 0, 10, 10), boxAt(50, 50, 10, 10)]);
  t.deepEqual(mergeBoxes([boxAt(10, 10, 40, 30), boxAt(13, 12, 40, 30)], screen), [boxAt(10, 10, 43, 32)], 'a window moved a little');
});
