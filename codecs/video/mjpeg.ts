import type { VideoEncoder, VideoEncoderOptions, VideoFrame } from './encoder.js';
import { encodeJpeg } from './jpeg.js';

/** spice-server's MJPEG quality steps (mjpeg-encoder.c): below 20 a frame is mush, above 80 it only grows. */
export const MJPEG_QUALITIES = [20, 30, 40, 50, 60, 70, 80] as const;

/** What one quality step is assumed to cost in size, until the sizes say otherwise. */
const STEP_GROWTH = 1.25;
/** Moving up a step must leave this margin on the frame rate, so the quality does not flap. */
const UP_MARGIN = 0.85;
/**
 * Quality goes before frame rate down to this many frames a second, as spice-server's MJPEG
 * encoder has it (MJPEG_IMPROVE_QUALITY_FPS_STRICT_TH): below, the quality gives way. At 30 fps
 * a 1080p stream on a 10 Mbit/s link was quality 20, where a 16-px square's colour is lost.
 */
const SMOOTH_FPS = 10;
/** Weight of the newest frame in the size estimate. */
const SMOOTHING = 0.3;

/**
 * MJPEG: every frame a complete JPEG (so keyFrame changes nothing). The rate is held by the
 * JPEG quality and the frame rate: after each frame the size at the current step is smoothed,
 * the sizes of the other steps are projected from it by STEP_GROWTH a step, and the next frame
 * takes the highest step at which the bit rate still carries SMOOTH_FPS frames a second (or the
 * frame rate asked, if lower); `frameRate` says how many frames of that size the bit rate
 * carries, and the caller captures no more.
 */
export class MjpegEncoder implements VideoEncoder {
  readonly codec = 'mjpeg';
  #step = 4; // quality 60 until the first frame's size is known
  #bytes: number | undefined;
  #bitRate: number;
  #frameRate: number;
  #closed = false;

  constructor(options: VideoEncoderOptions) {
    checkRates(options.bitRate, options.frameRate);
    this.#bitRate = options.bitRate;
    this.#frameRate = options.frameRate;
  }

  /** The JPEG quality the next frame gets. */
  get quality(): number {
    return MJPEG_QUALITIES[this.#step]!;
  }

  /** The frame rate the bit rate allows at the current quality: the one asked, or fewer (at least 1). */
  get frameRate(): number {
    if (this.#bytes === undefined) return this.#frameRate;
    return Math.max(1, Math.min(this.#frameRate, Math.floor(this.#bitRate / 8 / this.#bytes)));
  }

  encode(frame: VideoFrame): Uint8Array {
    if (this.#closed) throw new Error('MJPEG encoder closed');
    const jpeg = encodeJpeg(frame, this.quality);
    this.#bytes = this.#bytes === undefined ? jpeg.length : this.#bytes + SMOOTHING * (jpeg.length - this.#bytes);
    this.#step = this.#nextStep(this.#bytes);
    return jpeg;
  }

  setRate(bitRate: number, frameRate: number): void {
    checkRates(bitRate, frameRate);
    this.#bitRate = bitRate;
    this.#frameRate = frameRate;
    if (this.#bytes !== undefined) this.#step = this.#nextStep(this.#bytes);
  }

  close(): void {
    this.#closed = true;
  }

  #nextStep(bytes: number): number {
    const projected = (step: number) => bytes * STEP_GROWTH ** (step - this.#step);
    const fpsAt = (step: number) => this.#bitRate / 8 / projected(step);
    const smooth = Math.min(this.#frameRate, SMOOTH_FPS);
    let step = this.#step;
    while (step > 0 && fpsAt(step) < smooth) step--;
    while (step < MJPEG_QUALITIES.length - 1 && fpsAt(step + 1) * UP_MARGIN >= smooth) step++;
    // A new step starts its own estimate (its size projected from the old one's).
    if (step !== this.#step) this.#bytes = projected(step);
    return step;
  }
}

function checkRates(bitRate: number, frameRate: number): void {
  if (!(bitRate > 0 && frameRate > 0)) throw new RangeError(`MJPEG: bit rate and frame rate must be > 0 (${bitRate}, ${frameRate})`);
}
