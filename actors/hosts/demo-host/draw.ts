import type { Bitmap32 } from '../../../codecs/image/bitmap.js';
import { ADVANCE_X, GLYPH_H, GLYPH_ROWS, GLYPH_W, glyphOffset } from './font.js';
import type { Box } from '../../../codecs/box.js';

/** Pixels are written as whole 32-bit words 0x00RRGGBB, which lands as B,G,R,0 only on little-endian hosts. */
if (new Uint8Array(Uint32Array.of(1).buffer)[0] !== 1) throw new Error('demo-host draws 32-bit words: little-endian hosts only');

/** A Bitmap32 seen as 32-bit words: one word a pixel, `pitch` words a row. */
export interface Canvas {
  readonly words: Uint32Array;
  readonly pitch: number;
  readonly width: number;
  readonly height: number;
}

/** The word view of `target`; throws RangeError unless its rows are whole, 4-byte aligned words that fit its bytes. */
export function canvasOf(target: Bitmap32): Canvas {
  const { width, height, stride, pixels } = target;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    throw new RangeError(`canvas: bad size ${width}x${height}`);
  if (stride % 4 !== 0 || pixels.byteOffset % 4 !== 0)
    throw new RangeError(`canvas: stride ${stride} / offset ${pixels.byteOffset} not 4-byte aligned`);
  if (stride < width * 4 || pixels.length < stride * (height - 1) + width * 4)
    throw new RangeError(`canvas: ${width}x${height} stride ${stride} does not fit ${pixels.length} bytes`);
  const words = new Uint32Array(pixels.buffer, pixels.byteOffset, (stride * (height - 1)) / 4 + width);
  return { words, pitch: stride / 4, width, height };
}

/** Fills the part of x,y,w,h inside `clip` (which the caller keeps inside the canvas). */
export function fillRect(c: Canvas, clip: Box, x: number, y: number, w: number, h: number, rgb: number): void {
  const x0 = Math.max(x, clip.left);
  const x1 = Math.min(x + w, clip.right);
  const y0 = Math.max(y, clip.top);
  const y1 = Math.min(y + h, clip.bottom);
  if (x1 <= x0) return;
  for (let row = y0; row < y1; row++) c.words.fill(rgb, row * c.pitch + x0, row * c.pitch + x1);
}

/** A one-pixel outline of x,y,w,h, inside that rectangle. */
export function strokeRect(c: Canvas, clip: Box, x: number, y: number, w: number, h: number, rgb: number): void {
  fillRect(c, clip, x, y, w, 1, rgb);
  fillRect(c, clip, x, y + h - 1, w, 1, rgb);
  fillRect(c, clip, x, y + 1, 1, h - 2, rgb);
  fillRect(c, clip, x + w - 1, y + 1, 1, h - 2, rgb);
}

/** Width of `text` at `scale`, the trailing blank column left out. */
export const textWidth = (text: string, scale: number): number =>
  text.length > 0 ? (text.length * ADVANCE_X - (ADVANCE_X - GLYPH_W)) * scale : 0;

/** Draws the glyph pixels of `text` with its top-left at x,y, each font pixel a scale x scale square; the rest is left as it is. */
export function drawText(c: Canvas, clip: Box, x: number, y: number, text: string, rgb: number, scale: number): void {
  const advance = ADVANCE_X * scale;
  if (y >= clip.bottom || y + GLYPH_H * scale <= clip.top) return;
  for (let i = 0; i < text.length; i++) {
    const gx = x + i * advance;
    if (gx >= clip.right || gx + GLYPH_W * scale <= clip.left) continue;
    const g = glyphOffset(text.charCodeAt(i));
    for (let row = 0; row < GLYPH_H; row++) {
      const bits = GLYPH_ROWS[g + row]!;
      for (let col = 0; col < GLYPH_W; col++) {
        if (bits & (0x10 >> col)) fillRect(c, clip, gx + col * scale, y + row * scale, scale, scale, rgb);
      }
    }
  }
}
