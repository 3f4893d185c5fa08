import test from 'ava';
import {
  bitsPerPixelCap,
  absurd,
  cannotDecode,
  initialBitRate,
  linkRate,
  RateControl,
  maxFpsOf,
} from '../../../actors/pipeline/red-worker/streams/rate-control.js';
import { maxBitRate } from '../../../codecs/video/rates.js';

/** A report of frames stamped up to `end` (multi-media time; a frame at the rates of a change is stamped 0 below). */
const report = (num_frames: number, num_drops: number, last_frame_delay: number, audio_delay = 0xffffffff, end = 1000) => ({
  start_frame_mm_time: end - 100,
  end_frame_mm_time: end,
  num_frames,
  num_drops,
  last_frame_delay,
  audio_delay,
});

test("initial bit rate as spice-server's: SPICE_BIT_RATE, else the net test (10 Mbit/s without one, 2.5 on a slow link, fast when too fast to tell), x 0.8 x the stream's share", (t) => {
  t.is(initialBitRate(null, 1, undefined), 8e6);
  t.is(initialBitRate({ bitsPerSecond: null, lowBandwidth: true, latencyMs: 40 }, 1, undefined), 2e6);
  t.is(initialBitRate({ bitsPerSecond: null, lowBandwidth: false, latencyMs: 0.1 }, 1, undefined), 0.8 * maxBitRate, 'too fast to tell');
  t.is(
    new RateControl(
      initialBitRate({ bitsPerSecond: null, lowBandwidth: false, latencyMs: 0.1 }, 1, undefined),
      30,
      0,
      bitsPerPixelCap.h264 * 1920 * 1080,
    ).bitRate,
    Math.round(0.1 * 1920 * 1080 * 30),
    'then what a frame is worth bounds it',
  );
  // What the report rules see of the link: a too-fast link has room for any stream.
  t.is(linkRate({ bitsPerSecond: null, lowBandwidth: false, latencyMs: 0.1 }), maxBitRate);
  t.is(linkRate({ bitsPerSecond: 50e6, lowBandwidth: false, latencyMs: 1 }), 50e6);
  t.is(linkRate(null), null);
  t.is(initialBitRate({ bitsPerSecond: 50e6, lowBandwidth: false, latencyMs: 1 }, 0.5, undefined), 20e6);
  t.is(initialBitRate({ bitsPerSecond: 50e6, lowBandwidth: false, latencyMs: 1 }, 1, '4'), 3.2e6);
  t.is(initialBitRate({ bitsPerSecond: 50e6, lowBandwidth: false, latencyMs: 1 }, 1, 'fast'), 40e6, 'a bad SPICE_BIT_RATE is not taken');
  const loopback = { bitsPerSecond: 4.3e9, lowBandwidth: false, latencyMs: 0 };
  t.is(initialBitRate(loopback, 1, undefined), maxBitRate, 'a loopback net test asks no more than an encoder takes');
  t.is(new RateControl(4e9, 30, 0).bitRate, maxBitRate);
});

test('reports: drops and late frames cut the rate at once (halved when many drop), good ones raise it by at most 1 Mbit/s every 2 s', (t) => {
  const r = new RateControl(8e6, 25, 0);
  // Its first frame, a second before the frames reported below (a stream's first second only sets the delay).
  r.stamped(0);
  t.true(r.report(report(25, 1, 40), 100));
  t.is(r.bitRate, 6e6);
  t.is(r.fps, 25);
  r.stamped(0);
  t.true(r.report(report(20, 15, 40), 200));
  t.is(r.bitRate, 3e6);
  t.is(r.fps, 19);
  r.stamped(0);
  t.true(r.report(report(20, 0, -50), 300), 'a late frame is negative');
  t.is(r.bitRate, 2.25e6);
  r.stamped(0);
  t.false(r.report(report(20, 0, 80), 1000), 'too soon after a change');
  t.true(r.report(report(20, 0, 80), 2400));
  t.is(r.bitRate, 2.25e6 + 562_500);
  t.is(r.fps, 21);
  const fast = new RateControl(20e6, 30, 0);
  fast.stamped(0);
  fast.report(report(30, 0, 80), 3000);
  t.is(fast.bitRate, 21e6, 'a step up is at most 1 Mbit/s');
  const floor = new RateControl(200_000, 2, 0);
  t.is(floor.fps, 3, 'at least 3 fps');
  floor.stamped(0);
  floor.report(report(10, 10, 0), 10);
  t.is(floor.bitRate, 128_000, 'at least 128 kbit/s');
});

test('reports of frames sent before the last change change nothing more (the delay still follows them); one of frames after it does', (t) => {
  const r = new RateControl(6e6, 30, 0);
  r.stamped(0);
  // A burst of late frames past the stream's first second, reported three times in a row.
  t.true(r.report(report(3, 3, -135, undefined, 1000), 100));
  t.is(r.bitRate, 3e6);
  t.false(r.report(report(3, 3, -90, undefined, 1050), 160), 'no frame at the new rates yet');
  r.stamped(1100);
  const delay = r.playbackDelayMs(0, 1000);
  t.false(r.report(report(3, 3, -30, undefined, 1090), 220), 'frames stamped before the change');
  t.true(r.playbackDelayMs(0, 1000) > delay, 'the delay followed them');
  t.is(r.bitRate, 3e6);
  t.true(r.report(report(3, 3, -30, undefined, 1130), 280), 'frames at the new rates, still late');
  t.is(r.bitRate, 1.5e6);
});

test("a stream's first second of reports sets its delay only (its key frame and the client's decoder starting), later ones its rates", (t) => {
  const r = new RateControl(6e6, 30, 0);
  r.stamped(5000);
  const delay = r.playbackDelayMs(0, 1000);
  t.false(r.report(report(3, 3, -135, undefined, 5100), 100), 'frames of its first second');
  t.true(r.playbackDelayMs(0, 1000) > delay);
  t.is(r.bitRate, 6e6);
  t.true(r.report(report(3, 3, -135, undefined, 6100), 1200), 'after it');
  t.is(r.bitRate, 3e6);
});

test("a few late frames on a link with room (the net test's) are the client's: the rate stays, the delay grows; many drops still cut it", (t) => {
  type Row = readonly [situation: string, link: number | null, frames: number, drops: number, delay: number, bitRate: number];
  const rows: Row[] = [
    ['late, link unknown', null, 30, 0, -40, 4.5e6],
    ['late, loopback', 4e9, 30, 0, -40, 6e6],
    ['a few drops, loopback', 4e9, 30, 3, 10, 6e6],
    ['a few drops, link 4x the stream', 24e6, 30, 3, 10, 6e6],
    ['a few drops, link under 4x the stream', 20e6, 30, 3, 10, 4.5e6],
    ['many drops, loopback', 4e9, 30, 20, 10, 3e6],
  ];
  for (const [situation, link, frames, drops, delay, bitRate] of rows) {
    const r = new RateControl(6e6, 30, 0);
    r.stamped(0);
    const before = r.playbackDelayMs(0, 1000);
    r.report(report(frames, drops, delay), 100, link);
    t.is(r.bitRate, bitRate, situation);
    if (delay < 0) t.true(r.playbackDelayMs(0, 1000) > before, `${situation}: the delay grew`);
    t.false(r.report(report(30, 0, 80), 1000, link), `${situation}: not raised right after`);
  }
});

test('a frame is worth at most its cap in bits, whatever the link allows: 1080p H.264 at 30 fps stays under 8 Mbit/s', (t) => {
  const capped = new RateControl(100e6, 30, 0, bitsPerPixelCap.h264 * 1920 * 1080);
  t.is(capped.bitRate, Math.round(0.1 * 1920 * 1080 * 30));
  t.true(capped.bitRate <= 8e6);
  capped.stamped(0);
  t.false(capped.report(report(30, 0, 80), 3000), 'good reports do not raise it past the cap');
  t.is(new RateControl(2e6, 30, 0, bitsPerPixelCap.h264 * 1920 * 1080).bitRate, 2e6, 'a slower link stays the bound');
});

test("the frame rate follows the source's, measured each second: down at once, up at once unless the reports cut it, then by their steps", (t) => {
  const rows: Array<{ start: number; cut: boolean; source: number; changed: boolean; fps: number }> = [
    // A detection over a slow start measured 22 of the movie's 30.
    { start: 22, cut: false, source: 30.2, changed: true, fps: 30 },
    { start: 30, cut: false, source: 29.6, changed: false, fps: 30 },
    { start: 30, cut: false, source: 12.4, changed: true, fps: 12 },
    { start: 30, cut: false, source: 60, changed: false, fps: 30 },
    { start: 10, cut: false, source: 0.5, changed: true, fps: 3 },
    // Cut by a report of many drops (30 -> 23): the source's rate caps it, the reports raise it.
    { start: 30, cut: true, source: 30, changed: false, fps: 23 },
    { start: 30, cut: true, source: 15, changed: true, fps: 15 },
  ];
  for (const row of rows) {
    const r = new RateControl(4e6, row.start, 0, 0.1 * 1280 * 720);
    if (row.cut) {
      r.stamped(0);
      r.report(report(20, 15, 40), 100);
    }
    const label = `${row.start} fps${row.cut ? ', cut' : ''}, source ${row.source}`;
    t.is(r.sourceFps(row.source), row.changed, label);
    t.is(r.fps, row.fps, label);
    t.true(r.bitRate <= 0.1 * 1280 * 720 * r.fps, `${label}: a frame is still worth at most its cap`);
  }
  // After a cut, good reports step the rate back up to the source's, not past it.
  const r = new RateControl(4e6, 30, 0);
  r.stamped(0);
  r.report(report(20, 15, 40), 100);
  r.sourceFps(25);
  r.stamped(0);
  r.report(report(20, 0, 80), 2200);
  t.is(r.fps, 25);
});

test('the playback delay starts at two frames and the latency, grows after late frames, and never passes the mm-time delta', (t) => {
  const r = new RateControl(8e6, 25, 0);
  t.is(r.playbackDelayMs(20, 400), 150);
  r.report(report(25, 0, -100), 10);
  t.is(r.playbackDelayMs(20, 400), 300);
  r.stamped(0);
  r.report(report(25, 0, -300), 20);
  t.is(r.playbackDelayMs(20, 400), 400);
});

test("spice-gtk's cannot-decode report and absurd figures are told apart", (t) => {
  t.true(cannotDecode(report(0, 0xffffffff, 0)));
  t.false(cannotDecode(report(0, 0, 0)));
  t.is(absurd(report(25, 0, 10)), null);
  t.regex(absurd(report(5, 6, 0)) ?? '', /num_drops 6 of 5/);
  t.regex(absurd(report(1e6, 0, 0)) ?? '', /num_frames/);
  t.regex(absurd(report(5, 0, -2e9)) ?? '', /last_frame_delay/);
});

test("an MJPEG stream takes at most 25 frames a second (spice-server's MJPEG_MAX_FPS), VP8 and H.264 30, whatever the source draws", (t) => {
  for (const [codec, most] of [
    ['mjpeg', 25],
    ['vp8', 30],
    ['h264', 30],
  ] as const) {
    const rate = new RateControl(5e6, 30, 0, Number.POSITIVE_INFINITY, maxFpsOf[codec]);
    t.is(rate.fps, most, codec);
    rate.sourceFps(60);
    t.is(rate.fps, most, `${codec}, a 60 fps source`);
  }
});
