/**
 * SPICE's mouse as QEMU's Mouse interface takes it. Buttons: SPICE numbers them LEFT 1, MIDDLE
 * 2, RIGHT 3, UP 4, DOWN 5, SIDE 6, EXTRA 7; QEMU's InputButton is the same list from 0. A
 * number QEMU 7.2 does not know aborts it, so nothing else ever goes through.
 */

/** QEMU's button for a SPICE button, or undefined. */
export function qemuButton(spiceButton: number): number | undefined {
  return Number.isInteger(spiceButton) && spiceButton >= 1 && spiceButton <= 7 ? spiceButton - 1 : undefined;
}

/**
 * An absolute position QEMU accepts: inside the console (it answers "Invalid mouse position"
 * otherwise), so a client's pointer just off the edge lands on it. Undefined while the size is
 * unknown.
 */
export function clampPosition(x: number, y: number, width: number, height: number): { x: number; y: number } | undefined {
  if (width < 1 || height < 1) return undefined;
  return { x: Math.min(Math.max(0, Math.trunc(x)), width - 1), y: Math.min(Math.max(0, Math.trunc(y)), height - 1) };
}
