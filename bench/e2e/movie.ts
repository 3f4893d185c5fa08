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
 * SSIM at `samples` markers, about every two seconds: the guest is asked to hold after its next
 * marker (no frame after it), the client's pixels are taken as it first shows that marker (when
 * the marker came by itself, drawn over a stream ahead of the stream's frame of that picture, at
 * the stream's next frame: client-probe-worker.ts), the guest's screen is dumped while it holds,
 * and it resumes; so both are the same guest frame. The
 * next sample waits until the client gets stream frames again (a second's worth, or 5 s), so that
 * every sample is of a streamed picture, not of the lossless one a stopped stream leaves.
 */
export async function sampleSsim(guest: Guest, probe: ClientProbe, box: Box, samples: number): Promise<{ ssim: number[]; missed: number }> {
  const scores: number[] = [];
  let missed = 0;
  for (let i = 0; i < samples; i++) {
    const from = guest.mark();
    const n = Number((await guest.waitForLine(/^GUEST-MARK (\d+)$/, { from, timeoutMs: 10_000 }))[1]);
    // The hold lands before the next marker but for a slow serial line: the one after is asked for too.
    const shown = [probe.capture(n + 1, box, 5_000), probe.capture(n + 2, box, 5_000)];
    const at = guest.mark();
    guest.sendSerial('hold');
    const held = Number((await guest.waitForLine(/^GUEST-HELD mark=(\d+) /, { from: at, timeoutMs: 10_000 }))[1]);
    const dump = crop(await guest.screendump(), box);
    const client = held === n + 1 || held === n + 2 ? await shown[held - n - 1]! : null;
    const framesHeld = (await probe.sample()).streamFrames;
    guest.sendSerial('resume');
    if (client) scores.push(ssim(client, dump));
    else missed++;
    const until = Date.now() + 5_000;
    while (Date.now() < until && (await probe.sample()).streamFrames < framesHeld + 25) await new Promise((r) => setTimeout(r, 100));
  }
  return { ssim: scores, missed };
}
