import type { TopComparison } from './scanout.js';

/** A display's size. */
export interface Size {
  readonly width: number;
  readonly height: number;
}

/** How long after a layout the guest's answer is still read as its answer. */
const answerMs = 10_000;
/** Pixels of a height crop that may differ from the picture before: a clock, a cursor or a marker drawn meanwhile. */
const drawnMeanwhile = 1 / 1000;

interface Proposal extends Size {
  readonly before: Size;
  readonly at: number;
}

/**
 * Never shrinking a guest that cannot follow: after the companion's own answer to a client
 * layout (SetUIInfo), the guest's next scanouts say whether it followed. It did not when it
 * scans out less than asked in either dimension (it picked a smaller mode of its own), or the
 * size asked but as a crop of a wider buffer than that (an fbdev console keeps drawing its old
 * framebuffer and the CRTC shows part of it: rows and columns cut off). A crop in height only
 * keeps the buffer's row length, so there the picture tells: a crop shows the old picture's top
 * rows as they were (QEMU 7.2's D-Bus display says nothing of the guest's buffer size), while a
 * guest that followed lays its picture out again for the new height. Then the display goes back
 * to its size from before and that size is not asked for again (the guest would shrink the same
 * way). A guest that followed but drew the same top rows, or a picture of one colour, is kept
 * at the client's size: the first errs on the side of the guest's own size, the second cannot
 * be told.
 */
export class LayoutGuard {
  private readonly proposals = new Map<number, Proposal>();
  private readonly refused = new Map<number, Set<string>>();
  /** The guest's buffer row length before the proposal, per display (bytes per row of its last scanout). */
  private readonly strides = new Map<number, number>();

  constructor(
    /** The guest did not follow: display `display` goes back to `size`. */
    private readonly restore: (display: number, size: Size, asked: Size, seen: Size & { stride: number }) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** False for a size the guest could not follow before. */
  allows(display: number, size: Size): boolean {
    return !this.refused.get(display)?.has(`${size.width}x${size.height}`);
  }

  /** A layout was passed to the guest while display `display` was `before`. */
  proposed(display: number, size: Size, before: Size): void {
    if (size.width === before.width && size.height === before.height) return void this.proposals.delete(display);
    this.proposals.set(display, { ...size, before, at: this.now() });
  }

  /**
   * A scanout of display `display`, before it is shown: the guest's answer, if a proposal waits
   * for one. `compareTop` compares its picture with the one before (asked only of an answer in
   * height only).
   */
  scanout(display: number, width: number, height: number, stride: number, compareTop: () => TopComparison | undefined): void {
    const strideBefore = this.strides.get(display);
    this.strides.set(display, stride);
    const p = this.proposals.get(display);
    if (!p) return;
    if (this.now() - p.at > answerMs) return void this.proposals.delete(display);
    // Still the old picture: the guest has not answered yet.
    if (width === p.before.width && height === p.before.height) return;
    this.proposals.delete(display);
    const smaller = width < p.width || height < p.height;
    const sameBuffer = stride === strideBefore;
    const crop = width === p.width && stride > width * 4 && sameBuffer;
    const heightOnly = width === p.width && height === p.height && width === p.before.width && height < p.before.height;
    if (!smaller && !crop && !(heightOnly && sameBuffer && showsTop(width * height, compareTop()))) return;
    let refused = this.refused.get(display);
    if (!refused) this.refused.set(display, (refused = new Set()));
    refused.add(`${p.width}x${p.height}`);
    this.restore(display, p.before, { width: p.width, height: p.height }, { width, height, stride });
  }

  /** QEMU went: what was learnt was about its guest. */
  clear(): void {
    this.proposals.clear();
    this.refused.clear();
    this.strides.clear();
  }
}

/** Whether a picture of `pixels` pixels is the top of the one before, as a crop shows it. */
const showsTop = (pixels: number, c: TopComparison | undefined): boolean =>
  c !== undefined && !c.uniform && c.differing <= pixels * drawnMeanwhile;
