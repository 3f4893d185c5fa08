import type { CursorImage } from '../../../native/qxl/device.js';

/** A 12x19 arrow (ALPHA: B,G,R,A rows), black with a white edge: the demo desktop's pointer. */
export function arrowCursor(): CursorImage {
  const rows = [
    'X...........',
    'XX..........',
    'XOX.........',
    'XOOX........',
    'XOOOX.......',
    'XOOOOX......',
    'XOOOOOX.....',
    'XOOOOOOX....',
    'XOOOOOOOX...',
    'XOOOOOOOOX..',
    'XOOOOOOOOOX.',
    'XOOOOOOXXXXX',
    'XOOOXOOX....',
    'XOOXXOOX....',
    'XOX..XOOX...',
    'XX...XOOX...',
    'X.....XOOX..',
    '......XOOX..',
    '.......XX...',
  ];
  const width = 12;
  const height = rows.length;
  const data = new Uint8Array(width * height * 4);
  rows.forEach((row, y) =>
    [...row].forEach((ch, x) => {
      const v = ch === 'O' ? 255 : 0;
      data.set([v, v, v, ch === '.' ? 0 : 255], (y * width + x) * 4);
    }),
  );
  return { unique: 0xdec0_0001n, type: 0, width, height, hotX: 0, hotY: 0, data };
}
