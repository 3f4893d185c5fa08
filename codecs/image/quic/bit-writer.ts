const littleEndian = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * The QUIC bit sink: codes are packed MSB-first into 32-bit words, and each word is stored
 * little-endian (quic.c encode() and write_io_word()).
 */
export class QuicBitWriter {
  private words: Uint32Array;
  private count = 0;
  /** The word being filled, and how many of its low bits are still free. */
  private word = 0;
  private free = 32;

  constructor(capacityWords: number) {
    this.words = new Uint32Array(Math.max(16, capacityWords));
  }

  /** Appends the `len` low bits of `bits` (1 <= len <= 31, no bits set above them). */
  put(bits: number, len: number): void {
    const free = this.free - len;
    if (free >= 0) {
      this.free = free;
      this.word |= bits << free;
      return;
    }
    const spill = -free;
    this.emit(this.word | (bits >>> spill));
    this.free = 32 - spill;
    this.word = bits << this.free;
  }

  put32(value: number): void {
    this.put(value >>> 16, 16);
    this.put(value & 0xffff, 16);
  }

  /** `n` one bits (MELCODE hits), any count. */
  putOnes(n: number): void {
    for (let full = n >>> 5; full > 0; full--) this.put32(0xffffffff);
    const rest = n & 31;
    if (rest) this.put(0xffffffff >>> (32 - rest), rest);
  }

  /**
   * Ends the stream as quic.c's flush() does: the last word padded with zeros, then one zero
   * word (the decoder reads one word ahead). Returns the stream bytes, a multiple of 4 long.
   */
  finish(): Uint8Array {
    if (this.free < 32) this.emit(this.word);
    this.emit(0);
    const bytes = new Uint8Array(this.count * 4);
    if (littleEndian) {
      bytes.set(new Uint8Array(this.words.buffer, 0, bytes.length));
    } else {
      const view = new DataView(bytes.buffer);
      for (let i = 0; i < this.count; i++) view.setUint32(i * 4, this.words[i]!, true);
    }
    return bytes;
  }

  private emit(word: number): void {
    if (this.count === this.words.length) {
      const grown = new Uint32Array(this.words.length * 2);
      grown.set(this.words);
      this.words = grown;
    }
    this.words[this.count++] = word;
  }
}
