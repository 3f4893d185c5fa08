import { Evolution } from './evolution.js';
import { family8, type GolombFamily } from './family.js';
import { Melcode } from './melcode.js';
import { BucketModels } from './model.js';

/** Channels coded together, by byte offset in a B,G,R,X/A pixel, in stream order. */
export interface ChannelGroup {
  readonly offsets: readonly number[];
  /** The group's bytes in a pixel read as one native-endian 32-bit word. */
  readonly mask: number;
}

const wordMask = (bytes: readonly number[]): number => new Uint32Array(Uint8Array.from(bytes).buffer)[0]!;

/** R, G, B share a model schedule and a run coder; alpha has its own (quic.c channels[3]). */
export const RGB: ChannelGroup = { offsets: [2, 1, 0], mask: wordMask([0xff, 0xff, 0xff, 0]) };
export const ALPHA: ChannelGroup = { offsets: [3], mask: wordMask([0, 0, 0, 0xff]) };

/**
 * A channel group walked over the image exactly as quic.c's quic_tmpl.c does: rows cut into
 * segments where the wait mask changes, model updates at pseudo-random pixels, and runs of
 * pixels equal to their left neighbour where the row above is flat. The decoder fills in what
 * to do with a span of pixels and with a run. The encoder (encoder.cc, C++ for speed) walks the
 * same way; the round-trip tests and the streams recorded from quic.c keep the two together.
 *
 * Pixels are 4 bytes in `pixels` (the output), which
 * must start on a 4-byte boundary with rows 4-byte aligned: `words` views the same memory to
 * compare whole pixels. `residuals` keeps, per channel, the last coded residual of every
 * column; its entry 0 is the column before the first (quic.c correlate_row[-1]). Runs do not
 * write it, so a context after a run is the stale residual of an earlier row, as in quic.c.
 */
export abstract class PlaneWalker {
  protected readonly family: GolombFamily = family8;
  protected readonly offsets: readonly number[];
  protected readonly channels: number;
  protected readonly words: Uint32Array;
  protected readonly residuals: Uint8Array;
  /** Row width + 1: one channel's stretch of `residuals`. */
  protected readonly span: number;
  protected readonly models: BucketModels;
  protected readonly evolution = new Evolution();
  protected readonly melcode = new Melcode();
  /** Byte offsets of the current and previous rows in `pixels`; `above` is -1 on the first row. */
  protected row = 0;
  protected above = -1;
  private readonly mask: number;

  constructor(
    protected readonly pixels: Uint8Array,
    protected readonly width: number,
    group: ChannelGroup,
  ) {
    this.offsets = group.offsets;
    this.mask = group.mask;
    this.channels = group.offsets.length;
    this.words = new Uint32Array(pixels.buffer, pixels.byteOffset, pixels.length >>> 2);
    this.span = width + 1;
    this.residuals = new Uint8Array(this.span * this.channels);
    this.models = new BucketModels(this.channels, this.family);
  }

  /** Decodes the row at byte offset `row`; `above` is the previous row's, or -1. */
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
  /**
   * Pixels x .. limit - 1, each predicted from its left neighbour, averaged with the pixel above
   * below the first row. Stops early, returning x, where `runStarts(x, runAt)` holds.
   */
  protected abstract codeSpan(x: number, limit: number, runAt: number): number;
  /** A run starting at x, bounded by `end`; returns the first pixel after it. */
  protected abstract codeRun(x: number, end: number): number;

  /**
   * A run may start at x (below the first row, past x = 2, not where the last run ended) when
   * the row above repeats there and the current row just repeated.
   */
  protected runStarts(x: number, runAt: number): boolean {
    if (x <= 2 || x === runAt || this.above < 0) return false;
    const up = (this.above >>> 2) + x;
    const left = (this.row >>> 2) + x - 1;
    const words = this.words;
    return ((words[up - 1]! ^ words[up]!) & this.mask) === 0 && ((words[left - 1]! ^ words[left]!) & this.mask) === 0;
  }

  private segment(x: number, end: number): void {
    const evolution = this.evolution;
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
      x = this.codeSpan(x, limit, runAt);
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

  /** Model update with the residuals of pixel x, in the buckets of their left contexts. */
  private learn(x: number): void {
    const trigger = this.evolution.trigger;
    for (let c = 0, at = x; c < this.channels; c++, at += this.span) {
      this.models.update(c, this.residuals[at]!, this.residuals[at + 1]!, trigger);
    }
  }
}
