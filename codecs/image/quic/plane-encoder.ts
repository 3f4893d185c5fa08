import type { QuicBitWriter } from './bit-writer.js';
import { CODES } from './family.js';
import { PlaneWalker } from './plane-walker.js';

/** Turns a channel group of source pixels into codewords and runs. */
export class PlaneEncoder extends PlaneWalker {
  constructor(
    pixels: Uint8Array,
    width: number,
    offsets: readonly number[],
    private readonly writer: QuicBitWriter,
  ) {
    super(pixels, width, offsets);
  }

  protected codeFirst(): void {
    const px = this.pixels;
    for (let c = 0; c < this.channels; c++) {
      const off = this.offsets[c]!;
      const predicted = this.above < 0 ? 0 : px[this.above + off]!;
      this.put(c, 0, px[this.row + off]! - predicted);
    }
  }

  protected codePixel(x: number): void {
    const px = this.pixels;
    const at = this.row + x * 4;
    if (this.above < 0) {
      for (let c = 0; c < this.channels; c++) {
        const off = this.offsets[c]!;
        this.put(c, x, px[at + off]! - px[at - 4 + off]!);
      }
    } else {
      const up = this.above + x * 4;
      for (let c = 0; c < this.channels; c++) {
        const off = this.offsets[c]!;
        this.put(c, x, px[at + off]! - ((px[at - 4 + off]! + px[up + off]!) >> 1));
      }
    }
  }

  protected codeRun(x: number, end: number): number {
    const start = x;
    while (this.sameAsLeft(x) && ++x < end);
    this.melcode.encode(this.writer, x - start);
    return x;
  }

  /** Folds the residual, remembers it as the next context and sends it with its bucket's best code. */
  private put(c: number, x: number, residual: number): void {
    const { fold, code, codeLen } = this.family;
    const at = c * this.span + x + 1;
    const value = fold[residual & 0xff]!;
    this.residuals[at] = value;
    const entry = value * CODES + this.models.bestCode[this.bucketIndex(c, this.residuals[at - 1]!)]!;
    this.writer.put(code[entry]!, codeLen[entry]!);
  }

  private sameAsLeft(x: number): boolean {
    const px = this.pixels;
    const at = this.row + x * 4;
    for (const off of this.offsets) {
      if (px[at + off] !== px[at - 4 + off]) return false;
    }
    return true;
  }
}
