import type { Canvas } from './draw.js';
import type { Box } from '../../../codecs/box.js';

// A classic plasma: the sum of four sine waves (horizontal, vertical, diagonal, radial) picks a
// colour from a palette that also cycles. Every pixel changes a little from frame to frame and
// smoothly across the region, like video, which is what a stream detector should find.

export const PLASMA_W = 160;
export const PLASMA_H = 120;

/** 256 samples of one sine period, 0..255. */
const SINE = Uint8Array.from({ length: 256 }, (_, i) => Math.round(127.5 + 127.5 * Math.sin((i * 2 * Math.PI) / 256)));

/** A smooth loop through deep blue, magenta, orange and cyan, as 0x00RRGGBB words. */
const PALETTE = Uint32Array.from({ length: 256 }, (_, i) => {
  const a = (i * 2 * Math.PI) / 256;
  const r = Math.round(128 + 127 * Math.sin(a));
  const g = Math.round(128 + 127 * Math.sin(a + (2 * Math.PI) / 3) * 0.8);
  const b = Math.round(128 + 127 * Math.cos(a * 2));
  return (r << 16) | (g << 8) | b;
});

/** Distance from the region's centre, in sine-table steps (4 a pixel, wrapping). */
const RADIUS = Uint8Array.from({ length: PLASMA_W * PLASMA_H }, (_, i) => {
  const dx = (i % PLASMA_W) - PLASMA_W / 2;
  const dy = Math.floor(i / PLASMA_W) - PLASMA_H / 2;
  return Math.round(Math.sqrt(dx * dx + dy * dy) * 4) & 255;
});

/** The five phases (0..255) that fix a plasma frame; equal phases draw equal pixels. */
export type PlasmaPhases = readonly [number, number, number, number, number];

/** The phases at `tMs`; the speeds differ so that the picture never simply repeats a slide. */
export function plasmaPhases(tMs: number): PlasmaPhases {
  const step = (perSecond: number): number => Math.floor((tMs * perSecond) / 1000) & 255;
  return [step(70), step(53), step(37), step(97), step(41)];
}

export const samePhases = (a: PlasmaPhases, b: PlasmaPhases): boolean => a.every((p, i) => p === b[i]);

/**
 * Draws the frame `phases` with its top-left at x,y: only the part inside `clip`. `col` and
 * `row` are the caller's scratch (PLASMA_W and PLASMA_H entries) so that a frame allocates nothing.
 */
export function drawPlasma(c: Canvas, clip: Box, x: number, y: number, phases: PlasmaPhases, col: Uint16Array, row: Uint16Array): void {
  const [p1, p2, p3, p4, p5] = phases;
  const x0 = Math.max(x, clip.left) - x;
  const x1 = Math.min(x + PLASMA_W, clip.right) - x;
  const y0 = Math.max(y, clip.top) - y;
  const y1 = Math.min(y + PLASMA_H, clip.bottom) - y;
  if (x1 <= x0 || y1 <= y0) return;
  for (let i = x0; i < x1; i++) col[i] = SINE[(i * 3 + p1) & 255]!;
  for (let j = y0; j < y1; j++) row[j] = SINE[(j * 4 - p2) & 255]!;
  for (let j = y0; j < y1; j++) {
    const out = (y + j) * c.pitch + x;
    const r = row[j]!;
    for (let i = x0; i < x1; i++) {
      const v = col[i]! + r + SINE[((i + j) * 2 + p3) & 255]! + SINE[(RADIUS[j * PLASMA_W + i]! + p4) & 255]!;
      c.words[out + i] = PALETTE[((v >> 2) + p5) & 255]!;
    }
  }
}
