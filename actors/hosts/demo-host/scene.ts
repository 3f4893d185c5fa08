import type { Bitmap32 } from '../../../codecs/image/bitmap.js';
import { coverOf, drawWindow, type WindowStyle } from './chrome.js';
import { canvasOf, drawText, fillRect, type Canvas } from './draw.js';
import { ADVANCE_X, ADVANCE_Y, GLYPH_H } from './font.js';
import { MOVER_H, MOVER_W, PAD, STOPWATCH_SCALE, bodyOf, clockText, layoutFor, moverAt, stopwatchText, type Layout } from './layout.js';
import { PLASMA_H, PLASMA_W, drawPlasma, plasmaPhases, samePhases, type PlasmaPhases } from './plasma.js';
import { boxAt, boxHeight, boxWidth, intersect, intersects, isEmpty, mergeBoxes, type Box } from '../../../codecs/box.js';

// The demo host's desktop: a gradient with a dot grid, four still windows (text, a stopwatch,
// a log, a video window whose plasma moves every frame), a window that bounces around, and a
// taskbar with a clock. Every pixel is a function of the screen size and the time alone, so a
// frame is redrawn only where something changed since the target last got one, and the same
// times give the same pixels.

export const BACKGROUND_TOP_RGB = 0x1b2a49;
export const BACKGROUND_BOTTOM_RGB = 0x2e6f78;
export const TASKBAR_RGB = 0x20242c;
export const TEXT_RGB = 0x1a1d24;

export const STYLES = {
  about: { title: 'About spice-companion', titleRgb: 0x2f6fd0, bodyRgb: 0xf4f5f7 },
  stopwatch: { title: 'Stopwatch', titleRgb: 0x3c8c5a, bodyRgb: 0xffffff },
  log: { title: 'Log', titleRgb: 0x5a5f6e, bodyRgb: 0x101418 },
  video: { title: 'Video', titleRgb: 0x8a3fb0, bodyRgb: 0x000000 },
  mover: { title: 'Moving window', titleRgb: 0xd0782f, bodyRgb: 0xfff6d8 },
} as const satisfies Record<string, WindowStyle>;

const HEADING = 'spice-companion';
const ABOUT_LINES = [
  'A SPICE server that runs beside QEMU,',
  'out of process.',
  '',
  'This desktop is drawn by its demo host:',
  'no virtual machine is needed. The clock,',
  'the moving window and the video show',
  'what each kind of update costs.',
];
const MOVER_LINES = ['Only my old and new places', 'are drawn again.'];
const LOG_RGB = 0x7cfc9a;
const TASKBAR_EDGE_RGB = 0x3a4050;
const TASKBAR_TEXT_RGB = 0xdfe3ea;
const LINE_H = ADVANCE_Y + 2;

/** What the pixels depend on besides the screen size. */
interface SceneState {
  readonly clock: string;
  readonly stopwatch: string;
  readonly mover: { readonly x: number; readonly y: number };
  readonly plasma: PlasmaPhases;
}

/** What a target last received; `generation` tells frames of an earlier size apart. */
interface Drawn {
  readonly byteOffset: number;
  readonly stride: number;
  readonly length: number;
  readonly generation: number;
  readonly canvas: Canvas;
  state: SceneState;
}

export class DemoScene {
  #layout!: Layout;
  #generation = 0;
  /** Row colours of the background and of its dots, one a screen row. */
  #rows = new Uint32Array(0);
  #dots = new Uint32Array(0);
  #logLines: readonly string[] = [];
  readonly #plasmaCol = new Uint16Array(PLASMA_W);
  readonly #plasmaRow = new Uint16Array(PLASMA_H);
  /** Targets met so far, by their memory (a target's Bitmap32 object may be made afresh for each frame). */
  #drawn = new WeakMap<ArrayBufferLike, Drawn[]>();

  constructor(width: number, height: number) {
    this.resize(width, height);
  }

  get width(): number {
    return boxWidth(this.#layout.screen);
  }

  get height(): number {
    return boxHeight(this.#layout.screen);
  }

  /** Where the scene's parts are at the current size (the plasma's rectangle is the video region). */
  get layout(): Layout {
    return this.#layout;
  }

  /** A new screen size: the next draw into any target is a whole frame. */
  resize(width: number, height: number): void {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
      throw new RangeError(`demo scene: bad size ${width}x${height}`);
    this.#layout = layoutFor(width, height);
    this.#generation++;
    this.#rows = new Uint32Array(height);
    this.#dots = new Uint32Array(height);
    for (let y = 0; y < height; y++) {
      this.#rows[y] = mix(BACKGROUND_TOP_RGB, BACKGROUND_BOTTOM_RGB, height > 1 ? y / (height - 1) : 0);
      this.#dots[y] = mix(this.#rows[y]!, 0xffffff, 0.12);
    }
    this.#logLines = ['$ spice-companion --demo', `screen ${width}x${height}`, `video region ${PLASMA_W}x${PLASMA_H}`, 'ready.'];
  }

  /**
   * Draws the frame at `tMs` into `target` (the scene's size, rows 4-byte aligned) and returns
   * the rectangles that changed since the last frame drawn into the same memory (all of it the
   * first time, or after a resize): merged, clipped to the screen, outside them nothing written.
   * The target must keep what it was given between frames.
   */
  draw(target: Bitmap32, tMs: number): Box[] {
    if (!Number.isFinite(tMs)) throw new RangeError(`demo scene: time ${tMs}`);
    const { screen } = this.#layout;
    if (target.width !== this.width || target.height !== this.height) {
      throw new RangeError(`demo scene: target ${target.width}x${target.height}, scene ${this.width}x${this.height}`);
    }
    const state = this.#stateAt(tMs);
    let drawn = this.#find(target);
    let damage: Box[];
    if (drawn) {
      damage = mergeBoxes(this.#changes(drawn.state, state), screen);
    } else {
      drawn = this.#remember(target, state);
      damage = [{ ...screen }];
    }
    for (const clip of damage) this.#render(drawn.canvas, clip, state);
    drawn.state = state;
    return damage;
  }

  #stateAt(tMs: number): SceneState {
    return { clock: clockText(tMs), stopwatch: stopwatchText(tMs), mover: moverAt(this.#layout, tMs), plasma: plasmaPhases(tMs) };
  }

  #find(target: Bitmap32): Drawn | undefined {
    const { byteOffset, length, buffer } = target.pixels;
    return this.#drawn
      .get(buffer)
      ?.find((d) => d.byteOffset === byteOffset && d.stride === target.stride && d.length === length && d.generation === this.#generation);
  }

  #remember(target: Bitmap32, state: SceneState): Drawn {
    const { byteOffset, length, buffer } = target.pixels;
    const drawn: Drawn = { byteOffset, stride: target.stride, length, generation: this.#generation, canvas: canvasOf(target), state };
    const others = (this.#drawn.get(buffer) ?? []).filter((d) => d.byteOffset !== byteOffset);
    this.#drawn.set(buffer, [...others, drawn]);
    return drawn;
  }

  /** Rectangles (unclipped, unmerged) where frame `b` differs from frame `a`. */
  #changes(a: SceneState, b: SceneState): Box[] {
    const L = this.#layout;
    const out: Box[] = [];
    textChanges(a.stopwatch, b.stopwatch, L.stopwatchText, STOPWATCH_SCALE, out);
    textChanges(a.clock, b.clock, L.clockText, 1, out);
    if (a.mover.x !== b.mover.x || a.mover.y !== b.mover.y) out.push(coverOf(moverFrame(a)), coverOf(moverFrame(b)));
    if (!samePhases(a.plasma, b.plasma)) out.push(L.plasma);
    return out;
  }

  /** Every layer, back to front, inside `clip` only. */
  #render(c: Canvas, clip: Box, s: SceneState): void {
    const L = this.#layout;
    this.#background(c, clip);
    if (window(c, clip, L.about, STYLES.about)) {
      const body = bodyOf(L.about);
      const inner = intersect(clip, body);
      if (!isEmpty(inner)) {
        drawText(c, inner, body.left + 2 * PAD, body.top + 2 * PAD, HEADING, STYLES.about.titleRgb, 2);
        lines(c, inner, body.left + 2 * PAD, body.top + 2 * PAD + 2 * GLYPH_H + 12, ABOUT_LINES, TEXT_RGB);
      }
    }
    if (window(c, clip, L.stopwatch, STYLES.stopwatch)) {
      const inner = intersect(clip, bodyOf(L.stopwatch));
      if (!isEmpty(inner)) drawText(c, inner, L.stopwatchText.x, L.stopwatchText.y, s.stopwatch, TEXT_RGB, STOPWATCH_SCALE);
    }
    if (window(c, clip, L.log, STYLES.log)) {
      const body = bodyOf(L.log);
      const inner = intersect(clip, body);
      if (!isEmpty(inner)) lines(c, inner, body.left + PAD, body.top + PAD, this.#logLines, LOG_RGB);
    }
    if (window(c, clip, L.video, STYLES.video)) {
      const inner = intersect(clip, bodyOf(L.video));
      if (!isEmpty(inner)) drawPlasma(c, inner, L.plasma.left, L.plasma.top, s.plasma, this.#plasmaCol, this.#plasmaRow);
    }
    const mover = moverFrame(s);
    if (window(c, clip, mover, STYLES.mover)) {
      const body = bodyOf(mover);
      const inner = intersect(clip, body);
      if (!isEmpty(inner)) lines(c, inner, body.left + PAD, body.top + PAD, MOVER_LINES, TEXT_RGB);
    }
    this.#taskbar(c, clip, s.clock);
  }

  /** A vertical gradient with a dot (2x2) every 32 pixels. */
  #background(c: Canvas, clip: Box): void {
    const x1 = clip.right;
    // The first dot column at or left of the clip: dots sit at x % 32 of 16 and 17.
    const firstDot = clip.left - ((clip.left - 16) & 31);
    for (let y = clip.top; y < clip.bottom; y++) {
      const row = y * c.pitch;
      c.words.fill(this.#rows[y]!, row + clip.left, row + x1);
      if ((y & 31) !== 16 && (y & 31) !== 17) continue;
      const dot = this.#dots[y]!;
      for (let x = firstDot; x < x1; x += 32) {
        if (x >= clip.left) c.words[row + x] = dot;
        if (x + 1 >= clip.left && x + 1 < x1) c.words[row + x + 1] = dot;
      }
    }
  }

  #taskbar(c: Canvas, clip: Box, clock: string): void {
    const L = this.#layout;
    const bar = L.taskbar;
    if (!intersects(clip, bar)) return;
    fillRect(c, clip, bar.left, bar.top, boxWidth(bar), 1, TASKBAR_EDGE_RGB);
    fillRect(c, clip, bar.left, bar.top + 1, boxWidth(bar), boxHeight(bar) - 1, TASKBAR_RGB);
    drawText(c, clip, 12, L.clockText.y, 'spice-companion demo', TASKBAR_TEXT_RGB, 1);
    drawText(c, clip, L.clockText.x, L.clockText.y, clock, TASKBAR_TEXT_RGB, 1);
  }
}

const moverFrame = (s: SceneState): Box => boxAt(s.mover.x, s.mover.y, MOVER_W, MOVER_H);

/** Draws the window's decorations when its pixels meet `clip`; says whether they did. */
function window(c: Canvas, clip: Box, frame: Box, style: WindowStyle): boolean {
  if (!intersects(clip, coverOf(frame))) return false;
  drawWindow(c, clip, frame, style);
  return true;
}

function lines(c: Canvas, clip: Box, x: number, y: number, text: readonly string[], rgb: number): void {
  for (let i = 0; i < text.length; i++) drawText(c, clip, x, y + i * LINE_H, text[i]!, rgb, 1);
}

/** The character cells of `a` and `b` (same length, same place) whose characters differ. */
function textChanges(a: string, b: string, at: { x: number; y: number }, scale: number, out: Box[]): void {
  for (let i = 0; i < b.length; i++) {
    if (a[i] !== b[i]) out.push(boxAt(at.x + i * ADVANCE_X * scale, at.y, ADVANCE_X * scale, GLYPH_H * scale));
  }
}

/** `a` blended toward `b` by `f` (0..1), channel by channel. */
function mix(a: number, b: number, f: number): number {
  const ch = (shift: number): number => Math.round(((a >> shift) & 255) * (1 - f) + ((b >> shift) & 255) * f) << shift;
  return ch(16) | ch(8) | ch(0);
}

/** The frame `--demo still` serves: a fresh scene drawn at t = 0. */
export function stillFrame(width: number, height: number): Bitmap32 {
  const bitmap: Bitmap32 = { width, height, stride: width * 4, pixels: new Uint8Array(width * height * 4) };
  new DemoScene(width, height).draw(bitmap, 0);
  return bitmap;
}
