/**
 * The audio latency probe. The test guest's `beep` workload plays 100 ms bursts of 1 kHz every
 * 500 ms with silence between (guest/src/sound.h), its PCM stream never stopping, and prints
 * `GUEST-BEEP n queued FRAMES` once the kernel has taken each burst's first 10 ms (FRAMES: what
 * was written before it and not yet played, the guest's own buffer). The client hears a burst's
 * onset as the first loud packet after a run of quiet ones. Latency = onset heard - line
 * arrived, both on the bench's clock.
 */
import { percentile } from '../stats.js';

/** RMS of S16 samples: a burst is ~8,500 (amplitude 12,000), silence ~0 (Opus leaves a little). */
const loud = 2_000;
const quiet = 300;
/** Quiet packets (10 ms each) before a loud one makes an onset: the 400 ms gap is 40. */
const quietRun = 10;

function rms(pcm: Uint8Array): number {
  const s = new Int16Array(pcm.buffer, pcm.byteOffset, pcm.byteLength >> 1);
  let sum = 0;
  for (const v of s) sum += v * v;
  return s.length ? Math.sqrt(sum / s.length) : 0;
}

/** Finds onsets in the client's packets, in order. */
export class OnsetDetector {
  private quiet = 0;

  /** True when this packet starts a burst. */
  packet(pcm: Uint8Array): boolean {
    const level = rms(pcm);
    const onset = level > loud && this.quiet >= quietRun;
    this.quiet = level < quiet ? this.quiet + 1 : 0;
    return onset;
  }
}

/** At most this long between a burst's line and its onset: less than the 500 ms between bursts, so that an onset is never matched to the next burst's line. */
const maxLatencyMs = 450;

export interface BeepLatency {
  /** Bursts the guest began in the window. */
  readonly announced: number;
  /** Of those, the ones whose onset the client heard. */
  readonly heard: number;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  /** The guest's own buffer ahead of each burst (median, ms at 48 kHz): part of the latency, the same for both servers. */
  readonly guestQueuedMsP50: number | null;
}

/** When each burst was announced and when an onset was heard (ms, one clock). */
export class BeepTimes {
  private readonly announced: Array<{ at: number; queuedMs: number; heardAt: number | null }> = [];

  announce(at: number, queuedFrames: number): void {
    this.announced.push({ at, queuedMs: queuedFrames / 48, heardAt: null });
  }

  /** An onset: it belongs to the latest burst announced before it, if recent and not heard yet. */
  heard(at: number): void {
    for (let i = this.announced.length - 1; i >= 0; i--) {
      const b = this.announced[i]!;
      if (b.at > at) continue;
      if (at - b.at <= maxLatencyMs && b.heardAt === null) b.heardAt = at;
      return;
    }
  }

  /** When the newest burst heard was announced (null: none heard yet). */
  newestHeardAnnouncedAt(): number | null {
    for (let i = this.announced.length - 1; i >= 0; i--) if (this.announced[i]!.heardAt !== null) return this.announced[i]!.at;
    return null;
  }

  /** The bursts announced within [from, to). */
  latency(from: number, to: number): BeepLatency {
    const window = this.announced.filter((b) => b.at >= from && b.at < to);
    const sample = window.filter((b) => b.heardAt !== null).map((b) => b.heardAt! - b.at);
    return {
      announced: window.length,
      heard: sample.length,
      p50Ms: sample.length ? percentile(sample, 50) : null,
      p95Ms: sample.length ? percentile(sample, 95) : null,
      guestQueuedMsP50: window.length
        ? percentile(
            window.map((b) => b.queuedMs),
            50,
          )
        : null,
    };
  }
}
