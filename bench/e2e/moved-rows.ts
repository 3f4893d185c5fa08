/**
 * Where the rows of each image a client receives were already on its screen: an estimate of
 * the display bytes that DRAW_FILL (uniform rows), COPY_BITS (rows moved from elsewhere: a
 * scroll, a dragged window) or a tighter damage (rows unchanged in place) could have spared.
 * Each image row is hashed (B,G,R) over the columns it covers and looked for in the screen's rows
 * over those columns, in place and up to SEARCH_ROWS above or below the image; its share of the
 * image's payload bytes goes to the first class it falls in: uniform, unchanged, moved, new.
 * Runs on the client's thread, so it keeps to a budget of that thread's time and skips images
 * beyond it (counted, so the shares are of the bytes analysed).
 */
import type { Bitmap32 } from '../../codecs/image/bitmap.js';
import { boxHeight, boxWidth, type Box } from '../../codecs/box.js';

/** A scroll or move further than this is not looked for (a terminal line is 16 rows). */
const SEARCH_ROWS = 128;
/** Share of the client thread's time the analysis may take. */
const BUDGET = 0.05;

export interface RowFigures {
  /** Payload bytes of the images analysed, and of those skipped for the budget. */
  readonly analysedBytes: number;
  readonly skippedBytes: number;
  /** Of the analysed bytes, the share of rows (by bytes) that were one colour, unchanged in place, or moved from elsewhere on the screen. */
  readonly uniformBytes: number;
  readonly unchangedBytes: number;
  readonly movedBytes: number;
}

export const noRows: RowFigures = { analysedBytes: 0, skippedBytes: 0, uniformBytes: 0, unchangedBytes: 0, movedBytes: 0 };

/** FNV-1a over the B,G,R of `n` pixels from `at`; NaN when the row is one colour. */
function rowHash(px: Uint8Array, at: number, n: number): number {
  let h = 0x811c9dc5;
  let uniform = true;
  const first = px[at]! | (px[at + 1]! << 8) | (px[at + 2]! << 16);
  for (let i = 0; i < n; i++, at += 4) {
    const p = px[at]! | (px[at + 1]! << 8) | (px[at + 2]! << 16);
    if (p !== first) uniform = false;
    h = Math.imul(h ^ p, 0x01000193);
  }
  return uniform ? Number.NaN : h >>> 0;
}

export class MovedRows {
  #figures: RowFigures = noRows;
  #busyNs = 0n;
  readonly #since = process.hrtime.bigint();

  get figures(): RowFigures {
    return this.#figures;
  }

  /** `image` from (`srcX`, `srcY`) is about to be drawn at `dest` on `screen`. */
  inspect(screen: Bitmap32, dest: Box, image: Bitmap32, srcX: number, srcY: number, bytes: number): void {
    const f = this.#figures;
    const start = process.hrtime.bigint();
    if (Number(this.#busyNs) > BUDGET * Number(start - this.#since)) {
      this.#figures = { ...f, skippedBytes: f.skippedBytes + bytes };
      return;
    }
    const left = Math.max(0, dest.left);
    const top = Math.max(0, dest.top);
    const width = Math.min(boxWidth(dest), screen.width - left);
    const height = Math.min(boxHeight(dest), screen.height - top);
    if (width <= 0 || height <= 0) return;
    const screenRow = (y: number) => rowHash(screen.pixels, y * screen.stride + left * 4, width);
    const onScreen = new Map<number, number>();
    for (let y = Math.max(0, top - SEARCH_ROWS); y < Math.min(screen.height, top + height + SEARCH_ROWS); y++)
      onScreen.set(y, screenRow(y));
    const seen = new Set(onScreen.values());
    let uniform = 0;
    let unchanged = 0;
    let moved = 0;
    for (let r = 0; r < height; r++) {
      const h = rowHash(image.pixels, (srcY + r + top - dest.top) * image.stride + (srcX + left - dest.left) * 4, width);
      if (Number.isNaN(h)) uniform++;
      else if (onScreen.get(top + r) === h) unchanged++;
      else if (seen.has(h)) moved++;
    }
    const share = (rows: number) => (bytes * rows) / height;
    this.#figures = {
      ...f,
      analysedBytes: f.analysedBytes + bytes,
      uniformBytes: f.uniformBytes + share(uniform),
      unchangedBytes: f.unchangedBytes + share(unchanged),
      movedBytes: f.movedBytes + share(moved),
    };
    this.#busyNs += process.hrtime.bigint() - start;
  }
}
