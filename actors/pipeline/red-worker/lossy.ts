import { type Box, bounding, intersect, isEmpty, shifted, subtract } from '../../../codecs/box.js';

/** An area stays lossy at most this long once it stops changing: then it is sent losslessly. */
export const LOSSY_QUIET_MS = 400;
/** Areas tracked at most; past it they merge into one box (more is sent again, never less). */
const MAX_AREAS = 64;

/**
 * Where a client's picture is lossy (JPEG), in the order the pipe sends: spice-server tracks it to
 * send a lossy COPY_BITS source losslessly first, and leaves the rest lossy until redrawn; here
 * every lossy area also goes losslessly once it has not changed for LOSSY_QUIET_MS, so a still
 * screen ends exact. Bounded: at most MAX_AREAS boxes.
 */
export class LossyAreas {
  private areas: { box: Box; since: number }[] = [];
  private timer: NodeJS.Timeout | null = null;

  /** `quiet` gets the areas that stopped changing, already forgotten here: the caller sends them losslessly. */
  constructor(private readonly quiet: (boxes: Box[]) => void) {}

  /** Drawn lossy at the client from `now`. */
  lossy(box: Box, now: number): void {
    this.lossless(box);
    this.areas.push({ box, since: now });
    if (this.areas.length > MAX_AREAS) this.areas = [{ box: this.areas.map((a) => a.box).reduce(bounding), since: now }];
    this.arm();
  }

  /** Drawn losslessly over `box` (only inside `clip` when there is one): exact there again. */
  lossless(box: Box, clip?: readonly Box[]): void {
    if (this.areas.length === 0) return;
    for (const part of clip ? clip.map((c) => intersect(c, box)) : [box]) {
      if (isEmpty(part)) continue;
      this.areas = this.areas.flatMap((a) => subtract(a.box, part).map((b) => ({ box: b, since: a.since })));
    }
  }

  /**
   * A COPY_BITS of `dest` from (srcX, srcY): the parts of `dest` copied from lossy pixels, for the
   * caller to send losslessly right after it. `dest` then counts as exact.
   */
  copied(dest: Box, srcX: number, srcY: number, clip?: readonly Box[]): Box[] {
    const dx = dest.left - srcX;
    const dy = dest.top - srcY;
    const moved = this.areas.map(({ box }) => intersect(shifted(box, dx, dy), dest));
    this.lossless(dest, clip);
    return moved.filter((b) => !isEmpty(b));
  }

  /** Whether some of `box` may be lossy at the client. */
  overlaps(box: Box): boolean {
    return this.areas.some((a) => !isEmpty(intersect(a.box, box)));
  }

  /** Nothing lossy (a new client, a new surface, a whole-surface image). */
  clear(): void {
    this.areas = [];
    this.stop();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(): void {
    if (this.timer || this.areas.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const now = performance.now();
      const due = this.areas.filter((a) => now - a.since >= LOSSY_QUIET_MS);
      this.areas = this.areas.filter((a) => now - a.since < LOSSY_QUIET_MS);
      if (due.length > 0) this.quiet(due.map((a) => a.box));
      this.arm();
    }, LOSSY_QUIET_MS / 2);
  }
}
