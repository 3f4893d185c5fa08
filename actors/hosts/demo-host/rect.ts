/** An axis-aligned rectangle of pixels: integers, `width` and `height` > 0 once clipped. */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** The part of `r` inside `bounds`, or undefined when they do not overlap. */
export function intersect(r: Rect, bounds: Rect): Rect | undefined {
  const x0 = Math.max(r.x, bounds.x);
  const y0 = Math.max(r.y, bounds.y);
  const x1 = Math.min(r.x + r.width, bounds.x + bounds.width);
  const y1 = Math.min(r.y + r.height, bounds.y + bounds.height);
  return x1 > x0 && y1 > y0 ? { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } : undefined;
}

/** The smallest rectangle holding both. */
export function bounding(a: Rect, b: Rect): Rect {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, width: Math.max(a.x + a.width, b.x + b.width) - x, height: Math.max(a.y + a.height, b.y + b.height) - y };
}

const area = (r: Rect): number => r.width * r.height;

/**
 * `rects` clipped to `bounds`, then merged pairwise wherever one bounding rectangle costs no
 * more pixels than the two apart (neighbouring glyph cells, a window's old and new place when
 * they overlap much). The lists are short (tens), so the quadratic search does not matter;
 * keeping unrelated rectangles apart keeps a video region's rectangle the same from frame to
 * frame, which is what stream detection looks for.
 */
export function mergeRects(rects: readonly Rect[], bounds: Rect): Rect[] {
  const out: Rect[] = [];
  for (const r of rects) {
    const c = intersect(r, bounds);
    if (c) out.push(c);
  }
  for (let merged = true; merged; ) {
    merged = false;
    for (let i = 0; i < out.length && !merged; i++) {
      for (let j = i + 1; j < out.length; j++) {
        const box = bounding(out[i]!, out[j]!);
        if (area(box) <= area(out[i]!) + area(out[j]!)) {
          out[i] = box;
          out.splice(j, 1);
          merged = true;
          break;
        }
      }
    }
  }
  return out;
}
