import test from 'ava';
import { bands, maxBandPixels } from '../../actors/pipeline/red-worker/bands.js';
import { boxHeight, boxWidth, type Box } from '../../codecs/box.js';

const box = (left: number, top: number, right: number, bottom: number): Box => ({ left, top, right, bottom });

/** The bands tile `b` exactly: same columns, rows top to bottom without gap or overlap. */
const tiles = (b: Box, parts: readonly Box[]) =>
  parts.every((p) => p.left === b.left && p.right === b.right) &&
  parts[0]!.top === b.top &&
  parts.at(-1)!.bottom === b.bottom &&
  parts.every((p, i) => i === 0 || p.top === parts[i - 1]!.bottom);

test('a 1080p screen is 8 bands of 135 rows; a small update stays whole', (t) => {
  const screen = box(0, 0, 1920, 1080);
  const parts = bands(screen);
  t.is(parts.length, 8);
  t.true(parts.every((p) => boxHeight(p) === 135));
  t.true(tiles(screen, parts));
  t.deepEqual(bands(box(10, 20, 74, 84)), [box(10, 20, 74, 84)]);
});

test('any box is tiled exactly, no band above the limit but by a row', (t) => {
  for (const b of [box(3, 7, 1283, 1031), box(0, 0, 4096, 3), box(100, 100, 101, 5000), box(0, 0, 2560, 1600), box(5, 5, 600, 441)]) {
    const parts = bands(b);
    t.true(tiles(b, parts), JSON.stringify(b));
    t.true(
      parts.every((p) => boxWidth(p) * boxHeight(p) <= maxBandPixels + boxWidth(b)),
      `${JSON.stringify(b)}: ${parts.length} bands`,
    );
  }
});
