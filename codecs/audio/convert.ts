import type { PcmFormat } from '../../actors/contracts.js';

/**
 * S16LE interleaved PCM from one format to another: channels mixed down (mean) or copied up,
 * the rate changed by linear interpolation, its phase kept across calls so that a stream cut in
 * packets plays as one. Used only where the two ends' formats differ (Opus is 48 kHz stereo;
 * QEMU's voice may be 44.1 kHz or mono); linear interpolation is enough for speech and tones.
 */
export class PcmConverter {
  /** Position of the next output frame, in input frames from the start of the pending input. */
  private pos = 0;
  /** The last input frame of the previous call (mixed to the output's channels), to interpolate across calls. */
  private last: Float64Array;
  private primed = false;
  private readonly step: number;

  constructor(
    readonly from: PcmFormat,
    readonly to: PcmFormat,
  ) {
    this.step = from.frequency / to.frequency;
    this.last = new Float64Array(to.channels);
  }

  get identity(): boolean {
    return this.from.frequency === this.to.frequency && this.from.channels === this.to.channels;
  }

  convert(pcm: Uint8Array): Uint8Array {
    if (this.identity) return pcm;
    const inCh = this.from.channels;
    const outCh = this.to.channels;
    const view = new DataView(pcm.buffer, pcm.byteOffset, pcm.byteLength);
    const frames = Math.floor(pcm.length / (2 * inCh));
    // Input frame i in the output's channels; frame -1 is the previous call's last.
    const frame = (i: number, c: number): number => {
      if (i < 0) return this.last[c]!;
      if (inCh === outCh) return view.getInt16((i * inCh + c) * 2, true);
      if (outCh > inCh) return view.getInt16(i * inCh * 2, true);
      let sum = 0;
      for (let k = 0; k < inCh; k++) sum += view.getInt16((i * inCh + k) * 2, true);
      return sum / inCh;
    };
    // With no earlier frame, interpolation starts at frame 0.
    const first = this.primed ? -1 : 0;
    const out: number[] = [];
    let pos = this.pos;
    while (frames > 0 && pos + first <= frames - 1) {
      const p = pos + first;
      const i = Math.floor(p);
      const f = p - i;
      for (let c = 0; c < outCh; c++) {
        const a = frame(i, c);
        const b = i + 1 <= frames - 1 ? frame(i + 1, c) : a;
        out.push(Math.round(a + (b - a) * f));
      }
      pos += this.step;
    }
    if (frames > 0) {
      for (let c = 0; c < outCh; c++) this.last[c] = frame(frames - 1, c);
      // Next call's input starts one frame after this one's last, which is its frame -1.
      this.pos = pos + first - frames + 1;
      this.primed = true;
    }
    const bytes = new Uint8Array(out.length * 2);
    const w = new DataView(bytes.buffer);
    out.forEach((v, k) => w.setInt16(k * 2, Math.max(-32768, Math.min(32767, v)), true));
    return bytes;
  }
}
