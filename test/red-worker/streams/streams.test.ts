import test from 'ava';
import { Streams, type StreamsHost } from '../../../actors/pipeline/red-worker/streams/streams.js';
import type { StreamEncoders, StreamId } from '../../../actors/pipeline/red-worker/streams/stream-encoders.js';
import type { Drawing } from '../../../actors/pipeline/red-worker/pipe.js';
import { capWords, DisplayCap } from '../../../codecs/protocol/enums.js';
import { createLogger } from '../../../runtime/log.js';
import type { Box } from '../../../codecs/box.js';
import { eventually } from '../../helpers/eventually.js';

const box = (left: number, top: number, width: number, height: number): Box => ({ left, top, right: left + width, bottom: top + height });
const gtkCaps = capWords([
  DisplayCap.sizedStream,
  DisplayCap.streamReport,
  DisplayCap.multiCodec,
  DisplayCap.codecMjpeg,
  DisplayCap.codecVp8,
]);

/** A red-worker stand-in: what the streams push, in order, and encoders that write the frame's size (or fail when told). */
function setup(caps = gtkCaps) {
  const pushed: Drawing[] = [];
  const logged: string[] = [];
  let drawings = 0;
  let snapshots = 0;
  let views = 0;
  /** When each stream ended (performance.now()): timers may fire late on a loaded machine, the end is timed where it happens. */
  const ended: number[] = [];
  const log = createLogger('info', {}, (line) => {
    const { msg } = JSON.parse(line) as { msg: string };
    logged.push(msg);
    if (msg === 'video stream ended') ended.push(performance.now());
  });
  let failing = false;
  let fits: number | undefined;
  /** Whether the next frame read in place is answered torn, and the red-worker's own writes into the surface. */
  let tearNext = false;
  let ownWrites = 0;
  /** Whether each frame encoded was read in place. */
  const readInPlace: boolean[] = [];
  /** The frame rates the encoders were told, in order. */
  const rates: number[] = [];
  const encoders: StreamEncoders = {
    open: () => {},
    encode: async (_id: StreamId, f, _keyFrame, inPlace = false) => {
      if (failing) throw new Error('encoder broke');
      readInPlace.push(inPlace);
      if (inPlace && tearNext) {
        tearNext = false;
        return { data: new Uint8Array(0), torn: true };
      }
      return { data: new Uint8Array([f.width & 0xff, f.height & 0xff]), ...(fits && { frameRate: fits }) };
    },
    setRate: (_id, _bitRate, frameRate) => void rates.push(frameRate),
    close: () => {},
  };
  const bounds = box(0, 0, 1280, 800);
  const host: StreamsHost = {
    log,
    codecs: ['vp8', 'mjpeg'],
    encoders,
    push: (d) => pushed.push(d),
    pushFrame: (f) => {
      const i = pushed.findIndex((q) => q.kind === 'stream-frame' && q.id === f.id);
      if (i >= 0) pushed[i] = f;
      else pushed.push(f);
    },
    // Its first byte: how many drawings the screen had had when it was taken.
    snapshot: (b) => {
      snapshots++;
      return {
        width: b.right - b.left,
        height: b.bottom - b.top,
        stride: (b.right - b.left) * 4,
        pixels: new Uint8Array([drawings, 0, 0, 0]),
      };
    },
    // The surface in place: its second byte says so.
    view: (b) => ({
      ...(views++, {}),
      width: b.right - b.left,
      height: b.bottom - b.top,
      stride: 5120,
      pixels: new Uint8Array([drawings, 1, 0, 0]),
    }),
    writes: () => ownWrites,
    photoLike: () => true,
    bounds: () => bounds,
    created: () => {},
    playbackLatency: () => {},
  };
  const streams = new Streams('filter', host);
  streams.setClient(caps);
  const damage = streams.damage.bind(streams);
  streams.damage = (...args) => {
    drawings++;
    return damage(...args);
  };
  // Frames 40 ms apart, the last one now (the streams' timers run on performance.now()).
  const play = (region: Box, frames: number, fromMs = performance.now() - (frames - 1) * 40) => {
    for (let i = 0; i < frames; i++) {
      // As the red-worker: the parts the streams leave are drawn, then the turn ends.
      for (const part of streams.damage(region, 'copy', fromMs + i * 40))
        pushed.push({ kind: 'image', box: part, bitmap: host.snapshot(part) });
      streams.endTurn(fromMs + i * 40);
    }
  };
  return {
    streams,
    pushed,
    logged,
    ended,
    rates,
    play,
    fail: () => (failing = true),
    /** The encoder says it holds only this many frames a second at its bit rate (MJPEG at its lowest quality). */
    fit: (fps: number) => (fits = fps),
    tear: () => (tearNext = true),
    write: () => ownWrites++,
    readInPlace,
    kinds: () => pushed.map((d) => d.kind),
    /** Pictures taken of the screen so far (frames and images). */
    snapshots: () => snapshots,
    /** Frames taken in place, without a snapshot. */
    views: () => views,
  };
}

const video = box(600, 0, 640, 360);
/** Longer than a frame waits for the rest of its damage. */
const settled = () => new Promise((r) => setTimeout(r, 30));
const lastOf = (pushed: readonly Drawing[], kind: Drawing['kind']) => [...pushed].reverse().find((d) => d.kind === kind);

test('after 20 frames a stream starts with the first codec the client decodes: create, activate report, then frames in place of images', async (t) => {
  const s = setup();
  s.play(video, 25);
  await settled();
  const create = s.pushed.find((d) => d.kind === 'stream-create');
  t.like(create, { kind: 'stream-create', id: 0, codec: 'vp8', dest: video, clip: null });
  const kinds = s.kinds();
  t.is(kinds.filter((k) => k === 'image').length, 20, 'images until it was a stream');
  t.deepEqual(kinds.slice(20, 22), ['stream-create', 'stream-activate-report']);
  t.is(kinds.filter((k) => k === 'stream-frame').length, 1, 'one frame waits at a time: a newer one takes its place');
  const frame = s.pushed.find((d) => d.kind === 'stream-frame')!;
  t.deepEqual(await s.streams.encode(frame as Extract<Drawing, { kind: 'stream-frame' }>).then((f) => f && [...f.frame]), [
    640 & 0xff,
    360 & 0xff,
  ]);
  s.streams.close();
});

test('damage reaching past a stream grows it (SIZED_STREAM); damage drawn over part of it clips it and goes as an image', async (t) => {
  const s = setup();
  s.play(video, 21);
  await settled();
  s.pushed.length = 0;
  const at = performance.now();
  t.deepEqual(s.streams.damage(box(600, 0, 640, 400), 'copy', at), [], 'a frame of the grown stream');
  s.streams.endTurn(at);
  // Taken once its damage settles: on a loaded machine the timer fires later than `settled` waits.
  await eventually('the grown frame', () => s.pushed.length > 0, 5_000);
  t.like(s.pushed.at(-1), { kind: 'stream-frame', sized: true, box: box(600, 0, 640, 400) });
  // More than twice the stream with it: not a larger stream, something over it.
  const over = box(0, 100, 700, 600);
  t.deepEqual(s.streams.damage(over, 'copy', at + 50), [over]);
  t.like(s.pushed.at(-1), { kind: 'stream-clip', id: 0 });
  const clip = (s.pushed.at(-1) as Extract<Drawing, { kind: 'stream-clip' }>).clip!;
  t.true(
    clip.every((r) => r.left >= 700 || r.bottom <= 100),
    'the covered part is out of the clip',
  );
  t.deepEqual(s.streams.damage(box(610, 110, 10, 10), 'copy', at + 60), [], 'damage where the stream does not show is not a frame');
  await settled();
  t.like(lastOf(s.pushed, 'image'), { box: box(610, 110, 10, 10) }, 'it goes as an image once the damage settles');
  t.deepEqual(s.streams.damage(box(900, 200, 10, 10), 'copy', at + 60), [], 'where it shows, it is the next frame');
  t.true(s.streams.damage(box(900, 200, 10, 10), 'fill', at + 70).length === 1);
  t.deepEqual(s.kinds().slice(-2), ['stream-destroy', 'image'], 'a fill over a stream ends it, its area sent losslessly');
  s.streams.close();
});

/** Waits until a stream has ended (or 5 s). */
async function untilEnded(s: { ended: number[] }): Promise<void> {
  for (let i = 0; i < 100 && s.ended.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
}

test('a stream whose region stops changing ends after four of its frame gaps (at least 300 ms): destroy, then its area losslessly', async (t) => {
  const s = setup();
  const last = performance.now();
  s.play(video, 21, last - 20 * 40);
  await untilEnded(s);
  const after = s.ended[0]! - last;
  t.log(`ended ${Math.round(after)} ms after its last frame`);
  t.true(after >= 300, `ended ${after} ms after its last frame`);
  t.deepEqual(s.kinds().slice(-2), ['stream-destroy', 'image']);
  t.like(s.pushed.at(-1), { kind: 'image', box: video });
  s.streams.close();
});

test.serial('a frame still waiting when the thread stalled past the idle time is taken before the stream ends', async (t) => {
  const s = setup(capWords([DisplayCap.multiCodec, DisplayCap.codecMjpeg]));
  // The source's 21 frames as drawn, 40 ms apart; the thread stalls for 350 ms halfway through
  // taking them in, so that the idle check and the last frame's wait come due together. Serial:
  // other tests' timers would run between them.
  const from = performance.now() - 20 * 40;
  s.play(video, 10, from);
  const stallEnd = performance.now() + 350;
  while (performance.now() < stallEnd);
  s.play(video, 11, from + 400);
  await untilEnded(s);
  t.deepEqual(
    s.kinds().filter((k) => k.startsWith('stream-')),
    ['stream-create', 'stream-frame', 'stream-destroy'],
  );
  s.streams.close();
});

test('a stuttering source is not taken for a stopped one: the end waits for four of its longest recent gaps', async (t) => {
  const s = setup();
  const last = performance.now();
  const start = last - 2000;
  s.play(video, 21, start);
  // Then frames 200 ms apart, the last just now: the stream then waits 800 ms.
  for (const at of [1000, 1200, 1400, 1600, 1800, 2000].map((ms) => start + ms)) {
    s.streams.damage(video, 'copy', at);
    s.streams.endTurn(at);
  }
  await untilEnded(s);
  const after = s.ended[0]! - last;
  t.log(`ended ${Math.round(after)} ms after its last frame`);
  t.true(after >= 800, `ended ${after} ms after its last frame`);
  s.streams.close();
});

test('bad reports are ignored with one line; a cannot-decode report or an encoder error ends the stream, images after', async (t) => {
  const s = setup();
  s.play(video, 21);
  const activate = s.pushed.find((d) => d.kind === 'stream-activate-report') as Extract<Drawing, { kind: 'stream-activate-report' }>;
  const report = {
    stream_id: 0,
    unique_id: activate.uniqueId,
    start_frame_mm_time: 0,
    end_frame_mm_time: 0,
    num_frames: 5,
    num_drops: 0,
    last_frame_delay: 0,
    audio_delay: 0,
  };
  s.streams.report({ ...report, stream_id: 7 }, 1000);
  s.streams.report({ ...report, stream_id: 9 }, 1001);
  s.streams.report({ ...report, num_drops: 6 }, 2500);
  t.deepEqual(s.logged.slice(-2), ['stream report for no current stream: ignored', 'stream report with absurd values: ignored']);
  t.is(s.streams.active, 1);
  s.streams.report({ ...report, unique_id: 0, num_frames: 0, num_drops: 0xffffffff }, 3000);
  t.is(s.streams.active, 0);
  t.deepEqual(s.kinds().slice(-2), ['stream-destroy', 'image']);
  // VP8 failed for this client: the next stream is MJPEG; when its encoder fails too, images only.
  s.play(video, 21);
  await settled();
  t.like(lastOf(s.pushed, 'stream-create'), { codec: 'mjpeg' });
  s.fail();
  const frame = lastOf(s.pushed, 'stream-frame') as Extract<Drawing, { kind: 'stream-frame' }>;
  t.is(await s.streams.encode(frame), null);
  t.is(s.streams.active, 0);
  t.deepEqual(s.kinds().slice(-2), ['stream-destroy', 'image']);
  s.pushed.length = 0;
  s.play(video, 30);
  t.false(s.kinds().includes('stream-create'), 'no codec left: images');
  s.streams.close();
});

test('frames come no faster than the encoder says it can hold: the MJPEG frame-rate hint spaces the captures', async (t) => {
  const frameAfter = async (fits: number | null) => {
    const s = setup();
    if (fits) s.fit(fits);
    s.play(video, 21);
    await settled();
    await s.streams.encode(lastOf(s.pushed, 'stream-frame') as Extract<Drawing, { kind: 'stream-frame' }>);
    s.pushed.length = 0;
    // 60 ms or more after the last capture: past a 25 fps stream's slot, inside a 2 fps one's.
    await settled();
    const at = performance.now();
    s.streams.damage(video, 'copy', at);
    s.streams.endTurn(at);
    await settled();
    const kinds = s.kinds();
    s.streams.close();
    return kinds.includes('stream-frame');
  };
  t.true(await frameAfter(null), 'at the detected 25 fps, the next frame is captured');
  t.false(await frameAfter(2), 'at the 2 fps the encoder holds, it waits for its slot');
});

test('a frame is taken once its damage settles: what the guest draws over a video frame a few ms after it is in that frame', async (t) => {
  const s = setup();
  s.play(video, 21);
  await settled();
  await settled();
  // Only what the next frame brings: meanwhile a late test may have seen the VP8 stream resend its last picture.
  s.pushed.length = 0;
  // The next video frame, then a marker over it (QEMU sends them as two updates, a few ms apart).
  const at = performance.now();
  s.streams.damage(video, 'copy', at);
  s.streams.endTurn(at);
  t.false(s.kinds().includes('stream-frame'), 'not taken at once');
  s.streams.damage(box(1200, 8, 16, 16), 'copy', at + 3);
  s.streams.endTurn(at + 3);
  // Its slot may be a frame away when that resend took the budget.
  await eventually('the frame', () => s.kinds().includes('stream-frame'), 5_000);
  const frames = s.pushed.filter((d) => d.kind === 'stream-frame');
  t.is(frames.length, 1);
  t.is((frames[0] as Extract<Drawing, { kind: 'stream-frame' }>).bitmap.pixels[0], 23, 'taken after both drawings (21 frames, then 2)');
  s.streams.close();
});

test('damage with no pause between frames (a source redrawing every 3 ms) is still taken at the frame rate, not every turn', async (t) => {
  const s = setup();
  s.play(video, 21);
  await settled();
  const before = s.snapshots();
  const start = performance.now();
  while (performance.now() - start < 400) {
    const at = performance.now();
    s.streams.damage(video, 'copy', at);
    s.streams.endTurn(at);
    await new Promise((r) => setTimeout(r, 3));
  }
  const taken = s.snapshots() - before;
  s.streams.close();
  // 25 fps detected: ~10 frames in 400 ms, where every turn was ~100.
  t.true(taken >= 5 && taken <= 16, `${taken} frames in 400 ms`);
});

test("a stream detected over a slow start takes up the source's frame rate once it is measured (each second)", async (t) => {
  const s = setup();
  const now = performance.now();
  const start = now - 2000;
  // 21 frames 80 ms apart: detected at 13 fps.
  for (let i = 0; i < 21; i++) {
    s.streams.damage(video, 'copy', start + i * 80);
    s.streams.endTurn(start + i * 80);
  }
  t.like(lastOf(s.pushed, 'stream-create'), { kind: 'stream-create' });
  // Then the source at 30 fps for the next second.
  for (let at = start + 1600 + 33; at < now + 700; at += 33.3) {
    s.streams.damage(video, 'copy', at);
    s.streams.endTurn(at);
  }
  for (let i = 0; i < 40 && s.rates.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  s.streams.close();
  t.true(s.rates.length > 0, 'the encoder was told a new rate');
  t.true(s.rates[0]! >= 28, `${s.rates[0]} fps`);
});

test("a new PREFERRED_VIDEO_CODEC_TYPE ends a stream of another codec; the region comes back in the client's choice", (t) => {
  const s = setup();
  s.play(video, 21);
  t.like(lastOf(s.pushed, 'stream-create'), { codec: 'vp8' });
  s.streams.setPreferred([2]);
  t.is(s.streams.active, 1, 'already its choice');
  s.streams.setPreferred([1]);
  t.is(s.streams.active, 0);
  t.deepEqual(s.kinds().slice(-2), ['stream-destroy', 'image']);
  s.play(video, 21, 2000);
  t.like(lastOf(s.pushed, 'stream-create'), { codec: 'mjpeg' });
  s.streams.close();
});

test('a client without MULTI_CODEC nor STREAM_REPORT gets MJPEG and no report request; without SIZED_STREAM a grown region is a new stream', (t) => {
  const s = setup([]);
  s.play(video, 21);
  t.like(
    s.pushed.find((d) => d.kind === 'stream-create'),
    { codec: 'mjpeg' },
  );
  t.false(s.kinds().includes('stream-activate-report'));
  s.streams.damage(box(600, 0, 640, 400), 'copy', 900);
  t.deepEqual(
    s.kinds().filter((k) => k.startsWith('stream-c') || k === 'stream-destroy'),
    ['stream-create', 'stream-destroy', 'stream-create'],
  );
  t.like(lastOf(s.pushed, 'stream-create'), { dest: box(600, 0, 640, 400) });
  s.streams.close();
});

test('MJPEG frames are read in place (no snapshot); one a write tore is dropped and the next is a snapshot, then in place again; VP8 frames are snapshots', async (t) => {
  const s = setup(capWords([DisplayCap.multiCodec, DisplayCap.codecMjpeg]));
  const frame = () => lastOf(s.pushed, 'stream-frame') as Extract<Drawing, { kind: 'stream-frame' }>;
  s.play(video, 21);
  t.like(lastOf(s.pushed, 'stream-create'), { codec: 'mjpeg' });
  await settled();
  const taken = s.snapshots();
  t.like(frame(), { inPlace: true });
  t.is(frame().bitmap.pixels[1], 1, 'the surface itself');
  t.truthy(await s.streams.encode(frame()));
  s.play(video, 1);
  await settled();
  t.is(s.snapshots(), taken, 'no copy of the area');
  s.tear();
  t.is(await s.streams.encode(frame()), null, 'torn: dropped');
  t.is(s.streams.tornFrames, 1);
  await settled();
  t.like(frame(), { inPlace: false }, 'the next frame comes by itself, as a snapshot');
  t.is(s.snapshots(), taken + 1);
  t.truthy(await s.streams.encode(frame()));
  s.play(video, 1);
  await settled();
  t.like(frame(), { inPlace: true }, 'then in place again');
  // The red-worker drawing into the surface while the frame is read tears it too.
  const encoding = s.streams.encode(frame());
  s.write();
  t.is(await encoding, null);
  t.is(s.streams.tornFrames, 2);
  t.deepEqual(s.readInPlace, [true, true, false, true]);
  s.streams.close();

  const v = setup();
  v.play(video, 21);
  await settled();
  t.like(lastOf(v.pushed, 'stream-create'), { codec: 'vp8' });
  t.like(lastOf(v.pushed, 'stream-frame'), { inPlace: false });
  v.streams.close();
});

test('a small box drawn over the video right after each frame, at the same place three frames running, is clipped out of the stream and goes losslessly; boxes that move, or follow a frame that did not cover the stream, stay in it', async (t) => {
  const s = setup();
  const marker = box(1000, 8, 16, 16);
  s.play(video, 21);
  t.is(s.streams.active, 1);
  const clips = () => s.pushed.filter((d) => d.kind === 'stream-clip');
  const imagesOf = (b: Box) =>
    s.pushed.filter((d) => d.kind === 'image' && d.box.left === b.left && d.box.top === b.top && d.box.right === b.right).length;
  // As the red-worker: what the streams leave is drawn.
  const draw = (b: Box, ms: number) => {
    for (const part of s.streams.damage(b, 'copy', ms))
      s.pushed.push({ kind: 'image', box: part, bitmap: { width: 1, height: 1, stride: 4, pixels: new Uint8Array(4) } });
  };
  // A box wandering over the frames (a video in pieces), and one after a frame that drew only part of the stream: no clip.
  // Frames as they come (the streams' timers run on performance.now()), each left to settle.
  const frame = async (first: Box, over: Box) => {
    await settled();
    const ms = performance.now();
    draw(first, ms);
    draw(over, ms + 2);
    s.streams.endTurn(ms + 2);
  };
  for (let f = 0; f < 4; f++) await frame(video, box(700 + f * 20, 100, 16, 16));
  for (let f = 0; f < 4; f++) await frame(box(600, 0, 320, 360), marker);
  t.deepEqual(clips(), [], 'not drawn over a covering frame at one place three times running');
  // The marker over each whole frame: the third time it is clipped out, and goes as an image from then on.
  for (let f = 0; f < 5; f++) {
    await frame(video, marker);
    t.is(clips().length, f < 2 ? 0 : 1, `frame ${f}`);
  }
  await settled();
  const clip = clips()[0] as Extract<Drawing, { kind: 'stream-clip' }>;
  const visible = clip.clip!.reduce((n, b) => n + (b.right - b.left) * (b.bottom - b.top), 0);
  t.is(visible, 640 * 360 - 16 * 16, 'the stream shows all but the marker');
  t.false(clip.clip!.some((b) => b.left < marker.right && marker.left < b.right && b.top < marker.bottom && marker.top < b.bottom));
  // Since, losslessly, once the frame's damage settled: the video frame's part under it and the marker, one image a frame.
  t.is(imagesOf(marker), 3);
  t.is(s.streams.active, 1, 'the stream goes on around it');
  s.streams.close();
});

test("a 30 fps source: a VP8 stream takes every frame, an MJPEG one 25 a second (spice-server's MJPEG_MAX_FPS), the frames over the rate dropped", async (t) => {
  // The source's own rate is counted too: on a loaded machine it draws fewer than 30 a second, and
  // a frame's settle timer fired late lets the next replace it.
  for (const [caps, codec, cap, share] of [
    [gtkCaps, 'vp8', 31, 0.8],
    [capWords([DisplayCap.multiCodec, DisplayCap.codecMjpeg]), 'mjpeg', 26, 0.8],
  ] as const) {
    const s = setup(caps);
    s.play(video, 21);
    t.like(lastOf(s.pushed, 'stream-create'), { codec });
    const taken = () => s.snapshots() + s.views();
    const start = performance.now();
    let counted = 0;
    let drawn = 0;
    // 2.2 s at 30 fps, as the source draws them; the last second counted (the first measures the source's rate).
    for (let frame = 1; performance.now() - start < 2200; frame++) {
      const at = performance.now();
      s.streams.damage(video, 'copy', at);
      s.streams.endTurn(at);
      if (counted === 0 && at - start >= 1200) counted = taken();
      if (counted > 0) drawn++;
      await new Promise((r) => setTimeout(r, Math.max(0, start + frame * 33.3 - performance.now())));
    }
    await settled();
    const seconds = (performance.now() - start - 1200) / 1000;
    const second = (taken() - counted) / seconds;
    const source = drawn / seconds;
    s.streams.close();
    t.log(`${codec}: ${second.toFixed(1)} frames a second of the source's ${source.toFixed(1)}`);
    t.true(
      second <= cap && second >= share * Math.min(source, cap - 1),
      `${codec}: ${second.toFixed(1)} frames a second of the source's ${source.toFixed(1)}`,
    );
  }
});
