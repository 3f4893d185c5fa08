import { boxHeight, boxWidth, type Box } from '../box.js';
import type { Bitmap32 } from './bitmap.js';
import { copyRows } from '../../native/index.js';

/** A copy of `box` (inside the bitmap) as a bitmap of its own, rows packed. */
export function crop(b: Bitmap32, box: Box): Bitmap32 {
  const width = boxWidth(box);
  const height = boxHeight(box);
  if (box.left < 0 || box.top < 0 || box.right > b.width || box.bottom > b.height || width <= 0 || height <= 0)
    throw new RangeError(`crop: ${JSON.stringify(box)} outside ${b.width}x${b.height}`);
  const pixels = new Uint8Array(width * height * 4);
  copyRows(pixels, 0, width * 4, b.pixels, box.top * b.stride + box.left * 4, b.stride, width * 4, height);
  return { width, height, stride: width * 4, pixels };
}
