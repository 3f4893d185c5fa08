/**
 * QEMU's listener calls (Scanout, Update, CursorDefine, MouseSet) turned into QXL drawings on
 * the bridge's device. QEMU waits for nobody: each call is applied to the framebuffer copy and
 * pushed to the device in the same turn. When the device is full, the damage waits as
 * rectangles (merged, the latest pixels taken from the framebuffer once there is room), so a
 * slow consumer costs bounded memory and QEMU is never held up.
 *
 * Surface size: a Scanout gives it; QEMU 7.2 sends none after a text-mode switch, so an Update
 * beyond the surface grows it (and `onOutOfBounds` asks the owner to fetch the console's real
 * size), and `resize` takes the size the console reports on the bus.
 */
import type { Logger } from '../../../runtime/log.js';
import { Histogram } from '../../../runtime/histogram.js';
import type { ScanoutStats } from '../../contracts.js';
import { boxHeight, boxWidth, bounding, mergeBoxes, type Box } from '../../../codecs/box.js';
import type { CursorImage, QxlDevice } from '../../../native/qxl/device.js';
import { cursorImage, pointerPosition } from './cursor.js';
import type { CursorShape, Scanout, Update } from './dbus/display1-listener.js';
import { Framebuffer } from './framebuffer.js';
import { byteOrderOf } from './pixman.js';

/** Beyond this many separate rectangles the damage becomes their bounding box. */
const MAX_DAMAGE_RECTS = 32;
/** A DRAW_COPY holds at most this many pixel bytes, so a big rectangle never needs the whole heap at once. */
const MAX_BAND_BYTES = 4 * 1024 * 1024;
/** Receive times kept for the latency figures while the device is full. */
const MAX_TIMED = 4096;

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

export class ScanoutFeed {
  private readonly fb = new Framebuffer();
  /** The size of the surface the device has (as commanded), or null for none. */
  private onDevice: { width: number; height: number } | null = null;
  private damage: Box[] = [];
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
  private closed = false;
  private readonly timed: number[] = [];
  private latency = new Histogram();
  private scanouts = 0;
  private updates = 0;
  private deferred = 0;
  private readonly refused = new Set<string>();

  constructor(
    private readonly device: QxlDevice,
    private readonly log: Logger,
    /** An Update fell outside the surface: the console's size may have changed without a Scanout. */
    private readonly onOutOfBounds: () => void = () => {},
  ) {}

  scanout(s: Scanout): void {
    const at = performance.now();
    const order = this.order(s.format);
    if (!order) return;
    this.scanouts++;
    this.fb.resize(s.width, s.height);
    this.fb.write(this.fb.bounds, s.stride, order, s.data);
    this.damage = [this.fb.bounds];
    this.received(at);
  }

  update(u: Update): void {
    const at = performance.now();
    const order = this.order(u.format);
    if (!order) return;
    this.updates++;
    if (u.right > this.fb.width || u.bottom > this.fb.height) {
      this.fb.resize(Math.max(this.fb.width, u.right), Math.max(this.fb.height, u.bottom));
      this.onOutOfBounds();
    }
    const written = this.fb.write(u, u.stride, order, u.data);
    if (written) this.addDamage(written);
    this.received(at);
  }

  /** The console's size as QEMU reports it on the bus (after a mode switch). */
  resize(width: number, height: number): void {
    if (width === this.fb.width && height === this.fb.height) return;
    this.fb.resize(width, height);
    // What still waits for the device keeps its part inside the new size (a new surface gets all of it anyway).
    this.damage = mergeBoxes(this.damage, this.fb.bounds);
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
    this.fb.resize(0, 0);
    this.damage = [];
    this.timed.length = 0;
    Object.assign(this.cursor, { shape: undefined, visible: false, shapeChanged: false, moved: false, shownChanged: true });
    this.flush();
  }

  /** The surface's size now (0x0 while there is none). */
  size(): { width: number; height: number } {
    return { width: this.fb.width, height: this.fb.height };
  }

  /** The figures so far; `reset` empties the latency histogram after reading it. */
  stats(reset = false): ScanoutStats {
    const latencyUs = this.latency.summary();
    if (reset) this.latency = new Histogram();
    return {
      width: this.fb.width,
      height: this.fb.height,
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

  private received(at: number): void {
    if (this.timed.length < MAX_TIMED) this.timed.push(at);
    this.flush();
  }

  private addDamage(r: Box): void {
    const merged = mergeBoxes([...this.damage, r], this.fb.bounds);
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
    const want = this.fb.width > 0 && this.fb.height > 0 ? { width: this.fb.width, height: this.fb.height } : null;
    const d = this.onDevice;
    if (d && (!want || d.width !== want.width || d.height !== want.height)) {
      if (!this.device.surfaceDestroy()) return false;
      this.onDevice = null;
    }
    if (want && !this.onDevice) {
      if (!this.device.surfaceCreate(want.width, want.height)) return false;
      this.onDevice = want;
      this.damage = [this.fb.bounds];
    }
    if (!this.pushCursor()) return false;
    if (!this.onDevice) return true;
    while (this.damage.length > 0) {
      const r = this.damage[0]!;
      const rows = Math.max(1, Math.min(boxHeight(r), Math.floor(MAX_BAND_BYTES / (boxWidth(r) * 4))));
      if (!this.device.drawCopy({ ...r, bottom: r.top + rows }, this.fb, r.left, r.top)) return false;
      if (rows === boxHeight(r)) this.damage.shift();
      else this.damage[0] = { ...r, top: r.top + rows };
    }
    const now = performance.now();
    for (const at of this.timed) this.latency.record((now - at) * 1000);
    this.timed.length = 0;
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
