import { textWidth } from './draw.js';
import { GLYPH_H } from './font.js';
import { PLASMA_H, PLASMA_W } from './plasma.js';
import { boxAt, boxHeight, type Box } from '../../../codecs/box.js';

// Where everything sits on a screen of a given size: fixed-size windows placed from the
// corners, so that 640x480 and up show them all apart, and smaller screens simply clip them.

export const TASKBAR_H = 28;
export const TITLE_H = 20;
/** Windows cast a solid shadow this far right and down. */
export const SHADOW = 4;
/** Padding between a window's body edge and its content. */
export const PAD = 8;
const MARGIN = 32;
export const STOPWATCH_SCALE = 4;
/** The stopwatch shows minutes, seconds and tenths; the taskbar clock hours, minutes and seconds. */
export const STOPWATCH_SAMPLE = '00:00.0';
export const CLOCK_SAMPLE = '00:00:00';
export const MOVER_W = 220;
export const MOVER_H = 110;
/** Pixels a second the moving window travels across and down, bouncing off the desktop's edges. */
const MOVER_SPEED_X = 173;
const MOVER_SPEED_Y = 111;

export interface Layout {
  readonly screen: Box;
  readonly about: Box;
  readonly stopwatch: Box;
  readonly log: Box;
  readonly video: Box;
  readonly taskbar: Box;
  /** The animated region, inside the video window's body. */
  readonly plasma: Box;
  /** Top-left corners of the stopwatch and taskbar clock texts. */
  readonly stopwatchText: { readonly x: number; readonly y: number };
  readonly clockText: { readonly x: number; readonly y: number };
  /** How far the moving window's top-left can go from 0,0 (its shadow kept on the desktop). */
  readonly moverRange: { readonly x: number; readonly y: number };
}

/** The inside of a window below its title bar. */
export const bodyOf = (w: Box): Box => ({ left: w.left + 1, top: w.top + 1 + TITLE_H, right: w.right - 1, bottom: w.bottom - 1 });

export function layoutFor(width: number, height: number): Layout {
  const deskH = height - TASKBAR_H;
  const stopwatchW = textWidth(STOPWATCH_SAMPLE, STOPWATCH_SCALE) + 2 * 2 * PAD + 2;
  const stopwatch = boxAt(MARGIN, 260, stopwatchW, 100);
  const video = boxAt(width - MARGIN - (PLASMA_W + 2 * PAD + 2), MARGIN, PLASMA_W + 2 * PAD + 2, PLASMA_H + 2 * PAD + 2 + TITLE_H);
  const videoBody = bodyOf(video);
  const swBody = bodyOf(stopwatch);
  return {
    screen: boxAt(0, 0, width, height),
    about: boxAt(MARGIN, MARGIN, 380, 200),
    stopwatch,
    log: boxAt(width - MARGIN - 300, deskH - MARGIN - 150, 300, 150),
    video,
    taskbar: boxAt(0, deskH, width, TASKBAR_H),
    plasma: boxAt(videoBody.left + PAD, videoBody.top + PAD, PLASMA_W, PLASMA_H),
    stopwatchText: { x: swBody.left + 2 * PAD, y: swBody.top + Math.floor((boxHeight(swBody) - GLYPH_H * STOPWATCH_SCALE) / 2) },
    clockText: { x: width - 12 - textWidth(CLOCK_SAMPLE, 1), y: deskH + Math.floor((TASKBAR_H - GLYPH_H) / 2) },
    moverRange: { x: Math.max(0, width - MOVER_W - SHADOW), y: Math.max(0, deskH - MOVER_H - SHADOW) },
  };
}

/** Position along a line folded back and forth over 0..range (a bounce), for any real distance. */
function bounce(distance: number, range: number): number {
  if (range === 0) return 0;
  const p = ((distance % (2 * range)) + 2 * range) % (2 * range);
  return Math.floor(p <= range ? p : 2 * range - p);
}

/** Where the moving window's top-left is at `tMs` (from somewhere near the middle at 0). */
export function moverAt(layout: Layout, tMs: number): { x: number; y: number } {
  const { x, y } = layout.moverRange;
  return { x: bounce(x * 0.45 + (MOVER_SPEED_X * tMs) / 1000, x), y: bounce(y * 0.55 + (MOVER_SPEED_Y * tMs) / 1000, y) };
}

const pad2 = (n: number): string => (n < 10 ? '0' : '') + n;

/** mm:ss.t since 0 (minutes wrap at 100; before 0 shows 0). */
export function stopwatchText(tMs: number): string {
  const tenths = Math.max(0, Math.floor(tMs / 100));
  const s = Math.floor(tenths / 10);
  return `${pad2(Math.floor(s / 60) % 100)}:${pad2(s % 60)}.${tenths % 10}`;
}

/** hh:mm:ss since 0 (hours wrap at 100). */
export function clockText(tMs: number): string {
  const s = Math.max(0, Math.floor(tMs / 1000));
  return `${pad2(Math.floor(s / 3600) % 100)}:${pad2(Math.floor(s / 60) % 60)}:${pad2(s % 60)}`;
}
