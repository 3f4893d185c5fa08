import type { QuicBitReader } from './bit-reader.js';
import { golombDecode } from './family.js';
import { PlaneWalker } from './plane-walker.js';

/**
 * Turns codewords and runs back into a channel group of output pixels. A run longer than its
 * segment sets `corrupt` instead of writing past it; the caller checks after every row.
 */
export class PlaneDecoder extends PlaneWalker {
  corrupt = false;

  constructor(
    pixels: Uint8Array,
    width: number,
    offsets: readonly number[],
    private readonly reader: QuicBitReader,
  ) {
    super(pixels, width, offsets);
  }

  protected codeFirst(): void {
    const px = this.pixels;
    for (let c = 0; c < this.channels; c++) {
      const off = this.offsets[c]!;
      const predicted = this.above < 0 ? 0 : px[this.above + off]!;
      px[this.row + off] = this.take(c, 0) + predicted;
    }
  }

  protected codePixel(x: number): void {
    const px = this.pixels;
    const at = this.row + x * 4;
    if (this.above < 0) {
      for (let c = 0; c < this.channels; c++) {
        const off = this.offsets[c]!;
        px[at + off] = this.take(c, x) + px[at - 4 + off]!;
      }
    } else {
      const up = this.above + x * 4;
      for (let c = 0; c < this.channels; c++) {
        const off = this.offsets[c]!;
        px[at + off] = this.take(c, x) + ((px[at - 4 + off]! + px[up + off]!) >> 1);
      }
    }
  }

  protected codeRun(x: number, end: number): number {
    const length = this.melcode.decode(this.reader);
    if (length > end - x) {
      this.corrupt = true;
      return end;
    }
    const px = this.pixels;
    for (const stop = x + length; x < stop; x++) {
      const at = this.row + x * 4;
      for (const off of this.offsets) px[at + off] = px[at - 4 + off]!;
    }
    return x;
  }

  /** Reads one residual with its bucket's best code, remembers it and returns it unfolded. */
  private take(c: number, x: number): number {
    const at = c * this.span + x + 1;
    const l = this.models.bestCode[this.bucketIndex(c, this.residuals[at - 1]!)]!;
    const read = golombDecode(this.family, l, this.reader.window);
    const value = read & 0xff;
    this.residuals[at] = value;
    this.reader.skip(read >>> 8);
    return this.family.unfold[value]!;
  }
}
