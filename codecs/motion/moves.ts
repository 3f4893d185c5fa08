import type { Bitmap32 } from '../image/bitmap.js';
import { area, boxAt, bounding, boxHeight, boxWidth, contains, intersects, shifted, type Box } from '../box.js';
import type { MotionPart } from './plan.js';
import { nativeAnchorHashes, nativeRollingMatches, nativeTileKinds } from '../../native/index.js';
import { boxViews, rowsEqual, uniformColor, type View } from './rows.js';

/** Where a moved pixel was: (x + dx, y + dy) in the picture before. */
interface Offset {
  readonly dx: number;
  readonly dy: number;
}

/**
 * Bounds of the work. A box is judged in `tile`-pixel squares; offsets are found from runs of
 * `anchor` pixels on `sampledRows` rows of the new picture looked up in the old one; at most
 * `offsets` moves per box (windows dragged apart), `maxCopies` copies. A plan with more than
 * `maxImages` images per move (a window's two uncovered strips, what changed in it) or that copies
 * fewer than `minCopied` pixels is not worth its drawings: each image has its own header and is
 * compressed alone, where one image of the box would find the window's pixels in the cache.
 */
export const moveLimits = {
  tile: 16,
  anchor: 32,
  sampledRows: 12,
  offsets: 3,
  recent: 4,
  maxCopies: 8,
  maxImages: 4,
  minCopied: 1024,
} as const;
/** An offset needs this many anchors found moved by it before its tiles are compared. */
const minVotes = 3;
/** An anchor found at more places than this (a repeated pattern) votes for none of them. */
const maxPlaces = 8;

/** Two images whose bounding box covers at most this many pixels more than they do go as that one image (a drawing costs more). */
const joinExtra = 1024;

/**
 * Tile kinds (made by the addon's tileKinds): an image, unchanged (-2), unchanged and also the
 * picture moved by offset k (ALSO_MOVED - k), or moved by offset k (k >= 0).
 */
const IMAGE = -1;
const ALSO_MOVED = -3;
/** The offset a tile can be copied by, or -1. */
const movedBy = (kind: number): number => (kind >= 0 ? kind : kind <= ALSO_MOVED ? ALSO_MOVED - kind : -1);

/**
 * Finds rectangles of an update that are the picture before moved by some (dx, dy): a window
 * dragged, which QEMU reports as one damaged box over where it was and where it is, without
 * saying it moved. Vertical scrolls of whole rows are planMotion's; this finds moves in any
 * direction of part of a box, and several in one box. Anchors (runs of pixels of the new picture
 * that are neither one colour nor unchanged) are hashed and looked up in the old picture with a
 * rolling hash; the offsets most anchors agree on (and those that worked lately, tried first) are
 * then checked tile by tile, every copied tile compared in full, so a copy is always exact. Keeps
 * the offsets that worked for the next update of the same drag.
 */
export class MoveFinder {
  private recent: Offset[] = [];

  /**
   * The plan for `box` (surface coordinates) whose new pixels are `next` from `nextX`,`nextY`,
   * given `before`, the surface as the client has it: copies first (ordered so that none reads
   * what another wrote), then fills and images; unchanged tiles not at all. Null when no move
   * is worth it. `sourceLossy` as planMotion's: a lossy source is not copied from.
   */
  plan(
    before: Bitmap32,
    box: Box,
    next: Bitmap32,
    nextX: number,
    nextY: number,
    sourceLossy: (source: Box) => boolean,
  ): readonly MotionPart[] | null {
    const width = boxWidth(box);
    const height = boxHeight(box);
    if (width < moveLimits.anchor || height < moveLimits.tile) return null;
    const views = boxViews(before, box, next, nextX, nextY);
    if (!views) return null;
    const { old, now } = views;
    const surface = boxAt(0, 0, before.width, before.height);
    const inside = (o: Offset, b: Box) => contains(surface, shifted(b, o.dx, o.dy));

    const anchors = sampleAnchors(old, now, width, height);
    if (anchors.length < minVotes) return null;
    const offsets = this.recent.filter((o) => votesFor(o, anchors, old, now, inside) >= minVotes);
    if (offsets.length === 0) offsets.push(...searchOffsets(anchors, old, width, height));
    if (offsets.length === 0) return null;

    const kinds = tileKinds(old, now, box, offsets, before);
    const copies = rects(kinds, box, movedBy)
      // A rectangle of tiles that are all unchanged needs no copy.
      .filter(({ moved }) => moved > 0)
      .map(({ kind, rect }) => {
        const o = offsets[kind]!;
        return {
          dest: rect,
          source: shifted(rect, o.dx, o.dy),
          o,
        };
      });
    const kept = copies.filter((c) => !sourceLossy(c.source));
    // A lossy source: its tiles go as images, so that lossy pixels do not spread.
    for (const c of copies) if (!kept.includes(c)) markImage(kinds, box, c.dest);
    const copied = kept.reduce((n, c) => n + area(c.dest), 0);
    if (copied < moveLimits.minCopied) return null;
    const ordered = readersFirst(kept);
    if (!ordered) return null;
    const rest = joinNear(rects(kinds, box, (k) => (k === IMAGE ? 0 : -1)).map((r) => r.rect)).map((rect): MotionPart => {
      const color = uniformColor(
        now.w,
        now.stride,
        now.x + rect.left - box.left,
        now.y + rect.top - box.top,
        boxWidth(rect),
        boxHeight(rect),
      );
      return color === null ? { kind: 'image', box: rect } : { kind: 'fill', box: rect, color };
    });
    if (
      ordered.length > moveLimits.maxCopies ||
      rest.filter((p) => p.kind === 'image').length > moveLimits.maxImages * new Set(ordered.map((c) => c.o)).size
    )
      return null;
    this.remember(ordered.map((c) => c.o));
    return [...ordered.map((c): MotionPart => ({ kind: 'copy-bits', box: c.dest, srcX: c.source.left, srcY: c.source.top })), ...rest];
  }

  /** Whether the last plan's first move had a sideways part (dx != 0): a drag, not a vertical scroll. */
  get lastMovedSideways(): boolean {
    return (this.recent[0]?.dx ?? 0) !== 0;
  }

  private remember(used: readonly Offset[]): void {
    const all = [...used, ...this.recent];
    this.recent = all.filter((o, i) => all.findIndex((p) => p.dx === o.dx && p.dy === o.dy) === i).slice(0, moveLimits.recent);
  }
}

interface Anchor {
  /** Box coordinates of its first pixel. */
  readonly x: number;
  readonly y: number;
  readonly hash: number;
}

/** Where each anchor starts in the new picture's words, and its hash: the addon's, rollingMatches' own. */
let anchorStarts = new Int32Array(0);
let anchorHashes = new Int32Array(0);

/** Runs of the new picture on a few rows that say something: not one colour, and not where they were. */
function sampleAnchors(old: View, now: View, width: number, height: number): Anchor[] {
  const at: Array<{ x: number; y: number }> = [];
  const n = Math.min(moveLimits.sampledRows, height);
  for (let k = 0; k < n; k++) {
    const y = Math.floor(((k + 0.5) * height) / n);
    for (let x = 0; x + moveLimits.anchor <= width; x += moveLimits.anchor) {
      if (rowsEqual(now.w, now.stride, now.x + x, now.y + y, old.w, old.stride, old.x + x, old.y + y, moveLimits.anchor)) continue;
      if (uniformColor(now.w, now.stride, now.x + x, now.y + y, moveLimits.anchor, 1) !== null) continue;
      at.push({ x, y });
    }
  }
  if (anchorStarts.length < at.length) {
    anchorStarts = new Int32Array(at.length);
    anchorHashes = new Int32Array(at.length);
  }
  at.forEach((a, i) => (anchorStarts[i] = (now.y + a.y) * now.stride + now.x + a.x));
  nativeAnchorHashes(now.w, anchorStarts, at.length, moveLimits.anchor, anchorHashes);
  return at.map((a, i) => ({ x: a.x, y: a.y, hash: anchorHashes[i]! }));
}

/** How many anchors show the old picture moved by `o`. */
function votesFor(o: Offset, anchors: readonly Anchor[], old: View, now: View, inside: (o: Offset, b: Box) => boolean): number {
  let n = 0;
  for (const a of anchors) {
    const run = boxAt(old.x + a.x, old.y + a.y, moveLimits.anchor, 1);
    if (!inside(o, run)) continue;
    if (rowsEqual(now.w, now.stride, now.x + a.x, now.y + a.y, old.w, old.stride, run.left + o.dx, run.top + o.dy, moveLimits.anchor)) n++;
  }
  return n;
}

/** The rolling hash's filtered places of one call, (x, y, hash) each after their count: a 1080p box's row fits many times over. */
let matches = new Int32Array(1 + 3 * 16384);

/** The offsets most anchors agree on, found by a rolling hash over the old picture in the box (the scan in C++). */
function searchOffsets(anchors: readonly Anchor[], old: View, width: number, height: number): Offset[] {
  const byHash = new Map<number, number[]>();
  // A first filter on 16 bits of the hash keeps the map out of most positions.
  const seen = new Uint8Array(1 << 16);
  anchors.forEach((a, i) => {
    seen[a.hash & 0xffff] = 1;
    const list = byHash.get(a.hash);
    if (list) list.push(i);
    else byHash.set(a.hash, [i]);
  });
  const places = new Uint16Array(anchors.length);
  const votes = new Map<number, number>();
  if (matches.length < 1 + 3 * width) matches = new Int32Array(1 + 3 * width);
  for (let from = 0; from < height; ) {
    from = nativeRollingMatches(old.w, old.stride, old.x, old.y, width, height, moveLimits.anchor, seen, from, matches);
    for (let m = 0, j = 1; m < matches[0]!; m++, j += 3) {
      const x = matches[j]!;
      const y = matches[j + 1]!;
      for (const i of byHash.get(matches[j + 2]!) ?? []) {
        const a = anchors[i]!;
        if ((a.x === x && a.y === y) || ++places[i]! > maxPlaces) continue;
        const key = (x - a.x + 0x8000) * 0x10000 + (y - a.y + 0x8000);
        votes.set(key, (votes.get(key) ?? 0) + 1);
      }
    }
  }
  return [...votes]
    .filter(([, n]) => n >= minVotes)
    .sort((a, b) => b[1] - a[1])
    .slice(0, moveLimits.offsets)
    .map(([key]) => ({ dx: Math.floor(key / 0x10000) - 0x8000, dy: (key % 0x10000) - 0x8000 }));
}

/**
 * Each tile's kind, row by row: unchanged (and copied with the rest where an offset shows it too,
 * so copies are few and large), copied by the first offset whose source shows it exactly, else
 * an image. The compares are C++'s, one call for the box.
 */
function tileKinds(old: View, now: View, box: Box, offsets: readonly Offset[], surface: { width: number; height: number }): Int8Array[] {
  const T = moveLimits.tile;
  const width = boxWidth(box);
  const height = boxHeight(box);
  const cols = Math.ceil(width / T);
  const all = new Int8Array(cols * Math.ceil(height / T));
  const pairs = new Int32Array(offsets.flatMap((o) => [o.dx, o.dy]));
  nativeTileKinds(
    now.w,
    now.stride,
    now.x,
    now.y,
    old.w,
    old.stride,
    surface.width,
    surface.height,
    box.left,
    box.top,
    width,
    height,
    T,
    pairs,
    all,
  );
  const out: Int8Array[] = [];
  for (let i = 0; i < all.length; i += cols) out.push(all.subarray(i, i + cols));
  return out;
}

/** Tiles under `r` (box coordinates of whole tiles) become images. */
function markImage(kinds: Int8Array[], box: Box, r: Box): void {
  const T = moveLimits.tile;
  for (let ty = (r.top - box.top) / T; ty < Math.ceil((r.bottom - box.top) / T); ty++)
    for (let tx = (r.left - box.left) / T; tx < Math.ceil((r.right - box.left) / T); tx++) kinds[ty]![tx] = IMAGE;
}

/**
 * Rectangles of tiles of one group (`group`: a tile's group, -1 for none): runs along each tile
 * row, joined with the same run of the row above; `moved` counts the tiles in it that changed.
 */
function rects(kinds: Int8Array[], box: Box, group: (kind: number) => number): { kind: number; rect: Box; moved: number }[] {
  const T = moveLimits.tile;
  const done: { kind: number; rect: Box; moved: number }[] = [];
  let open: typeof done = [];
  kinds.forEach((row, ty) => {
    const top = box.top + ty * T;
    const bottom = Math.min(box.bottom, top + T);
    const next: typeof open = [];
    for (let tx = 0; tx < row.length; ) {
      const kind = group(row[tx]!);
      if (kind < 0) {
        tx++;
        continue;
      }
      const from = tx;
      let moved = 0;
      for (; tx < row.length && group(row[tx]!) === kind; tx++) if (row[tx]! >= IMAGE) moved++;
      const left = box.left + from * T;
      const right = Math.min(box.right, box.left + tx * T);
      const above = open.findIndex((o) => o.kind === kind && o.rect.left === left && o.rect.right === right);
      if (above >= 0) {
        const o = open.splice(above, 1)[0]!;
        next.push({ kind, rect: { ...o.rect, bottom }, moved: o.moved + moved });
      } else next.push({ kind, rect: { left, top, right, bottom }, moved });
    }
    done.push(...open);
    open = next;
  });
  return [...done, ...open];
}

/** Images joined into their bounding box while that adds at most `joinExtra` pixels (drawn after the copies, it may cover some of them). */
function joinNear(images: Box[]): Box[] {
  const out = [...images];
  for (let i = 0; i < out.length; i++) {
    for (let j = i + 1; j < out.length; j++) {
      const both = bounding(out[i]!, out[j]!);
      if (area(both) - area(out[i]!) - area(out[j]!) > joinExtra) continue;
      out[i] = both;
      out.splice(j, 1);
      j = i;
    }
  }
  return out;
}

/**
 * The copies in an order where none reads what an earlier one wrote (a copy's own overlap is the
 * blit's to handle), or null when they read each other's in a circle.
 */
function readersFirst<C extends { dest: Box; source: Box }>(copies: readonly C[]): C[] | null {
  const out: C[] = [];
  const left = [...copies];
  while (left.length > 0) {
    // Ready: nothing still to be written reads what this one writes.
    const i = left.findIndex((c) => left.every((o) => o === c || !intersects(o.source, c.dest)));
    if (i < 0) return null;
    out.push(left.splice(i, 1)[0]!);
  }
  return out;
}
