import test from 'ava';
import { canvasOf, drawText, fillRect, strokeRect, textWidth } from '../../actors/hosts/demo-host/draw.js';
import { GLYPH_H, GLYPH_ROWS, glyphOffset } from '../../actors/hosts/demo-host/font.js';
import { boxAt } from '../../codecs/box.js';
import { rgbAt } from '../helpers/images.js';
import { target } from './frames.js';

const all = (w: number, h: number) => boxAt(0, 0, w, h);

/** The picture as rows of '#' (rgb) and '.' (anything else). */
function art(b: ReturnType<typeof target>, rgb: number): string[] {
  return Array.from({ length: b.height }, (_, y) =>
    Array.from({ length: b.width }, (_, x) => (rgbAt(b, x, y) === rgb ? '#' : '.')).join(''),
  );
}

test('fillRect writes 0x00RRGGBB as B,G,R,0, only inside both the rectangle and the clip', (t) => {
  const b = target(6, 4, 4);
  const c = canvasOf(b);
  fillRect(c, boxAt(1, 1, 4, 3), -2, 0, 5, 9, 0x112233);
  t.deepEqual(art(b, 0x112233), ['......', '.##...', '.##...', '.##...']);
  t.deepEqual([...b.pixels.subarray(28 + 4, 28 + 8)], [0x33, 0x22, 0x11, 0], 'pixel 1,1 (stride 28)');
  t.deepEqual([...b.pixels.subarray(24, 28)], [0xa5, 0xa5, 0xa5, 0xa5], 'row padding untouched');
});

test('strokeRect draws a one-pixel outline inside the rectangle', (t) => {
  const b = target(5, 4);
  strokeRect(canvasOf(b), all(5, 4), 0, 0, 4, 4, 0xffffff);
  t.deepEqual(art(b, 0xffffff), ['####.', '#..#.', '#..#.', '####.']);
});

test('drawText sets the glyph bits at scale, clipped; the background stays', (t) => {
  const b = target(12, 14);
  drawText(canvasOf(b), all(12, 14), 0, 0, 'T', 0xff0000, 2);
  t.deepEqual(art(b, 0xff0000).slice(0, 4), ['##########..', '##########..', '....##......', '....##......']);
  t.is(rgbAt(b, 11, 0), 0, 'nothing written right of the glyph');
  const clipped = target(12, 14);
  drawText(canvasOf(clipped), boxAt(0, 0, 3, 14), 0, 0, 'T', 0xff0000, 2);
  t.deepEqual(art(clipped, 0xff0000)[0], '###.........');
});

test('drawText advances 6 pixels a character at scale 1; unknown characters are a box', (t) => {
  const b = target(12, 7);
  drawText(canvasOf(b), all(12, 7), 0, 0, 'i\u00e9', 0x00ff00, 1);
  t.deepEqual(art(b, 0x00ff00), [
    '..#...#####.',
    '......#...#.',
    '.##...#...#.',
    '..#...#...#.',
    '..#...#...#.',
    '..#...#...#.',
    '.###..#####.',
  ]);
  t.is(textWidth('ab', 1), 11);
  t.is(textWidth('ab', 3), 33);
  t.is(textWidth('', 3), 0);
});

test('the font has a glyph of its own for every printable ASCII character, space blank', (t) => {
  const glyph = (c: number) => GLYPH_ROWS.subarray(glyphOffset(c), glyphOffset(c) + GLYPH_H).join();
  const box = glyph(0x7f);
  const seen = new Set<string>();
  for (let c = 0x20; c <= 0x7e; c++) {
    t.not(glyph(c), box, String.fromCharCode(c));
    seen.add(glyph(c));
  }
  t.is(seen.size, 95);
  t.is(glyph(0x20), '0,0,0,0,0,0,0');
  t.is(glyph(0x2603), box);
});

test('canvasOf wants whole, aligned words that fit', (t) => {
  t.notThrows(() => canvasOf({ width: 2, height: 2, stride: 12, pixels: new Uint8Array(20) }), 'the last row needs no padding');
  t.throws(() => canvasOf({ width: 2, height: 2, stride: 12, pixels: new Uint8Array(19) }), { instanceOf: RangeError });
  t.throws(() => canvasOf({ width: 2, height: 2, stride: 10, pixels: new Uint8Array(20) }), { instanceOf: RangeError });
  t.throws(() => canvasOf({ width: 2, height: 2, stride: 4, pixels: new Uint8Array(20) }), { instanceOf: RangeError });
});
