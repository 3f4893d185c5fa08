import { drawText, fillRect, strokeRect, type Canvas } from './draw.js';
import { GLYPH_H } from './font.js';
import { SHADOW, TITLE_H } from './layout.js';
import { boxHeight, boxWidth, type Box } from '../../../codecs/box.js';

// Window decorations: a solid shadow, a one-pixel border, a title bar with its title and a
// close box, and a plain body for the content.

export interface WindowStyle {
  readonly title: string;
  readonly titleRgb: number;
  readonly bodyRgb: number;
}

export const BORDER_RGB = 0x0b0f18;
export const SHADOW_RGB = 0x10141c;
export const TITLE_TEXT_RGB = 0xffffff;
const CLOSE_RGB = 0xc8483c;

/** The pixels a window at `frame` covers, its shadow included. */
export const coverOf = (frame: Box): Box => ({ ...frame, right: frame.right + SHADOW, bottom: frame.bottom + SHADOW });

/** Draws the window's decorations and empty body, the part inside `clip` only. */
export function drawWindow(c: Canvas, clip: Box, frame: Box, style: WindowStyle): void {
  const { left: x, top: y } = frame;
  const w = boxWidth(frame),
    h = boxHeight(frame);
  fillRect(c, clip, x + w, y + SHADOW, SHADOW, h, SHADOW_RGB);
  fillRect(c, clip, x + SHADOW, y + h, w - SHADOW, SHADOW, SHADOW_RGB);
  strokeRect(c, clip, x, y, w, h, BORDER_RGB);
  fillRect(c, clip, x + 1, y + 1, w - 2, TITLE_H, style.titleRgb);
  const textY = y + 1 + Math.floor((TITLE_H - GLYPH_H) / 2);
  drawText(c, clip, x + 8, textY, style.title, TITLE_TEXT_RGB, 1);
  const box = TITLE_H - 6;
  fillRect(c, clip, x + w - 4 - box, y + 4, box, box, CLOSE_RGB);
  drawText(c, clip, x + w - 4 - box + Math.floor((box - 5) / 2), textY, 'x', TITLE_TEXT_RGB, 1);
  fillRect(c, clip, x + 1, y + 1 + TITLE_H, w - 2, h - 2 - TITLE_H, style.bodyRgb);
}
