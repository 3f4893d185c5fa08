/** Test tones: S16LE interleaved PCM of a sine, and the dominant frequency of PCM by a Goertzel scan. */

export function sine(hz: number, frequency: number, channels: number, frames: number, startFrame = 0, amplitude = 12000): Uint8Array {
  const out = new Int16Array(frames * channels);
  for (let i = 0; i < frames; i++) {
    const v = Math.round(amplitude * Math.sin((2 * Math.PI * hz * (startFrame + i)) / frequency));
    for (let c = 0; c < channels; c++) out[i * channels + c] = v;
  }
  return new Uint8Array(out.buffer);
}

/** The first channel's samples of S16LE interleaved PCM, wherever its bytes sit. */
export function firstChannel(pcm: Uint8Array, channels: number): Float64Array {
  const view = new DataView(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  const n = Math.floor(pcm.length / (2 * channels));
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getInt16(i * channels * 2, true);
  return out;
}

/** Power of `hz` in `x` (Goertzel). */
function power(x: Float64Array, hz: number, frequency: number): number {
  const k = 2 * Math.cos((2 * Math.PI * hz) / frequency);
  let s1 = 0;
  let s2 = 0;
  for (const v of x) {
    const s = v + k * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  return s1 * s1 + s2 * s2 - k * s1 * s2;
}

/** The strongest frequency between `lo` and `hi` Hz, to 0.5 Hz: a 10 Hz scan refined around its peak. */
export function dominantHz(pcm: Uint8Array, channels: number, frequency: number, lo = 50, hi = 5000): number {
  const x = firstChannel(pcm, channels);
  const best = (from: number, to: number, step: number) => {
    let at = from;
    let most = -1;
    for (let hz = from; hz <= to; hz += step) {
      const p = power(x, hz, frequency);
      if (p > most) [most, at] = [p, hz];
    }
    return at;
  };
  const coarse = best(lo, hi, 10);
  return best(Math.max(lo, coarse - 10), coarse + 10, 0.5);
}

/** Root mean square of the first channel: how loud. */
export function rms(pcm: Uint8Array, channels: number): number {
  const x = firstChannel(pcm, channels);
  let sum = 0;
  for (const v of x) sum += v * v;
  return x.length ? Math.sqrt(sum / x.length) : 0;
}
