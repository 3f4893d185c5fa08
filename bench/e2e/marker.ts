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

/**
 * The n the marker shows on `screen` (B,G,R,X), or null when the square is not one colour
 * or that colour fails the check (a workload drew over it, or the update is half there).
 */
export function readMarker(screen: Bitmap32): number | null {
  const b = markerBox(screen.width);
  if (b.left < 0 || b.bottom > screen.height) return null;
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
