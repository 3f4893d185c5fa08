/**
 * PC XT set-1 scancodes as SPICE carries them: KEY_DOWN/KEY_UP pack a key's bytes into a u32,
 * first byte lowest, stopping at a zero byte (0xE0 0x48 is 0x48E0); KEY_SCANCODE carries a
 * byte sequence. The release of a key sets 0x80 on its last byte. A key is named by its code:
 * the byte without 0x80, with 0xE000 for E0-prefixed keys and 0xE100 for Pause's E1 sequence.
 */

export interface KeyStroke {
  readonly code: number;
  readonly down: boolean;
}

/** The bytes a KEY_DOWN/KEY_UP u32 holds. */
export function unpackKeyCode(packed: number): Uint8Array {
  const bytes: number[] = [];
  for (let v = packed >>> 0; v !== 0 && bytes.length < 4; v >>>= 8) {
    const b = v & 0xff;
    if (b === 0) break;
    bytes.push(b);
  }
  return Uint8Array.from(bytes);
}

/** Keys pressed and released in a byte sequence; an unfinished prefix at the end is ignored. */
export function parseScancodes(bytes: Uint8Array): KeyStroke[] {
  const out: KeyStroke[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0xe0) {
      const next = bytes[i + 1];
      if (next === undefined) break;
      out.push({ code: 0xe000 | (next & 0x7f), down: (next & 0x80) === 0 });
      i++;
    } else if (b === 0xe1) {
      // Pause: E1 1D 45 (press) / E1 9D C5 (release); one key, named by its first byte.
      const next = bytes[i + 1];
      if (next === undefined || bytes[i + 2] === undefined) break;
      out.push({ code: 0xe100 | (next & 0x7f), down: (next & 0x80) === 0 });
      i += 2;
    } else out.push({ code: b & 0x7f, down: (b & 0x80) === 0 });
  }
  return out;
}
