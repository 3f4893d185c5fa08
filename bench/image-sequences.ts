import type { Bitmap32 } from '../codecs/image/bitmap.js';
import type { CorpusImage } from '../codecs/image/fixtures/corpus.js';

/** Screens in the order a client would get them, for codecs that keep state from one image to the next (GLZ). */
export interface ImageSequence {
  readonly name: string;
  readonly frames: readonly Bitmap32[];
}

const FRAMES = 8;
/** A terminal's scroll: one line of the corpus's text (16 rows). */
const SCROLL_ROWS = 16;
/** The moved window: a 400x300 piece of the artwork, 40 px right and 20 down a frame. */
const WINDOW = { width: 400, height: 300, stepX: 40, stepY: 20 } as const;

/** A 32BIT surface's copy of `b` (packed rows, the 4th byte 0). */
function packed(b: Bitmap32): Bitmap32 {
  const pixels = new Uint8Array(b.width * b.height * 4);
  for (let y = 0; y < b.height; y++) pixels.set(b.pixels.subarray(y * b.stride, y * b.stride + b.width * 4), y * b.width * 4);
  for (let i = 3; i < pixels.length; i += 4) pixels[i] = 0;
  return { width: b.width, height: b.height, stride: b.width * 4, pixels };
}

/** The text screen scrolled up by `k` lines; the rows that come in at the bottom are its top rows (so they were seen before too). */
function scrolled(text: Bitmap32, k: number): Bitmap32 {
  const out = new Uint8Array(text.pixels.length);
  const row = text.stride;
  const shift = (k * SCROLL_ROWS) % text.height;
  out.set(text.pixels.subarray(shift * row), 0);
  out.set(text.pixels.subarray(0, shift * row), (text.height - shift) * row);
  return { ...text, pixels: out };
}

/** The desktop with a piece of `art` pasted as a window at step `k` of its move. */
function withWindow(desktop: Bitmap32, art: Bitmap32, k: number): Bitmap32 {
  const out = desktop.pixels.slice();
  const x = 100 + k * WINDOW.stepX;
  const y = 100 + k * WINDOW.stepY;
  for (let r = 0; r < WINDOW.height; r++)
    out.set(art.pixels.subarray(r * art.stride, r * art.stride + WINDOW.width * 4), (y + r) * desktop.stride + x * 4);
  return { ...desktop, pixels: out };
}

/**
 * Three sequences of whole 32BIT screens from the corpus: the text screen scrolling a line a
 * frame (what QEMU's damage gives for a terminal: the whole terminal redrawn), a window moving
 * over the desktop, and the corpus's images one after another (each new: the control).
 */
export function imageSequences(images: readonly CorpusImage[]): ImageSequence[] {
  const named = (prefix: string) => {
    const found = images.find((i) => i.name.startsWith(prefix));
    if (!found) throw new Error(`the corpus has no ${prefix} image`);
    return packed(found.bitmap);
  };
  const text = named('text');
  const desktop = named('desktop');
  const art = named('artwork');
  const steps = Array.from({ length: FRAMES }, (_, k) => k);
  return [
    { name: `text scrolling ${SCROLL_ROWS} rows a frame`, frames: steps.map((k) => scrolled(text, k)) },
    { name: `${WINDOW.width}x${WINDOW.height} window moving over the desktop`, frames: steps.map((k) => withWindow(desktop, art, k)) },
    { name: 'the corpus, one image after another', frames: images.map((i) => packed(i.bitmap)) },
  ];
}
