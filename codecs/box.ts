/** A rectangle in the protocol's terms: left/top inclusive, right/bottom exclusive. */
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
export const area = (b: Box): number => (isEmpty(b) ? 0 : boxWidth(b) * boxHeight(b));
