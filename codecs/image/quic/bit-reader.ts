const littleEndian = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * The QUIC bit source, mirroring quic.c's decoder I/O: `window` always holds the next 32 bits
 * of the stream, and a word is fetched only when the window must move past it. Reading past
 * the last word yields zeros and sets `overrun` (spice-gtk fails the image there), so decoding
 * a truncated stream stays bounded and is reported by the caller.
 */
export class QuicBitReader {
  /** The next 32 bits of the stream, MSB first, as an unsigned number. */
  window: number;
  overrun = false;
  private readonly words: Uint32Array;
  private index = 0;
  /** The last word fetched, and how many of its low bits are not yet in the window. */
  private next: number;
  private pending = 0;

  /** Trailing bytes after the last whole word are ignored, as spice-gtk does (len >> 2). */
  constructor(bytes: Uint8Array) {
    this.words = wordsOf(bytes);
    this.next = this.fetch();
    this.window = this.next;
  }

  /** Drops `len` bits (1..31) from the window. */
  skip(len: number): void {
    let window = this.window << len;
    const pending = this.pending - len;
    if (pending >= 0) {
      this.pending = pending;
      window |= this.next >>> pending;
    } else {
      const shortfall = -pending;
      window |= this.next << shortfall;
      const next = this.fetch();
      this.next = next;
      this.pending = 32 - shortfall;
      window |= next >>> this.pending;
    }
    this.window = window >>> 0;
  }

  /** Returns the window and drops it, 16 bits at a time as quic.c does. */
  take32(): number {
    const value = this.window;
    this.skip(16);
    this.skip(16);
    return value;
  }

  private fetch(): number {
    if (this.index < this.words.length) return this.words[this.index++]!;
    this.overrun = true;
    return 0;
  }
}

function wordsOf(bytes: Uint8Array): Uint32Array {
  const count = bytes.length >>> 2;
  if (littleEndian && bytes.byteOffset % 4 === 0) return new Uint32Array(bytes.buffer, bytes.byteOffset, count);
  const words = new Uint32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, count * 4);
  for (let i = 0; i < count; i++) words[i] = view.getUint32(i * 4, true);
  return words;
}
