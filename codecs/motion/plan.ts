import type { Bitmap32 } from '../image/bitmap.js';
import { area, boxHeight, boxWidth, shifted, type Box } from '../box.js';
import { boxViews, rowHashes, rowsEqual, uniformColor } from './rows.js';

/** How an update's box goes out instead of one image of it: moved rows, fills, images; in this order on the wire. */
export type MotionPart =
  | { readonly kind: 'copy-bits'; readonly box: Box; readonly srcX: number; readonly srcY: number }
  | { readonly kind: 'fill'; readonly box: Box; readonly color: number }
  | { readonly kind: 'image'; readonly box: Box };

/**
 * Bounds of the work: below `minRows` a shift saves little; above `maxPixels` (a 4K screen) the
 * detection is skipped. Its cost is three reads of the box (two row-hash passes, one compare;
 * two when the box's row hashes before are known: `RowMemo`), about 5-6 ms for a 1280x800 box
 * here (test/codecs/motion.test.ts prints it).
 */
export const motionLimits = { minRows: 16, minWidth: 8, maxPixels: 3840 * 2160 } as const;
/** Changed runs closer than this are sent as one image (the same rows between them too): fewer, larger images. */
const joinGap = 8;
/** A shift needs this many rows found moved by it before it is checked row by row. */
const minVotes = 3;
/** Rows of one hash that still vote. */
const maxSame = 4;

/** The help of the metric each actor that plans (the red-worker, the QEMU bridge) sums its planning time in. */
export const motionSecondsHelp = 'Time spent looking for moved rows and fills in the damage.';

/**
 * Row hashes carried from one plan to the next by a caller that knows its surface: `before`, when
 * given, is `rowHashes` of the box in the picture before (kept from the update that last wrote
 * the box whole), read instead of hashing the box again; the plan leaves the update's own row
 * hashes in `next`. The hashes only pick candidates (every row used is compared in full), so
 * stale ones would cost bytes, never a wrong picture.
 */
export interface RowMemo {
  before: Int32Array | null;
  next: Int32Array | null;
}

/** An empty plan: the update changed nothing the client does not have. */
export const unchanged: readonly MotionPart[] = [];

/**
 * Plans how to send `box` as `next` (the update's pixels, `box`'s top-left at `nextX`,`nextY`)
 * given `before` (the surface before the update, as the client has it): rows that are earlier
 * rows shifted up or down (a terminal's scroll, a window moved vertically) go as COPY_BITS
 * from where they were, rows that did not change not at all, runs of one colour as fills, and
 * only the rest as images. Row hashes find the shift (the offset most changed rows agree on,
 * voted by rows whose hash is rare in the box before), then every row it is used for is
 * compared in full. `sourceLossy` says whether a rectangle may not be shown exactly at the
 * client (a video stream, a lossy image): rows are not copied from there, so lossy pixels do not
 * spread. Null when nothing is saved (send the box as one image, as before).
 */
export function planMotion(
  before: Bitmap32,
  box: Box,
  next: Bitmap32,
  nextX: number,
  nextY: number,
  sourceLossy: (source: Box) => boolean,
  memo?: RowMemo,
): readonly MotionPart[] | null {
  const width = boxWidth(box);
  const height = boxHeight(box);
  if (height < motionLimits.minRows || width < motionLimits.minWidth || area(box) > motionLimits.maxPixels) return null;
  const views = boxViews(before, box, next, nextX, nextY);
  if (!views) return null;
  const { old, now } = views;
  const known = memo?.before;
  const oldH = known?.length === height ? known : rowHashes(old.w, old.stride, old.x, old.y, width, height);
  const newH = rowHashes(now.w, now.stride, now.x, now.y, width, height);
  if (memo) memo.next = newH;
  const equal = (y: number, oldY: number) => rowsEqual(now.w, now.stride, now.x, now.y + y, old.w, old.stride, old.x, old.y + oldY, width);

  const dy = shiftOf(oldH, newH);
  // Per row: 1 moved by dy, 2 unchanged, 0 changed.
  const rowKind = new Uint8Array(height);
  for (let y = 0; y < height; y++) {
    const from = y + dy;
    if (dy !== 0 && from >= 0 && from < height && newH[y] === oldH[from] && equal(y, from)) rowKind[y] = 1;
    else if (newH[y] === oldH[y] && equal(y, y)) rowKind[y] = 2;
  }
  const copies: MotionPart[] = [];
  for (const [top, bottom] of runs(rowKind, 1)) {
    const dest = { left: box.left, right: box.right, top: box.top + top, bottom: box.top + bottom };
    const source = shifted(dest, 0, dy);
    if (sourceLossy(source)) rowKind.fill(0, top, bottom);
    else copies.push({ kind: 'copy-bits', box: dest, srcX: box.left, srcY: source.top });
  }
  // Copies that read rows other copies write must run before them: top down when rows move up.
  if (dy < 0) copies.reverse();
  const changed = joined(runs(rowKind, 0));
  if (copies.length === 0 && changed.length === 1 && changed[0]![1] - changed[0]![0] === height) {
    const color = uniformColor(now.w, now.stride, now.x, now.y, width, height);
    return color === null ? null : [{ kind: 'fill', box, color }];
  }
  const rest: MotionPart[] = changed.map(([top, bottom]): MotionPart => {
    const part = { left: box.left, right: box.right, top: box.top + top, bottom: box.top + bottom };
    const color = uniformColor(now.w, now.stride, now.x, now.y + top, width, bottom - top);
    return color === null ? { kind: 'image', box: part } : { kind: 'fill', box: part, color };
  });
  return [...copies, ...rest];
}

/** The vertical offset (old row = new row + dy) most changed rows agree on, 0 for none. */
function shiftOf(oldH: Int32Array, newH: Int32Array): number {
  // Rows by hash in the box before; a hash seen more than `maxSame` times (blank rows, a uniform
  // background) votes for nothing, one seen a few times (a glyph row drawn at twice its size) for each.
  const where = new Map<number, number[]>();
  for (let y = 0; y < oldH.length; y++) {
    const rows = where.get(oldH[y]!);
    if (!rows) where.set(oldH[y]!, [y]);
    else if (rows.length <= maxSame) rows.push(y);
  }
  const votes = new Map<number, number>();
  let best = 0;
  let bestVotes = minVotes - 1;
  for (let y = 0; y < newH.length; y++) {
    if (newH[y] === oldH[y]) continue;
    const rows = where.get(newH[y]!);
    if (!rows || rows.length > maxSame) continue;
    for (const from of rows) {
      const dy = from - y;
      const n = (votes.get(dy) ?? 0) + 1;
      votes.set(dy, n);
      if (n > bestVotes) [best, bestVotes] = [dy, n];
    }
  }
  return best;
}

/** The runs of rows of one kind, as [top, bottom) row numbers in the box. */
function runs(rowKind: Uint8Array, kind: number): [number, number][] {
  const out: [number, number][] = [];
  for (let y = 0; y < rowKind.length; ) {
    if (rowKind[y] !== kind) {
      y++;
      continue;
    }
    const top = y;
    while (y < rowKind.length && rowKind[y] === kind) y++;
    out.push([top, y]);
  }
  return out;
}

/** Runs less than `joinGap` rows apart as one. */
function joined(list: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (const r of list) {
    const last = out.at(-1);
    if (last && r[0] - last[1] < joinGap) last[1] = r[1];
    else out.push([r[0], r[1]]);
  }
  return out;
}
