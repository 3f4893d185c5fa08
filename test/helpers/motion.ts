import type { MotionPart } from '../../codecs/motion/plan.js';
import { Canvas } from '../../codecs/image/canvas.js';
import type { Bitmap32 } from '../../codecs/image/bitmap.js';
import type { Box } from '../../codecs/box.js';
import { prng } from './prng.js';

/** A canvas of text-like rows: every row distinct (random pixels), as a terminal's lines of glyphs mostly are. */
export function textCanvas(width: number, height: number, seed: number): Canvas {
  const c = new Canvas(width, height);
  const r = prng(seed);
  const w = new Uint32Array(c.bitmap.pixels.buffer);
  for (let i = 0; i < w.length; i++) w[i] = r() < 0.3 ? 0xffe0e0e0 : 0xff000000 | (r() * 0xffffff);
  return c;
}

/** The client's side: `plan` drawn over a copy of `before`, images taken from `next` (the pixels of `box`). */
export function replay(before: Canvas, plan: readonly MotionPart[], next: Bitmap32, box: Box): Canvas {
  const client = new Canvas(before.width, before.height);
  client.bitmap.pixels.set(before.bitmap.pixels);
  for (const p of plan) {
    if (p.kind === 'copy-bits') client.copyBits(p.box, p.srcX, p.srcY);
    else if (p.kind === 'fill') client.fill(p.box, p.color);
    else client.copy(p.box, next, p.box.left - box.left, p.box.top - box.top);
  }
  return client;
}

/** Whether two canvases show the same B,G,R everywhere. */
export const sameScreen = (a: Canvas, b: Canvas): boolean => {
  const x = new Uint32Array(a.bitmap.pixels.buffer);
  const y = new Uint32Array(b.bitmap.pixels.buffer);
  return x.every((v, i) => ((v ^ y[i]!) & 0xffffff) === 0);
};
