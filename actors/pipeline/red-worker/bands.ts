import { boxHeight, boxWidth, type Box } from '../../../codecs/box.js';

/**
 * Pixels in one band at most. spice-server sends a large update as one image; split into bands,
 * each its own DRAW_COPY that the client draws exactly, the bands of one update compress on
 * every pool thread at once (a 1920x1080 screen is 8 bands of 135 rows).
 */
export const maxBandPixels = 256 * 1024;

/** `box` as horizontal bands of nearly equal height, top to bottom; a small box as itself. */
export function bands(box: Box): Box[] {
  const width = boxWidth(box);
  const height = boxHeight(box);
  const count = Math.min(height, Math.ceil((width * height) / maxBandPixels));
  if (count <= 1) return [box];
  const rows = Math.ceil(height / count);
  const out: Box[] = [];
  for (let top = box.top; top < box.bottom; top += rows) out.push({ ...box, top, bottom: Math.min(top + rows, box.bottom) });
  return out;
}
