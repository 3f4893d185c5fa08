/**
 * QEMU's listener calls (Scanout, Update, CursorDefine, MouseSet) turned into QXL drawings on
 * the bridge's device. The console's pixels are written once, converted to xRGB, straight into
 * the device's primary surface, which the red-worker snapshots from: there is no other copy of
 * the screen. QEMU waits for nobody: each call is applied to the surface and its damage pushed in
 * the same turn. When the device is full, the damage waits as rectangles (merged; the pixels are
 * already in place), so a slow consumer costs bounded memory and QEMU is never held up. While no
 * client watches the display, the damage waits the same way (`watch`): the red-worker is not
 * woken for nobody, and a client that comes gets the whole surface from it, then what waited.
 *
 * Scrolls and window drags: only here are both the surface before an Update and its new pixels
 * at hand, so rows and rectangles it moved are found here (codecs/motion) and handed on as
 * moves tagged with the write's generation; the red-worker decides whether the client can take
 * them as COPY_BITS.
 *
 * Surface size: a Scanout gives it; QEMU 7.2 sends none after a text-mode switch, so an Update
 * beyond the surface grows it (and `onOutOfBounds` asks the owner to fetch the console's real
 * size), and `resize` takes the size the console reports on the bus. A new size is a new surface
 * on the device; until the device has room for it, the pixels wait in a staging bitmap.
 */
import type { Logger } from '../../../runtime/log.js';
import { Histogram } from '../../../runtime/histogram.js';
import type { ScanoutStats } from '../../contracts.js';
import {
  area,
  bounding,
  boxAt,
  boxKey,
  boxHeight,
  boxWidth,
  intersect,
  intersects,
  mergeBoxes,
  sameBox,
  type Box,
} from '../../../codecs/box.js';
import { isPhotoLike } from '../../../codecs/image/graduality.js';
import { MoveFinder } from '../../../codecs/motion/moves.js';
import { motionLimits, planMotion, type MotionPart, type RowMemo } from '../../../codecs/motion/plan.js';
import { differingPixels, rowHashes, uniformColor } from '../../../codecs/motion/rows.js';
import { words } from '../../../codecs/image/words.js';
import type { Bitmap32 } from '../../../codecs/image/bitmap.js';
import type { CursorImage, QxlDevice } from '../../../native/qxl/device.js';
import { cursorImage, pointerPosition } from './cursor.js';
import type { CursorShape, Scanout, Update } from './dbus/display1-listener.js';
import { blank, boundsOf, copyOverlap, writeRect } from './framebuffer.js';
import { byteOrderOf, NATIVE, type ByteOrder } from './pixman.js';

/** Beyond this many separate rectangles the damage becomes their bounding box. */
const MAX_DAMAGE_RECTS = 32;
/** Receive times kept for the latency figures while the device is full. */
const MAX_TIMED = 4096;
/**
 * A box found photo-like (a video's) is taken for one again this many times before it is
 * checked anew: the check read ~10 % of the bridge's time on a 1080p30 video, and what it
 * guards, a move search, only saves bytes (a video turned to scrolling text is found moving
 * again at most this many updates later).
 */
export const PHOTO_RECHECK = 15;
/** Photo-like boxes followed at once (a video, a marker or subtitle drawn over it after each frame). */
const MAX_PHOTO_BOXES = 4;
/** Drags in progress remembered at once: the guest's windows moving in turn. */
const MAX_DRAGS = 4;
/** Boxes whose row hashes are kept at once: a terminal, and what is drawn over it. */
const MAX_KEPT_ROWS = 4;
/** Writes over more than 1/this of a box's kept row hashes drop them (the next plan there hashes the box anyway). */
const REHASH_SHARE = 4;

/** Pixels QEMU is about to send, as a placer sees them before they come (`ScanoutFeed.place`). */
export interface PixelsPlace {
  readonly kind: 'scanout' | 'update';
  readonly box: Box;
  readonly stride: number;
  readonly format: number;
}

interface CursorState {
  shape: CursorImage | undefined;
  /** Where QEMU last put the image (MouseSet), before the hot spot is added. */
  x: number;
  y: number;
  visible: boolean;
  /** What the device has not been told yet. */
  shapeChanged: boolean;
  moved: boolean;
  shownChanged: boolean;
}

/** Row hashes of a box of the surface (`codecs/motion/rows.ts` `rowHashes`). */
interface KeptRows {
  readonly box: Box;
  readonly surface: Bitmap32;
  readonly hashes: Int32Array;
  /** Rows written since, box-relative [top, bottom) (none: top = the box's height, bottom = 0), hashed again when the hashes are used. */
  staleTop: number;
  staleBottom: number;
}

/** A plan of an update's moves (null: the whole box is damage), and its row hashes when the row pass made them. */
interface Planned {
  readonly parts: readonly MotionPart[] | null;
  readonly rows: KeptRows | null;
}

/** A new picture against the top-left of the one before (`ScanoutFeed.compareTop`). */
export interface TopComparison {
  readonly differing: number;
  readonly uniform: boolean;
}

export class ScanoutFeed {
  /** The console's size (0x0: it shows nothing). */
  private width = 0;
  private height = 0;
  /** The device's surface (its pixels, in device memory), of the console's size or, until replaced, an older one. */
  private surface: Bitmap32 | null = null;
  /** The console's pixels while the device has no surface of its size yet; moved there once it has. */
  private staging: Bitmap32 | null = null;
  private damage: Box[] = [];
  private scratch = new Uint8Array(0);
  /** Time spent planning moves so far. */
  private planningMs = 0;
  /** Boxes found photo-like, by place, with how many of their updates took that on trust since. */
  private readonly photos = new Map<string, number>();
  /** Pixels being read straight into the surface (`place`): where, and the surface then. */
  private placed: { readonly data: Uint8Array; readonly surface: Bitmap32 } | null = null;
  /** Windows dragged: moves in any direction, with the offsets of the drag so far. */
  private readonly moves = new MoveFinder();
  /** Boxes whose last plan was the move finder's with a sideways offset: drags in progress, the latest first. */
  private drags: Box[] = [];
  /** The generation of the last write into the device's surface. */
  private generation = 0;
  /**
   * Row hashes of boxes of the surface as the last updates there left them (hashed when those
   * updates were planned), the latest first: a terminal scrolling sends the same box again, and
   * its plan then hashes only the new pixels. Another write into a box marks its rows stale, to be
   * hashed again when the box is planned, when they are a few (a cursor blinking, a clock, the
   * bench's marker drawn over the terminal); else it drops them.
   */
  private rows: KeptRows[] = [];
  private readonly cursor: CursorState = {
    shape: undefined,
    x: 0,
    y: 0,
    visible: false,
    shapeChanged: false,
    moved: false,
    shownChanged: false,
  };
  private waiting = false;
  /** Whether a client is shown this display (told by the red-worker); until told, as if one were. */
  private watched = true;
  private findDrags = true;
  private closed = false;
  private readonly timed: number[] = [];
  private latency = new Histogram();
  private scanouts = 0;
  private updates = 0;
  private deferred = 0;
  private readonly refused = new Set<string>();
  /** The size last said not to fit the device at all, so that it is said once. */
  private tooLarge = '';

  constructor(
    private readonly device: QxlDevice,
    private readonly log: Logger,
    /** An Update fell outside the surface: the console's size may have changed without a Scanout. */
    private readonly onOutOfBounds: () => void = () => {},
  ) {}

  scanout(s: Scanout): void {
    const at = performance.now();
    if (this.landed(s.data)) {
      this.scanouts++;
      this.damage = [this.bounds];
      return this.received(at);
    }
    const order = this.order(s.format);
    if (!order) return;
    this.scanouts++;
    // A guest that flips pages sends each frame as a Scanout of the same size: moved rows are found there too.
    const planned = s.width === this.width && s.height === this.height ? this.planMotion(this.bounds, s.stride, order, s.data) : null;
    // The whole picture comes with it: nothing of the old surface is kept.
    this.setSize(s.width, s.height, false);
    this.keepRows(planned, this.write(this.bounds, s.stride, order, s.data));
    const plan = planned?.parts;
    if (plan) this.sendMotion(plan, this.generation);
    else this.damage = [this.bounds];
    this.received(at);
  }

  /**
   * Where pixels QEMU is about to send may go straight from the socket: the surface's rows, when
   * they are whole rows of it in its own format (a Scanout: of its size) and the box is a
   * video's, taken for photo-like on trust (no moves are looked for, which would need the
   * picture before). The write is counted from now: the surface changes as the bytes come.
   */
  place(p: PixelsPlace, bytes: number): Uint8Array | null {
    const surface = this.fitting();
    const { box, stride } = p;
    if (this.closed || this.placed || !surface || (p.kind === 'scanout' && !sameBox(box, this.bounds))) return null;
    // A frame read in place now would be torn for as long as the pixels take to come: they are copied once in.
    if (this.device.surfaceRead()) return null;
    if (byteOrderOf(p.format) !== NATIVE || box.left !== 0 || box.right !== surface.width || box.bottom > surface.height) return null;
    if (stride !== surface.stride || stride !== surface.width * 4 || bytes !== stride * boxHeight(box)) return null;
    if (!this.trustPhoto(box)) return null;
    // Its rows change as the bytes come: nothing to hash them from until then.
    this.rows = this.rows.filter((r) => !intersects(r.box, box));
    this.generation = this.device.beginWrite();
    const data = surface.pixels.subarray(box.top * stride, box.top * stride + bytes);
    this.placed = { data, surface };
    return data;
  }

  update(u: Update): void {
    const at = performance.now();
    if (this.landed(u.data)) {
      this.updates++;
      this.addDamage(u);
      return this.received(at);
    }
    const order = this.order(u.format);
    if (!order) return;
    this.updates++;
    if (u.right > this.width || u.bottom > this.height) {
      this.setSize(Math.max(this.width, u.right), Math.max(this.height, u.bottom), true);
      this.onOutOfBounds();
    }
    const planned = this.planMotion(u, u.stride, order, u.data);
    const written = this.write(u, u.stride, order, u.data);
    this.keepRows(planned, written);
    const plan = planned?.parts;
    if (plan && written) this.sendMotion(plan, this.generation);
    else if (written) this.addDamage(written);
    this.received(at);
  }

  /**
   * Whether `data` is the placed pixels, landed in the surface they were read into; their write
   * ends either way. Pixels placed that never came (the link failed while they were read) leave
   * the whole surface, which may show part of them, to go again.
   */
  private landed(data: Uint8Array): boolean {
    const placed = this.placed;
    if (!placed) return false;
    this.placed = null;
    this.device.endWrite();
    if (data !== placed.data) this.addDamage(this.bounds);
    return data === placed.data && placed.surface === this.surface;
  }

  /** Whether `box` is taken for photo-like without a look (one more of its updates is then). */
  private trustPhoto(box: Box): boolean {
    const trusted = this.photos.get(boxKey(box));
    if (trusted === undefined || trusted >= PHOTO_RECHECK) return false;
    this.photos.set(boxKey(box), trusted + 1);
    return true;
  }

  private foundPhoto(box: Box, photoLike: boolean): void {
    const key = boxKey(box);
    if (!photoLike) return void this.photos.delete(key);
    if (!this.photos.has(key) && this.photos.size >= MAX_PHOTO_BOXES) this.photos.clear();
    this.photos.set(key, 0);
  }

  /** The console's size as QEMU reports it on the bus (after a mode switch). */
  resize(width: number, height: number): void {
    if (width === this.width && height === this.height) return;
    this.setSize(width, height, true);
    // What still waits for the device keeps its part inside the new size (a new surface gets all of it anyway).
    this.damage = mergeBoxes(this.damage, this.bounds);
    this.flush();
  }

  cursorDefine(c: CursorShape): void {
    const image = cursorImage(c);
    if (typeof image === 'string') return void this.log.warn({ reason: image }, 'QEMU cursor refused');
    this.cursor.shape = image;
    this.cursor.shapeChanged = true;
    this.flush();
  }

  mouseSet(x: number, y: number, visible: boolean): void {
    const c = this.cursor;
    if (visible !== c.visible) c.shownChanged = true;
    if (x !== c.x || y !== c.y) c.moved = true;
    c.x = x;
    c.y = y;
    c.visible = visible;
    this.flush();
  }

  /** QEMU is gone (or disabled the console): the surface goes, clients show no display until the next Scanout. */
  disable(): void {
    this.setSize(0, 0, false);
    this.scratch = new Uint8Array(0);
    this.damage = [];
    this.timed.length = 0;
    Object.assign(this.cursor, { shape: undefined, visible: false, shapeChanged: false, moved: false, shownChanged: true });
    this.flush();
  }

  /**
   * Whether a client is shown this display. Unwatched, damage waits merged (the surface is kept
   * up to date); watched again, what waited goes, as the client's first picture may have been
   * taken before the last of it was written. `findDrags`: whether window drags are looked for
   * for that client (vertical scrolls always are).
   */
  watch(watched: boolean, findDrags = true): void {
    this.findDrags = findDrags;
    if (watched === this.watched) return;
    this.watched = watched;
    if (watched) this.flush();
  }

  /** Time spent looking for moved rows so far. */
  get motionSeconds(): number {
    return this.planningMs / 1000;
  }

  /**
   * How a Scanout, before it is taken, compares with the top-left of the picture it replaces:
   * how many of its pixels differ there, and whether that part was all one colour (then equal
   * pixels tell nothing). Undefined when the picture now does not cover it.
   */
  compareTop(s: Scanout): TopComparison | undefined {
    const order = byteOrderOf(s.format);
    const before = this.fitting() ?? this.staging;
    if (!order || !before || s.width > before.width || s.height > before.height) return undefined;
    const next = this.asXrgb(s.width, s.height, s.stride, order, s.data);
    const was = words(before);
    const now = words(next);
    if (!was || !now) return undefined;
    return {
      differing: differingPixels(now, next.stride >>> 2, was, before.stride >>> 2, s.width, s.height),
      uniform: uniformColor(was, before.stride >>> 2, 0, 0, s.width, s.height) !== null,
    };
  }

  /** The surface's size now (0x0 while there is none). */
  size(): { width: number; height: number } {
    return { width: this.width, height: this.height };
  }

  /** The figures so far; `reset` empties the latency histogram after reading it. */
  stats(reset = false): ScanoutStats {
    const latencyUs = this.latency.summary();
    if (reset) this.latency = new Histogram();
    return {
      width: this.width,
      height: this.height,
      scanouts: this.scanouts,
      updates: this.updates,
      deferred: this.deferred,
      latencyUs,
    };
  }

  /** Nothing more is pushed (the device is closing). */
  close(): void {
    this.closed = true;
  }

  private order(format: number) {
    const order = byteOrderOf(format);
    if (order) return order;
    const key = format.toString(16);
    if (!this.refused.has(key)) {
      this.refused.add(key);
      this.log.error({ format: `0x${key}` }, 'QEMU pixel format not supported: its frames are dropped');
    }
    return undefined;
  }

  /**
   * How an Update (or a Scanout of the same size) can go as rows the client already has (moved: COPY_BITS; unchanged: nothing)
   * and the rest, planned against the surface before it is written: only here is the old picture
   * still there. Only when nothing is pending, so that the moves reach the device right behind
   * what the client's picture was made of. Null: the whole box is damage, as usual. With the
   * plan, the update's row hashes when the row pass made them (`keepRows` keeps them once written).
   */
  private planMotion(u: Box, stride: number, order: ByteOrder, data: Uint8Array): Planned | null {
    const surface = this.fitting();
    if (!surface || !this.watched || this.damage.length > 0 || this.waiting || this.closed) return null;
    const box = intersect(u, this.bounds);
    const width = boxWidth(box);
    const height = boxHeight(box);
    if (!sameBox(box, u) || height < motionLimits.minRows || width < motionLimits.minWidth || area(box) > motionLimits.maxPixels)
      return null;
    // Photo-like pixels are a video's or a picture's, not text or windows that move: not worth the
    // search. Sampled sparsely: spice-server's walk over a 1080p video frame was an eighth of a core.
    if (this.trustPhoto(box)) return null;
    const started = performance.now();
    const next = this.asXrgb(width, height, stride, order, data);
    const photoLike = isPhotoLike(next);
    this.foundPhoto(box, photoLike);
    if (photoLike) {
      this.planningMs += performance.now() - started;
      return null;
    }
    const memo: RowMemo = { before: this.keptRows(surface, box), next: null };
    // What is lossy at the client is the red-worker's to know: it checks each move's source.
    // Where a window is being dragged sideways (the last plan there moved pixels by dx != 0): the
    // move finder first, and the row pass (three reads of the box, a scroll's finder) only if it
    // finds nothing; on the desktop workload the row pass was an eighth of the bridge's thread.
    const dragFirst = this.findDrags && this.drags.some((d) => intersects(d, box));
    const findMoves = () => this.moves.plan(surface, box, next, 0, 0, () => false);
    let moved = dragFirst ? findMoves() : null;
    const scrolled = moved ? null : planMotion(surface, box, next, 0, 0, () => false, memo);
    // Not rows of the whole box moved up or down: perhaps a window moved, in any direction.
    if (!moved && !dragFirst && this.findDrags && !scrolled?.some((p) => p.kind === 'copy-bits')) moved = findMoves();
    const others = this.drags.filter((d) => !intersects(d, box));
    this.drags = moved !== null && this.moves.lastMovedSideways ? [box, ...others].slice(0, MAX_DRAGS) : others;
    this.planningMs += performance.now() - started;
    return { parts: moved ?? scrolled, rows: memo.next && { box, surface, hashes: memo.next, staleTop: height, staleBottom: 0 } };
  }

  /** After an update's write: its rows' hashes are the box's in the surface now, if it went there whole. */
  private keepRows(planned: Planned | null, written: Box | undefined): void {
    const rows = planned?.rows;
    if (rows && written && sameBox(written, rows.box) && this.surface === rows.surface)
      this.rows = [rows, ...this.rows.filter((r) => !sameBox(r.box, rows.box))].slice(0, MAX_KEPT_ROWS);
  }

  /** After a write into `box` of the surface: the kept row hashes it touched are stale, or all dropped when they are many. */
  private staleRows(box: Box): void {
    if (this.rows.length === 0) return;
    this.rows = this.rows.filter((kept) => {
      if (!intersects(kept.box, box)) return true;
      const top = Math.min(kept.staleTop, Math.max(box.top, kept.box.top) - kept.box.top);
      const bottom = Math.max(kept.staleBottom, Math.min(box.bottom, kept.box.bottom) - kept.box.top);
      if ((bottom - top) * REHASH_SHARE > kept.hashes.length) return false;
      kept.staleTop = top;
      kept.staleBottom = bottom;
      return true;
    });
  }

  /** The kept row hashes of `box` in `surface`, their stale rows hashed again from it; null when none are kept. */
  private keptRows(surface: Bitmap32, box: Box): Int32Array | null {
    const kept = this.rows.find((r) => r.surface === surface && sameBox(r.box, box));
    if (!kept) return null;
    const { staleTop: top, staleBottom: bottom } = kept;
    if (top < bottom) {
      const w = words(surface);
      if (!w) return null;
      kept.hashes.set(rowHashes(w, surface.stride >>> 2, box.left, box.top + top, boxWidth(box), bottom - top), top);
    }
    kept.staleTop = kept.hashes.length;
    kept.staleBottom = 0;
    return kept.hashes;
  }

  /**
   * QEMU's pixels as an xRGB bitmap: its own bytes when they already are (native order, words
   * aligned), else a copy in a buffer kept for the next (at most the surface's size). Read only.
   */
  private asXrgb(width: number, height: number, stride: number, order: ByteOrder, data: Uint8Array): Bitmap32 {
    if (order === NATIVE && data.byteOffset % 4 === 0 && stride % 4 === 0) return { width, height, stride, pixels: data };
    const bytes = width * height * 4;
    if (this.scratch.length < bytes) this.scratch = new Uint8Array(bytes);
    const next = { width, height, stride: width * 4, pixels: this.scratch.subarray(0, bytes) };
    writeRect(next, boundsOf(next), stride, order, data);
    return next;
  }

  /** A planned Update to the device: its moves first (each, if the device is full, damage instead), then its damage. */
  private sendMotion(parts: readonly MotionPart[], generation: number): void {
    let full = false;
    for (const p of parts) {
      if (p.kind === 'copy-bits' && !full && this.device.moved(p.box, p.srcX, p.srcY, generation)) continue;
      // The device is full: the rest waits as damage (images of the surface are always right).
      if (p.kind === 'copy-bits') full = true;
      this.addDamage(p.box);
    }
  }

  private received(at: number): void {
    if (this.timed.length < MAX_TIMED) this.timed.push(at);
    this.flush();
  }

  private addDamage(r: Box): void {
    const merged = mergeBoxes([...this.damage, r], this.bounds);
    this.damage = merged.length <= MAX_DAMAGE_RECTS ? merged : [merged.reduce(bounding)];
  }

  /** Pushes what the device has not got; when it is full, goes on once releases make room. */
  private flush(): void {
    if (this.waiting || this.closed) return;
    if (this.push()) return;
    this.deferred++;
    this.waiting = true;
    void this.device.room().then(() => {
      this.waiting = false;
      this.flush();
    });
  }

  /** True when everything is on the device; false when it filled up first (what is left stays pending). */
  private push(): boolean {
    if (!this.ensureSurface()) return false;
    if (!this.pushCursor()) return false;
    if (!this.surface) return true;
    // Nobody to show it to: it waits, and so no time from QEMU to the device is measured.
    if (!this.watched) {
      this.timed.length = 0;
      return true;
    }
    while (this.damage.length > 0) {
      if (!this.device.damage(this.damage[0]!, this.generation)) return false;
      this.damage.shift();
    }
    const now = performance.now();
    for (const at of this.timed) this.latency.record((now - at) * 1000);
    this.timed.length = 0;
    return true;
  }

  private get bounds(): Box {
    return boxAt(0, 0, this.width, this.height);
  }

  /**
   * Takes the console's new size. `keep`: what the old size showed stays where both overlap (the
   * rest black), through the staging bitmap; else the caller writes the whole picture.
   */
  private setSize(width: number, height: number, keep: boolean): void {
    if (width === this.width && height === this.height) return;
    const before = this.fitting() ?? this.staging;
    this.staging = null;
    if (keep && before && width > 0 && height > 0) copyOverlap((this.staging = blank(width, height)), before);
    this.width = width;
    this.height = height;
  }

  /** The device's surface when it is of the console's size. */
  private fitting(): Bitmap32 | null {
    const s = this.surface;
    return s && s.width === this.width && s.height === this.height ? s : null;
  }

  /** Writes into the device's surface, made now if there is room for it; else into the staging bitmap. */
  private write(r: Box, stride: number, order: ByteOrder, data: Uint8Array): Box | undefined {
    this.ensureSurface();
    const surface = this.fitting();
    if (!surface) return writeRect((this.staging ??= blank(this.width, this.height)), r, stride, order, data);
    return this.counted(r, () => writeRect(surface, r, stride, order, data));
  }

  /**
   * A write into the device's surface, counted before the pixels change (a snapshot the
   * red-worker ends after this may show them) and after (one it begins after this has them all).
   */
  private counted<T>(box: Box, write: () => T): T {
    // A pool thread reading the surface in place (an MJPEG frame) finishes first: the write would tear it.
    this.device.waitForReaders();
    this.generation = this.device.beginWrite();
    const out = write();
    this.device.endWrite();
    this.staleRows(box);
    return out;
  }

  /**
   * Gives the device a surface of the console's size (none at 0x0), replacing the one it has;
   * the staging pixels move into it. False while the device is full.
   */
  private ensureSurface(): boolean {
    if (this.fitting() || (!this.surface && (this.width === 0 || this.height === 0))) return true;
    if (this.surface) {
      if (!this.device.surfaceDestroy()) return false;
      // Its memory goes back to the device once the red-worker has taken the destroy: not touched again.
      this.surface = null;
      if (this.width === 0 || this.height === 0) return true;
    }
    const made = this.device.surfaceCreate(this.width, this.height);
    if (!made) {
      const size = `${this.width}x${this.height}`;
      if (this.width * this.height * 4 > this.device.capacity && this.tooLarge !== size) {
        this.tooLarge = size;
        this.log.error({ size, deviceBytes: this.device.capacity }, 'QEMU console larger than the device memory: it is not shown');
      }
      return false;
    }
    this.surface = made;
    // A write like QEMU's: counted, so the damage below is not taken as already shown.
    const staging = this.staging;
    if (staging) this.counted(boundsOf(staging), () => copyOverlap(made, staging));
    this.staging = null;
    this.damage = [this.bounds];
    return true;
  }

  private pushCursor(): boolean {
    const c = this.cursor;
    const shown = c.visible && c.shape !== undefined;
    const at = pointerPosition(c.x, c.y, c.shape);
    if (c.shape && (c.shapeChanged || (c.shownChanged && shown))) {
      if (!this.device.cursorSet(c.shape, at.x, at.y, c.visible)) return false;
    } else if (c.shownChanged && !shown) {
      if (!this.device.cursorHide()) return false;
    } else if (c.moved && shown) {
      if (!this.device.cursorMove(at.x, at.y)) return false;
    }
    c.shapeChanged = c.moved = c.shownChanged = false;
    return true;
  }
}
