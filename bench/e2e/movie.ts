/**
 * The movie rows' own figures: frames the client showed per second (stream frames decoded and
 * drawn), the frames the guest drew meanwhile, and the SSIM of the client's picture against the
 * guest's (QMP screendump) at markers.
 */
import type { Box } from '../../codecs/box.js';
import { crop } from '../../codecs/image/crop.js';
import { ssim } from '../../codecs/image/ssim.js';
import type { Guest } from '../../guest/guest.js';
import type { ClientProbe } from './client-probe.js';

export interface MovieFigures {
  /** Stream frames the client decoded and drew per second in the window. */
  readonly framesShownPerS: number;
  /** Frames the guest drew per second in the window (its `stats` counter). */
  readonly guestFps: number;
  /** SSIM of the client's movie region against the guest's at each sampled marker. */
  readonly ssim: readonly number[];
  /** Markers sampled that the client never showed (skipped by a frame drop): no SSIM for them. */
  readonly ssimMissed: number;
}

/** The guest's frame counter now. */
export async function guestFrame(guest: Guest): Promise<number> {
  const from = guest.mark();
  guest.sendSerial('stats');
  const m = await guest.waitForLine(/GUEST-STATS \S+ frame=(\d+)/, { from, timeoutMs: 10_000 });
  return Number(m[1]);
}

/**
 * SSIM at `samples` markers, one about every second: at a marker the guest announces, the client
 * is asked for its pixels when it shows the next one, and the guest's screen is dumped as that
 * next one is announced (the guest may have drawn a frame more by then: both servers alike).
 */
export async function sampleSsim(guest: Guest, probe: ClientProbe, box: Box, samples: number): Promise<{ ssim: number[]; missed: number }> {
  const scores: number[] = [];
  let missed = 0;
  for (let i = 0; i < samples; i++) {
    const from = guest.mark();
    const n = Number((await guest.waitForLine(/^GUEST-MARK (\d+)$/, { from, timeoutMs: 10_000 }))[1]) + 1;
    const shown = probe.capture(n, box, 5_000);
    const at = guest.mark();
    await guest.waitForLine(new RegExp(`^GUEST-MARK ${n}$`), { from: at, timeoutMs: 10_000 });
    const dump = crop(await guest.screendump(), box);
    const client = await shown;
    if (client) scores.push(ssim(client, dump));
    else missed++;
    await new Promise((r) => setTimeout(r, 700));
  }
  return { ssim: scores, missed };
}
