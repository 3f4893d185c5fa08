import { OpusEncoder, opusChannels, opusFrameBytes, opusFrequency } from '../../../codecs/audio/opus.js';
import { PcmConverter } from '../../../codecs/audio/convert.js';
import type { PcmFormat } from '../../contracts.js';

const opusFormat: PcmFormat = { frequency: opusFrequency, channels: opusChannels };

/** How a client gets the audio: raw PCM in the host's format, or Opus (48 kHz stereo, converted to it when the host's differs). */
export type PlaybackMode = 'raw' | 'opus';

/**
 * One client's playback while the host plays: the host's PCM cut into 10 ms frames (Opus's
 * 480 samples, or a hundredth of the host's rate raw), encoded for the client's mode, and a
 * bound of `maxFrames` frames waiting for the socket: when a new one comes to a full queue, the
 * oldest goes, as spice-server keeps three. A slow client hears gaps, never seconds-old audio.
 */
export class PlaybackStream {
  /** The PCM of the frame being filled. */
  private partial: Uint8Array;
  private filled = 0;
  private readonly frameBytes: number;
  private readonly encoder: OpusEncoder | null;
  private readonly converter: PcmConverter | null;
  private readonly waiting: Array<{ readonly time: number; readonly data: Uint8Array }> = [];
  dropped = 0;

  constructor(
    readonly format: PcmFormat,
    readonly mode: PlaybackMode,
    private readonly maxFrames = 3,
  ) {
    if (mode === 'opus') {
      this.encoder = new OpusEncoder();
      const c = new PcmConverter(format, opusFormat);
      this.converter = c.identity ? null : c;
      this.frameBytes = opusFrameBytes;
    } else {
      this.encoder = null;
      this.converter = null;
      this.frameBytes = Math.max(1, Math.round(format.frequency / 100)) * format.channels * 2;
    }
    this.partial = new Uint8Array(this.frameBytes);
  }

  /** Takes the host's PCM; whole frames join the queue, stamped `time` (the multi-media time they completed at). */
  push(pcm: Uint8Array, time: number): void {
    let data = this.converter ? this.converter.convert(pcm) : pcm;
    while (data.length > 0) {
      const n = Math.min(data.length, this.frameBytes - this.filled);
      this.partial.set(data.subarray(0, n), this.filled);
      this.filled += n;
      data = data.subarray(n);
      if (this.filled < this.frameBytes) break;
      const frame = this.partial;
      this.partial = new Uint8Array(this.frameBytes);
      this.filled = 0;
      this.waiting.push({ time, data: this.encoder ? this.encoder.encode(frame) : frame });
      if (this.waiting.length > this.maxFrames) {
        this.waiting.shift();
        this.dropped++;
      }
    }
  }

  /** The oldest frame waiting, taken. */
  take(): { readonly time: number; readonly data: Uint8Array } | undefined {
    return this.waiting.shift();
  }

  get pending(): number {
    return this.waiting.length;
  }
}
