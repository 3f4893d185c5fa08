/**
 * Key codes from the inputs channel (PC set-1 scancodes: 0x00xx, 0xE0xx for E0-prefixed keys,
 * 0xE1xx for Pause) to the "qnum" numbers QEMU's Keyboard.Press/Release take: the set-1 code,
 * with 0x80 for an E0 key, as QEMU's own SPICE glue computes them (ui/spice-input.c).
 */

/** Pause's qnum (its E1 1D 45 sequence has no one-byte code). */
const PAUSE = 0xc6;

/** The qnum of a key code, or undefined for one QEMU has no number for. */
export function qnumOf(code: number): number | undefined {
  const prefix = code >>> 8;
  const key = code & 0xff;
  if (key === 0 || key > 0x7f) return undefined;
  switch (prefix) {
    case 0x00:
      return key;
    case 0xe0:
      return 0x80 | key;
    case 0xe1:
      return key === 0x1d ? PAUSE : undefined;
    default:
      return undefined;
  }
}

/** Lock keys by their bit in SPICE's (and QEMU's Keyboard.Modifiers) LED mask. */
export const lockKeys: readonly { readonly bit: number; readonly qnum: number }[] = [
  { bit: 1, qnum: 0x46 }, // Scroll Lock
  { bit: 2, qnum: 0x45 }, // Num Lock
  { bit: 4, qnum: 0x3a }, // Caps Lock
];
