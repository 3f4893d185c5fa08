/**
 * The latency marker the test guest draws with `marker=1` (guest/src/marker.h): a 16x16
 * square 40 px in from the right edge and 8 px down, whose colour encodes a counter n; the
 * guest prints `GUEST-MARK n` on its serial console once the square is in the framebuffer.
 */
import type { Bitmap32 } from '../../codecs/image/bitmap.js';
import type { Box } from '../../codecs/box.js';
import { percentile } from '../stats.js';

const size = 16;
const right = 40;
const top = 8;

/** Where the marker is on a screen `width` wide. */
export const markerBox = (width: number): Box => ({ left: width - right, top, right: width - right + size, bottom: top + size });

const check = (r: number, g: number): number => (r * 31 + g * 17 + 0x5a) & 0xff;

/** The marker's colour for n, as 0xRRGGBB (as the guest computes it). */
export function markerRgb(n: number): number {
  const r = (n >> 8) & 0xff,
    g = n & 0xff;
  return (r << 16) | (g << 8) | check(r, g);
}

/** Pixels left out at each edge of the square when reading a lossy one: codecs blur its border into the picture around. */
const border = 3;
/**
 * How far a lossy frame may move the inner square's pixels from their mean and still be "one
 * colour": chroma is coarse in all three codecs, so saturated blue spreads by ±35 in MJPEG.
 */
const flatTolerance = 48;
/**
 * How far, per channel, the inner square's mean may be from n's colour. Consecutive markers
 * differ by 1 in green and 17 in blue, and markers up to `ahead` apart by at least 15 in one
 * channel: about half of that, and the next nearest `margin` further off, the nearest n is the one drawn.
 */
const colourTolerance = 8;
const margin = 3;
/** How far past the last marker read a lossy reading may be (markers come every 137 ms: 8.8 s). */
const ahead = 64;

/**
 * Reads the marker the client shows, frame after frame. An exact colour is taken as before
 * (lossless images: the check byte rejects the background). A lossy frame (JPEG, VP8, H.264)
 * never keeps the exact colour, so its square is read as the mean of its inside, and taken
 * only when that inside is flat, the mean is within `colourTolerance` of a marker's colour, and
 * that marker is the last one read or up to `ahead` after it: a misread counts as nothing.
 */
export class MarkerReader {
  private last: number | null = null;

  /** The n the marker shows on `screen` (B,G,R,X), or null when it cannot be read for sure. */
  read(screen: Bitmap32): number | null {
    const b = markerBox(screen.width);
    if (b.left < 0 || b.bottom > screen.height) return null;
    const n = exact(screen, b) ?? this.lossy(screen, b);
    if (n !== null && (this.last === null || n >= this.last)) this.last = n;
    return n === this.last ? n : null;
  }

  private lossy(screen: Bitmap32, b: Box): number | null {
    if (this.last === null) return null;
    const mean = flatMean(screen, inner(b));
    if (!mean) return null;
    let best: number | null = null;
    let [bestError, nextError] = [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY];
    for (let n = this.last; n <= this.last + ahead; n++) {
      const error = colourError(mean, markerRgb(n & 0xffff));
      if (error < bestError) [best, bestError, nextError] = [n & 0xffff, error, bestError];
      else nextError = Math.min(nextError, error);
    }
    return bestError <= colourTolerance && nextError >= bestError + margin ? best : null;
  }
}

/** The n of a square of exactly one colour that passes the check, else null. */
function exact(screen: Bitmap32, b: Box): number | null {
  const px = screen.pixels;
  const at = b.top * screen.stride + b.left * 4;
  const [blue, green, red] = [px[at]!, px[at + 1]!, px[at + 2]!];
  if (check(red, green) !== blue) return null;
  for (let y = b.top; y < b.bottom; y++) {
    for (let x = b.left, i = y * screen.stride + x * 4; x < b.right; x++, i += 4) {
      if (px[i] !== blue || px[i + 1] !== green || px[i + 2] !== red) return null;
    }
  }
  return (red << 8) | green;
}

/** The square less the `border` a lossy codec blurs: what a lossy frame is read by. */
const inner = (b: Box): Box => ({ left: b.left + border, top: b.top + border, right: b.right - border, bottom: b.bottom - border });

/** The inside of the marker on a screen `width` wide. */
export const markerInside = (width: number): Box => inner(markerBox(width));

/** How far, in the channel furthest off, a mean [R, G, B] is from a 0xRRGGBB colour. */
export const colourError = (mean: readonly [number, number, number], rgb: number): number =>
  Math.max(Math.abs(mean[0] - ((rgb >> 16) & 0xff)), Math.abs(mean[1] - ((rgb >> 8) & 0xff)), Math.abs(mean[2] - (rgb & 0xff)));

/** The mean [R, G, B] of `box`. */
export function squareMean(screen: Bitmap32, box: Box): [number, number, number] {
  const px = screen.pixels;
  const sum = [0, 0, 0];
  const count = (box.right - box.left) * (box.bottom - box.top);
  for (let y = box.top; y < box.bottom; y++)
    for (let x = box.left, i = y * screen.stride + x * 4; x < box.right; x++, i += 4)
      for (let c = 0; c < 3; c++) sum[c] = sum[c]! + px[i + 2 - c]!;
  return [sum[0]! / count, sum[1]! / count, sum[2]! / count];
}

/** The mean [R, G, B] of `box`, or null when a pixel is further than `flatTolerance` from it (not one colour). */
function flatMean(screen: Bitmap32, box: Box): [number, number, number] | null {
  const px = screen.pixels;
  const mean = squareMean(screen, box);
  for (let y = box.top; y < box.bottom; y++)
    for (let x = box.left, i = y * screen.stride + x * 4; x < box.right; x++, i += 4)
      for (let c = 0; c < 3; c++) if (Math.abs(px[i + 2 - c]! - mean[c]!) > flatTolerance) return null;
  return mean;
}

/** When each marker was announced by the guest and when the client first showed it (ms, one clock). */
export class MarkerTimes {
  readonly announced = new Map<number, number>();
  readonly shown = new Map<number, number>();

  announce(n: number, at: number): void {
    if (!this.announced.has(n)) this.announced.set(n, at);
  }

  show(n: number, at: number): void {
    if (!this.shown.has(n)) this.shown.set(n, at);
  }

  /** When the newest marker the client has shown was announced (null: none shown yet). */
  newestShownAnnouncedAt(): number | null {
    let newest: number | null = null;
    for (const n of this.shown.keys()) {
      const at = this.announced.get(n);
      if (at !== undefined && (newest === null || at > newest)) newest = at;
    }
    return newest;
  }

  /** Latency of the markers announced within [from, to): shown minus announced, and how many were never shown. */
  latency(from: number, to: number): MarkerLatency {
    const sample: number[] = [];
    let missed = 0;
    for (const [n, at] of this.announced) {
      if (at < from || at >= to) continue;
      const shown = this.shown.get(n);
      if (shown === undefined) missed++;
      else sample.push(shown - at);
    }
    return {
      announced: sample.length + missed,
      shown: sample.length,
      p50Ms: sample.length ? percentile(sample, 50) : null,
      p95Ms: sample.length ? percentile(sample, 95) : null,
    };
  }
}

export interface MarkerLatency {
  /** Markers the guest drew in the window. */
  readonly announced: number;
  /** Of those, the ones the client showed (a marker replaced before it was sent is never shown). */
  readonly shown: number;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
}
