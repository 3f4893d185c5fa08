/**
 * A rectangle in the protocol's terms: left/top inclusive, right/bottom exclusive. The one
 * rectangle type of the code base: the wire, QXL commands, canvases and hosts all use it.
 */
export interface Box {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

export const boxWidth = (b: Box): number => b.right - b.left;
export const boxHeight = (b: Box): number => b.bottom - b.top;
export const isEmpty = (b: Box): boolean => b.right <= b.left || b.bottom <= b.top;
export const contains = (outer: Box, inner: Box): boolean =>
  inner.left >= outer.left && inner.top >= outer.top && inner.right <= outer.right && inner.bottom <= outer.bottom;
export const intersect = (a: Box, b: Box): Box => ({
  left: Math.max(a.left, b.left),
  top: Math.max(a.top, b.top),
  right: Math.min(a.right, b.right),
  bottom: Math.min(a.bottom, b.bottom),
});
export const intersects = (a: Box, b: Box): boolean => !isEmpty(intersect(a, b));
export const sameBox = (a: Box, b: Box): boolean => a.left === b.left && a.top === b.top && a.right === b.right && a.bottom === b.bottom;
export const area = (b: Box): number => (isEmpty(b) ? 0 : boxWidth(b) * boxHeight(b));
/** A box's place as a Map key (boxes followed by where they are). */
export const boxKey = (b: Box): string => `${b.left},${b.top},${b.right},${b.bottom}`;
/** The box of `width` x `height` pixels whose top-left pixel is x,y. */
export const boxAt = (x: number, y: number, width: number, height: number): Box => ({
  left: x,
  top: y,
  right: x + width,
  bottom: y + height,
});

/** `b` moved by dx, dy. */
export const shifted = (b: Box, dx: number, dy: number): Box => ({
  left: b.left + dx,
  top: b.top + dy,
  right: b.right + dx,
  bottom: b.bottom + dy,
});

/** The smallest box holding both. */
export const bounding = (a: Box, b: Box): Box => ({
  left: Math.min(a.left, b.left),
  top: Math.min(a.top, b.top),
  right: Math.max(a.right, b.right),
  bottom: Math.max(a.bottom, b.bottom),
});

/**
 * `boxes` clipped to `bounds`, then merged pairwise wherever one bounding box costs no more
 * pixels than the two apart (neighbouring glyph cells, a window's old and new place when they
 * overlap much). The lists are short (tens), so the quadratic search does not matter; keeping
 * unrelated boxes apart keeps a video region's box the same from frame to frame, which is what
 * stream detection looks for.
 */
export function mergeBoxes(boxes: readonly Box[], bounds: Box): Box[] {
  const out: Box[] = [];
  for (const b of boxes) {
    const c = intersect(b, bounds);
    if (!isEmpty(c)) out.push(c);
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

/** What of `a` lies outside `b`, as at most four boxes (bands above and below, then the sides). */
export function subtract(a: Box, b: Box): Box[] {
  const i = intersect(a, b);
  if (isEmpty(i)) return isEmpty(a) ? [] : [a];
  const parts: Box[] = [
    { left: a.left, top: a.top, right: a.right, bottom: i.top },
    { left: a.left, top: i.bottom, right: a.right, bottom: a.bottom },
    { left: a.left, top: i.top, right: i.left, bottom: i.bottom },
    { left: i.right, top: i.top, right: a.right, bottom: i.bottom },
  ];
  return parts.filter((p) => !isEmpty(p));
}
