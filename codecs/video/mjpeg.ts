import type { VideoEncoder, VideoEncoderOptions, VideoFrame } from './encoder.js';
import { encodeJpeg } from './jpeg.js';

/** spice-server's MJPEG quality steps (mjpeg-encoder.c): below 20 a frame is mush, above 80 it only grows. */
export const MJPEG_QUALITIES = [20, 30, 40, 50, 60, 70, 80] as const;

/** What one quality step is assumed to cost in size, until the sizes say otherwise. */
const STEP_GROWTH = 1.25;
/** Moving up a step must leave this margin under the budget, so the quality does not flap. */
const UP_MARGIN = 0.85;
/** Weight of the newest frame in the size estimate. */
const SMOOTHING = 0.3;

/**
 * MJPEG: every frame a complete JPEG (so keyFrame changes nothing). The rate is held by the
 * JPEG quality: after each frame the size at the current step is smoothed, the sizes of the
 * other steps are projected from it by STEP_GROWTH a step, and the next frame takes the highest
 * step whose projection fits the frame budget (bit rate / frame rate). Frame rate is the
 * caller's (it chooses which frames to encode); `frameRate` says what the bit rate allows.
 */
export class MjpegEncoder implements VideoEncoder {
  readonly codec = 'mjpeg';
  #step = 4; // quality 60 until the first frame's size is known
  #bytes: number | undefined;
  #budget: number;
  #bitRate: number;
  #frameRate: number;
  #closed = false;

  constructor(options: VideoEncoderOptions) {
    this.#budget = budget(options.bitRate, options.frameRate);
    this.#bitRate = options.bitRate;
    this.#frameRate = options.frameRate;
  }

  /** The JPEG quality the next frame gets. */
  get quality(): number {
    return MJPEG_QUALITIES[this.#step]!;
  }

  /**
   * The frame rate the bit rate allows: the one asked, unless frames at the lowest quality step
   * are still over the budget; then fewer (at least 1), as spice-server's MJPEG encoder lowers it.
   */
  get frameRate(): number {
    if (this.#step > 0 || this.#bytes === undefined) return this.#frameRate;
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
    this.#budget = budget(bitRate, frameRate);
    this.#bitRate = bitRate;
    this.#frameRate = frameRate;
    if (this.#bytes !== undefined) this.#step = this.#nextStep(this.#bytes);
  }

  close(): void {
    this.#closed = true;
  }

  #nextStep(bytes: number): number {
    const projected = (step: number) => bytes * STEP_GROWTH ** (step - this.#step);
    let step = this.#step;
    while (step > 0 && projected(step) > this.#budget) step--;
    while (step < MJPEG_QUALITIES.length - 1 && projected(step + 1) <= this.#budget * UP_MARGIN) step++;
    // A new step starts its own estimate (its size projected from the old one's).
    if (step !== this.#step) this.#bytes = projected(step);
    return step;
  }
}

function budget(bitRate: number, frameRate: number): number {
  if (!(bitRate > 0 && frameRate > 0)) throw new RangeError(`MJPEG: bit rate and frame rate must be > 0 (${bitRate}, ${frameRate})`);
  return bitRate / 8 / frameRate;
}
