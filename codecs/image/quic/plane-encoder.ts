import type { QuicBitWriter } from './bit-writer.js';
import { CODES } from './family.js';
import { CONTEXTS } from './model.js';
import { PlaneWalker, type ChannelGroup } from './plane-walker.js';

/** Turns a channel group of source pixels into codewords and runs. */
export class PlaneEncoder extends PlaneWalker {
  constructor(
    pixels: Uint8Array,
    width: number,
    group: ChannelGroup,
    private readonly writer: QuicBitWriter,
  ) {
    super(pixels, width, group);
  }

  protected codeFirst(): void {
    const px = this.pixels;
    for (let c = 0; c < this.channels; c++) {
      const off = this.offsets[c]!;
      const predicted = this.above < 0 ? 0 : px[this.above + off]!;
      const value = this.family.fold[(px[this.row + off]! - predicted) & 0xff]!;
      const code = this.family.codeword[value * CODES + this.models.codeFor[c * CONTEXTS + this.residuals[c * this.span]!]!]!;
      this.residuals[c * this.span + 1] = value;
      this.writer.put(code >>> 5, code & 31);
    }
  }

  protected codeSpan(x: number, limit: number, runAt: number): number {
    const { pixels: px, offsets, channels, row, above, residuals, span, writer } = this;
    const { fold, codeword } = this.family;
    const codeFor = this.models.codeFor;
    for (; x < limit; x++) {
      const at = row + x * 4;
      let up = at - 4;
      if (above >= 0) {
        if (this.runStarts(x, runAt)) return x;
        up = above + x * 4;
      }
      for (let c = 0, r = x + 1, codes = 0; c < channels; c++, r += span, codes += CONTEXTS) {
        const off = offsets[c]!;
        // On the first row `up` is the left pixel, so the average is the left pixel.
        const predicted = (px[at - 4 + off]! + px[up + off]!) >> 1;
        const value = fold[(px[at + off]! - predicted) & 0xff]!;
        const code = codeword[value * CODES + codeFor[codes + residuals[r - 1]!]!]!;
        residuals[r] = value;
        writer.put(code >>> 5, code & 31);
      }
    }
    return x;
  }

  protected codeRun(x: number, end: number): number {
    const start = x;
    while (this.sameAsLeft(x) && ++x < end);
    this.melcode.encode(this.writer, x - start);
    return x;
  }
}
