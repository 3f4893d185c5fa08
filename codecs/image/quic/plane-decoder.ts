import type { QuicBitReader } from './bit-reader.js';
import { golombDecode } from './family.js';
import { CONTEXTS } from './model.js';
import { PlaneWalker, type ChannelGroup } from './plane-walker.js';

/**
 * Turns codewords and runs back into a channel group of output pixels. A run longer than its
 * segment sets `corrupt` instead of writing past it; the caller checks after every row.
 */
export class PlaneDecoder extends PlaneWalker {
  corrupt = false;

  constructor(
    pixels: Uint8Array,
    width: number,
    group: ChannelGroup,
    private readonly reader: QuicBitReader,
  ) {
    super(pixels, width, group);
  }

  protected codeFirst(): void {
    const px = this.pixels;
    for (let c = 0; c < this.channels; c++) {
      const off = this.offsets[c]!;
      const predicted = this.above < 0 ? 0 : px[this.above + off]!;
      px[this.row + off] = this.takeFirst(c) + predicted;
    }
  }

  protected codeSpan(x: number, limit: number, runAt: number): number {
    const { pixels: px, offsets, channels, row, above, residuals, span, reader, family } = this;
    const unfold = family.unfold;
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
        const read = golombDecode(family, codeFor[codes + residuals[r - 1]!]!, reader.window);
        reader.skip(read >>> 8);
        const value = read & 0xff;
        residuals[r] = value;
        // On the first row `up` is the left pixel, so the average is the left pixel.
        px[at + off] = unfold[value]! + ((px[at - 4 + off]! + px[up + off]!) >> 1);
      }
    }
    return x;
  }

  protected codeRun(x: number, end: number): number {
    const length = this.melcode.decode(this.reader);
    if (length > end - x) {
      this.corrupt = true;
      return end;
    }
    const px = this.pixels;
    const offsets = this.offsets;
    for (const stop = x + length; x < stop; x++) {
      const at = this.row + x * 4;
      for (let c = 0; c < offsets.length; c++) px[at + offsets[c]!] = px[at - 4 + offsets[c]!]!;
    }
    return x;
  }

  /** Reads residual 0 of channel c with the best code for its context; returns it unfolded. */
  private takeFirst(c: number): number {
    const at = c * this.span + 1;
    const read = golombDecode(this.family, this.models.codeFor[c * CONTEXTS + this.residuals[at - 1]!]!, this.reader.window);
    this.reader.skip(read >>> 8);
    this.residuals[at] = read & 0xff;
    return this.family.unfold[read & 0xff]!;
  }
}
