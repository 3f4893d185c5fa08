import { area, bounding, boxHeight, boxWidth, intersect, type Box } from '../../../../codecs/box.js';

/** spice-server's detection rules (video-stream.h), on damage boxes instead of QXL drawings, the gap longer. */
const minFrames = 20;
const minSide = 96;
/**
 * Frames of a region at most this far apart (spice-server: 200 ms). Twice that: a guest under
 * TCG draws a 720p or 1080p movie at 3-5 frames a second, which as lossless images costs a
 * 10 Mbit/s link whole, and as video a fraction.
 */
const maxGapMs = 400;
/** Damage of one frame can reach the red-worker in several turns (the host bands it); closer than this it is the same frame. */
export const sameFrameMs = 10;
/** Regions watched at once: enough for several videos and the UI around them, bounded against hostile damage. */
const maxCandidates = 32;
/** In `filter` mode, this share of a region's frames must look like a photo (spice-server's graduality). */
const minGradualShare = 0.2;

/** The `streaming-video` setting's values. */
export type StreamingMode = 'off' | 'filter' | 'all';

interface Candidate {
  box: Box;
  frames: number;
  gradual: number;
  firstMs: number;
  lastMs: number;
}

/** A region redrawn at video rates, and the frame rate it was redrawn at. */
export interface Detected {
  readonly box: Box;
  readonly fps: number;
}

/**
 * Finds regions re-damaged at video rates. A frame is the bounding box of the damage that
 * touches within one turn of the red-worker; a region is a candidate that frames keep landing
 * on (see `matches`), at most 400 ms apart.
 * After 20 such frames (in `filter` mode, 20 % of them photo-like) it is a stream. Unlike
 * spice-server, no size limit: a full-screen 1080p video is a region like any other.
 */
export class Detector {
  private candidates: Candidate[] = [];

  constructor(
    private readonly mode: Exclude<StreamingMode, 'off'>,
    /** Whether the pixels now in `box` look like a photo; asked once per frame in `filter` mode. */
    private readonly photoLike: (box: Box) => boolean,
  ) {}

  /** The frames of one turn; returns the regions that became streams (and forgets them). */
  frames(boxes: readonly Box[], nowMs: number): Detected[] {
    const found: Detected[] = [];
    for (const frame of joinTouching(boxes)) {
      if (boxWidth(frame) < minSide || boxHeight(frame) < minSide) continue;
      const c = this.candidates.find((c) => matches(c.box, frame));
      if (!c) {
        this.add({ box: frame, frames: 1, gradual: this.gradual(frame), firstMs: nowMs, lastMs: nowMs });
        continue;
      }
      if (nowMs - c.lastMs > maxGapMs) Object.assign(c, { box: frame, frames: 0, gradual: 0, firstMs: nowMs });
      // The region grows to hold its frames while they wobble a little, never creeping over the screen.
      const grown = bounding(c.box, frame);
      if (area(grown) * 2 <= area(c.box) * 3) c.box = grown;
      if (nowMs - c.lastMs < sameFrameMs && c.frames > 0) continue;
      c.frames++;
      c.gradual += this.gradual(c.box);
      c.lastMs = nowMs;
      if (c.frames >= minFrames && (this.mode === 'all' || c.gradual >= minGradualShare * c.frames)) {
        const seconds = Math.max(0.001, (nowMs - c.firstMs) / 1000);
        found.push({ box: c.box, fps: Math.min(30, Math.max(1, Math.round((c.frames - 1) / seconds))) });
        this.candidates.splice(this.candidates.indexOf(c), 1);
      }
    }
    return found;
  }

  /** Candidates no frame came to for longer than the gap are forgotten. */
  expire(nowMs: number): void {
    this.candidates = this.candidates.filter((c) => nowMs - c.lastMs <= maxGapMs);
  }

  /** Forgets the candidates overlapping `box` (it is a stream now, or the surface changed). */
  forget(box?: Box): void {
    this.candidates = box ? this.candidates.filter((c) => area(intersect(c.box, box)) === 0) : [];
  }

  get watching(): number {
    return this.candidates.length;
  }

  private gradual(box: Box): number {
    return this.mode === 'filter' && this.photoLike(box) ? 1 : 0;
  }

  private add(c: Candidate): void {
    if (this.candidates.length >= maxCandidates) this.candidates.shift();
    this.candidates.push(c);
  }
}

/**
 * A frame lands on a region when they overlap by at least half of what they cover together:
 * the same box redrawn, give or take a band (spice-server wants the very same box; damage
 * merged by a host wobbles).
 */
export function matches(region: Box, frame: Box): boolean {
  return area(intersect(region, frame)) * 2 >= area(bounding(region, frame));
}

/** Boxes that overlap or touch, joined into their bounding boxes (a frame banded by the host is one frame again). */
export function joinTouching(boxes: readonly Box[]): Box[] {
  const out: Box[] = [];
  for (const b of boxes) {
    let joined = b;
    for (let i = out.length - 1; i >= 0; i--) {
      const o = out[i]!;
      if (o.left <= joined.right && joined.left <= o.right && o.top <= joined.bottom && joined.top <= o.bottom) {
        joined = bounding(o, joined);
        out.splice(i, 1);
        i = out.length;
      }
    }
    out.push(joined);
  }
  return out;
}
