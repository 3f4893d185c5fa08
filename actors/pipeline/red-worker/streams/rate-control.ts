import type { VideoCodec } from '../../../../codecs/video/encoder.js';
import { maxBitRate } from '../../../../codecs/video/rates.js';

/**
 * A stream's bit rate and frame rate, driven by the client's STREAM_REPORTs: additive increase,
 * multiplicative decrease (the rules of spice-server's GStreamer encoder, gstreamer-encoder.c).
 */
const minBitRate = 128_000;
const maxStepUp = 1_000_000;
const minFps = 3;
/**
 * The most frames a second a stream takes, by codec: spice-server holds MJPEG streams to 25
 * (mjpeg-encoder.c's MJPEG_MAX_FPS), each frame a whole JPEG (at 1080p 4 ms of a core and 120 KB
 * each); VP8 and H.264 code most frames as changes to the one before, and take 30.
 */
export const maxFpsOf: { readonly [K in VideoCodec]: number } = { mjpeg: 25, vp8: 30, h264: 30 };
/** A good report raises the rate only this long after the last change (the client needs time to show its effect). */
const raiseAfterMs = 2_000;
/** A frame later than this, or behind the audio by more than a quarter, makes a report negative (mjpeg-encoder.c). */
const lateFrameMs = -15;
/** Time the client may take to decode and draw a frame, on top of the link's latency. */
const decodeMarginMs = 50;
/** A link measured at this many times the stream's rate has room: a few late frames are the client's, not the link's. */
const linkRoom = 4;
/** A stream's first frames (its key frame, the client's decoder starting) come late whatever the link: their reports only set the delay. */
const startGraceMs = 1000;

/**
 * Bits a pixel of a frame is worth at most, by codec: what keeps the picture at SSIM >= 0.95 on
 * natural video (bench:video: H.264 0.98 and VP8 0.96 at ~0.13), so that a fast link does not
 * buy bytes the eye does not see. MJPEG is bounded by its top quality step instead.
 */
export const bitsPerPixelCap: { readonly [K in VideoCodec]: number } = { mjpeg: Number.POSITIVE_INFINITY, vp8: 0.15, h264: 0.1 };

/** What the main channel's net test measured, as the red-worker is told it. */
export interface LinkEstimate {
  readonly bitsPerSecond: number | null;
  readonly lowBandwidth: boolean;
  readonly latencyMs: number;
}

/**
 * spice-server's get_initial_bit_rate: `SPICE_BIT_RATE` (Mbit/s) if set, else the net test's
 * bandwidth (10 Mbit/s with no net test, 2.5 on a low-bandwidth link), times 0.8 and the
 * stream's share of all streams' area; at most what an encoder takes (a loopback link measures
 * Gbit/s). A net test whose payload took no longer than an empty ping found a link too fast to
 * tell: spice-server takes 10 Mbit/s then, which held a loopback 1080p MJPEG stream at quality
 * 20 for its first half-minute; here it is fast, bounded by what a frame is worth.
 */
export function initialBitRate(link: LinkEstimate | null, share: number, env = process.env.SPICE_BIT_RATE): number {
  const fromEnv = env !== undefined ? Number(env) * 1e6 : Number.NaN;
  const measured = linkRate(link) ?? (link?.lowBandwidth ? 2.5e6 : 10e6);
  const base = Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : measured;
  return Math.min(maxBitRate, Math.max(minBitRate, Math.round(base * 0.8 * Math.min(1, Math.max(0, share)))));
}

/** The bits a second a net test stands for: its figure, as fast as an encoder takes when it was too fast to tell, null when it tells nothing. */
export function linkRate(link: LinkEstimate | null): number | null {
  if (link === null) return null;
  return link.bitsPerSecond ?? (link.lowBandwidth ? null : maxBitRate);
}

/** A STREAM_REPORT's figures (the ids are checked before). */
export interface Report {
  /** The multi-media times of the window's first and last frames. */
  readonly start_frame_mm_time: number;
  readonly end_frame_mm_time: number;
  readonly num_frames: number;
  readonly num_drops: number;
  readonly last_frame_delay: number;
  readonly audio_delay: number;
}

/** spice-gtk's "I cannot decode this stream": no frames, every one dropped. */
export const cannotDecode = (r: Report): boolean => r.num_frames === 0 && r.num_drops === 0xffffffff;

/** Why a report is not believable, or null. Bounds are generous: a window of reports is a few seconds of frames. */
export function absurd(r: Report): string | null {
  if (r.num_frames > 10_000) return `num_frames ${r.num_frames}`;
  if (r.num_drops > r.num_frames) return `num_drops ${r.num_drops} of ${r.num_frames} frames`;
  if (Math.abs(r.last_frame_delay) > 60_000) return `last_frame_delay ${r.last_frame_delay} ms`;
  return null;
}

export class RateControl {
  private changedMs: number;
  /**
   * Reports of frames stamped before this multi-media time are not acted on (only the delay
   * follows them): the stream's first second, then the frames before the last change. Null until
   * a frame at the current rates is stamped.
   */
  private actFromMm: number | null = null;
  /** Added to the first stamp only. */
  private graceMs = startGraceMs;
  /** The source's frame rate (as detected, then as measured each second): the most frames are worth. */
  private wantedFps: number;
  /** The reports cut the frame rate since the start: it climbs back by steps, not at once. */
  private fpsCut = false;

  constructor(
    public bitRate: number,
    public fps: number,
    nowMs: number,
    /** The most a frame is worth (bits), whatever the link allows. */
    private readonly frameBitsCap = Number.POSITIVE_INFINITY,
    /** The most frames a second (`maxFpsOf`). */
    private readonly maxFps = 30,
  ) {
    this.fps = Math.min(maxFps, Math.max(minFps, fps));
    this.wantedFps = this.fps;
    this.bitRate = Math.max(minBitRate, Math.min(bitRate, this.cap));
    this.changedMs = nowMs;
  }

  private get cap(): number {
    return Math.min(maxBitRate, this.frameBitsCap * this.fps);
  }

  /**
   * Takes a report; true when the rates changed (the encoder is to be told). `linkBitsPerSecond`:
   * what the net test measured, if anything. A few drops or a late frame cut the rate, unless
   * the link has room for several times the stream: then the client was slow to take a frame
   * (its playback delay grows instead), and a lower rate would only blur the picture.
   */
  report(r: Report, nowMs: number, linkBitsPerSecond: number | null = null): boolean {
    this.adjustDelay(r.last_frame_delay);
    // Frames sent before the last change tell nothing of its rates (a start's late burst cut them three times in 120 ms, to 0.7 Mbit/s).
    if (this.actFromMm === null || ((r.end_frame_mm_time - this.actFromMm) | 0) < 0) return false;
    // spice-gtk sends UINT32_MAX as audio delay when there is no audio to sync with.
    const audio = r.audio_delay !== 0xffffffff && r.audio_delay > 0 ? r.audio_delay : Number.POSITIVE_INFINITY;
    const late = r.last_frame_delay < lateFrameMs || r.last_frame_delay > 1.25 * audio;
    if (r.num_drops > 0 || late) {
      // Many drops: the link is far too slow, halve; else reduce by a quarter.
      const heavy = r.num_drops * 2 >= r.num_frames;
      if (!heavy && linkBitsPerSecond !== null && linkBitsPerSecond >= linkRoom * this.bitRate) {
        this.changedMs = nowMs;
        return false;
      }
      this.bitRate = Math.max(minBitRate, Math.round(heavy ? this.bitRate / 2 : (this.bitRate * 3) / 4));
      if (heavy) {
        this.fps = Math.max(minFps, Math.round((this.fps * 3) / 4));
        this.fpsCut = true;
      }
      this.changed(nowMs);
      return true;
    }
    if (nowMs - this.changedMs < raiseAfterMs) return false;
    const was = [this.bitRate, this.fps];
    this.fps = Math.min(this.wantedFps, this.fps + 2);
    this.bitRate = Math.max(this.bitRate, Math.min(this.cap, this.bitRate + Math.min(maxStepUp, Math.round(this.bitRate / 4))));
    if (this.bitRate === was[0] && this.fps === was[1]) return false;
    this.changed(nowMs);
    return true;
  }

  /**
   * The source drew `fps` frames a second lately; true when the rates changed (the encoder is to
   * be told). Frames above it would only repeat pictures: the rate follows it down at once, and
   * up at once too unless the reports cut it (a detection over a slow start measured 22 of a
   * 720p movie's 30 and held the stream there).
   */
  sourceFps(fps: number): boolean {
    this.wantedFps = Math.min(this.maxFps, Math.max(minFps, Math.round(fps)));
    const next = this.fps > this.wantedFps || !this.fpsCut ? this.wantedFps : this.fps;
    if (next === this.fps) return false;
    this.fps = next;
    this.bitRate = Math.max(minBitRate, Math.min(this.bitRate, this.cap));
    return true;
  }

  /** A frame at the current rates went with multi-media time `mmTime`. */
  stamped(mmTime: number): void {
    if (this.actFromMm !== null) return;
    this.actFromMm = (mmTime + this.graceMs) >>> 0;
    this.graceMs = 0;
  }

  private changed(nowMs: number): void {
    this.changedMs = nowMs;
    this.actFromMm = null;
  }

  /**
   * How long the client waits before showing a frame (mm-time stamp minus now): two frames, the
   * link's latency and a margin for decoding at first (mjpeg-encoder.c's estimate); longer after
   * a report of late frames, shorter again while they are on time; at most the mm-time delta
   * (the clients' clock runs that far behind).
   */
  playbackDelayMs(latencyMs: number, deltaMs: number): number {
    this.delayMs ??= 2 * (1000 / this.fps) + latencyMs + decodeMarginMs;
    return Math.min(deltaMs, Math.round(this.delayMs));
  }

  private delayMs: number | null = null;

  /** The client's last frame came `lastFrameDelay` ms before its time (negative: late). */
  private adjustDelay(lastFrameDelay: number): void {
    if (this.delayMs === null) return;
    if (lastFrameDelay < 0) this.delayMs += -lastFrameDelay + decodeMarginMs;
    else if (lastFrameDelay > 2 * decodeMarginMs) this.delayMs = Math.max(1000 / this.fps, this.delayMs - decodeMarginMs / 5);
  }
}
