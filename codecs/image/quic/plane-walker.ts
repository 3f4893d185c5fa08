import { Evolution } from './evolution.js';
import { family8, type GolombFamily } from './family.js';
import { Melcode } from './melcode.js';
import { BucketModels } from './model.js';

/** Byte offsets of the coded channels in a B,G,R,X/A pixel, in stream order. */
export const RGB_CHANNELS = [2, 1, 0] as const;
export const ALPHA_CHANNEL = [3] as const;

/**
 * One group of channels coded together (R,G,B share a model schedule and a run coder; alpha
 * has its own), walked over the image exactly as quic.c's quic_tmpl.c does: rows cut into
 * segments where the wait mask changes, model updates at pseudo-random pixels, and runs of
 * pixels equal to their left neighbour where the row above is flat. Encoder and decoder differ
 * only in what they do with one pixel and with one run; both share this walk so that they
 * cannot drift apart.
 *
 * Pixels are 4 bytes in `pixels` (the source image when encoding, the output when decoding).
 * `residuals` keeps, per channel, the last coded residual of every column; its entry 0 is the
 * column before the first (quic.c correlate_row[-1]). Runs do not write it, so a context after
 * a run is the stale residual of an earlier row, as in quic.c.
 */
export abstract class PlaneWalker {
  protected readonly family: GolombFamily = family8;
  protected readonly channels: number;
  protected readonly residuals: Uint8Array;
  /** Row width + 1: one channel's stretch of `residuals`. */
  protected readonly span: number;
  protected readonly models: BucketModels;
  protected readonly evolution = new Evolution();
  protected readonly melcode = new Melcode();
  /** Byte offsets of the current and previous rows in `pixels`; `above` is -1 on the first row. */
  protected row = 0;
  protected above = -1;

  constructor(
    protected readonly pixels: Uint8Array,
    protected readonly width: number,
    protected readonly offsets: readonly number[],
  ) {
    this.channels = offsets.length;
    this.span = width + 1;
    this.residuals = new Uint8Array(this.span * this.channels);
    this.models = new BucketModels(this.channels, this.family);
  }

  /** Codes (or decodes) the row at byte offset `row`; `above` is the previous row's, or -1. */
  walkRow(row: number, above: number): void {
    this.row = row;
    this.above = above;
    for (let c = 0, at = 0; c < this.channels; c++, at += this.span) {
      this.residuals[at] = above < 0 ? 0 : this.residuals[at + 1]!;
    }
    const evolution = this.evolution;
    let start = 0;
    let width = this.width;
    while (evolution.growing && evolution.pixelsLeft <= width) {
      this.segment(start, start + evolution.pixelsLeft);
      width -= evolution.pixelsLeft;
      start += evolution.pixelsLeft;
      evolution.widen();
    }
    if (width > 0) {
      this.segment(start, start + width);
      if (evolution.growing) evolution.pixelsLeft -= width;
    }
  }

  /** Pixel 0 of a row: predicted from the pixel above (0 on the first row). */
  protected abstract codeFirst(): void;
  /** Pixel x >= 1: predicted from its left neighbour, averaged with the pixel above if any. */
  protected abstract codePixel(x: number): void;
  /** A run starting at x, bounded by `end`; returns the first pixel after it. */
  protected abstract codeRun(x: number, end: number): number;

  /** Index of `bucket` for channel `c` given the context (the residual left of the pixel). */
  protected bucketIndex(c: number, context: number): number {
    return c * this.family.buckets + this.family.bucketOf[context]!;
  }

  private segment(x: number, end: number): void {
    const evolution = this.evolution;
    const runs = this.above >= 0;
    let stop: number;
    if (x === 0) {
      this.codeFirst();
      if (evolution.waitCount > 0) {
        evolution.waitCount--;
      } else {
        evolution.waitCount = evolution.nextGap();
        this.learn(0);
      }
      x = 1;
      stop = 1 + evolution.waitCount;
    } else {
      stop = x + evolution.waitCount;
    }
    let runAt = 0;
    for (;;) {
      const limit = stop < end ? stop + 1 : end;
      for (; x < limit; x++) {
        if (runs && x > 2 && x !== runAt && this.runStarts(x)) break;
        this.codePixel(x);
      }
      if (x < limit) {
        runAt = x;
        evolution.waitCount = stop - x;
        x = this.codeRun(x, end);
        if (x >= end) return;
        stop = x + evolution.waitCount;
      } else if (stop < end) {
        this.learn(stop);
        stop = x + evolution.nextGap();
      } else {
        evolution.waitCount = stop - end;
        return;
      }
    }
  }

  /** A run may start at x where the row above repeats and the current row just did. */
  private runStarts(x: number): boolean {
    const px = this.pixels;
    const up = this.above + x * 4;
    const left = this.row + x * 4 - 4;
    for (const off of this.offsets) {
      if (px[up - 4 + off] !== px[up + off]) return false;
    }
    for (const off of this.offsets) {
      if (px[left + off] !== px[left - 4 + off]) return false;
    }
    return true;
  }

  /** Model update with the residuals of pixel x, in the buckets of their left contexts. */
  private learn(x: number): void {
    const trigger = this.evolution.trigger;
    for (let c = 0, at = x; c < this.channels; c++, at += this.span) {
      this.models.update(this.bucketIndex(c, this.residuals[at]!), this.residuals[at + 1]!, trigger);
    }
  }
}
