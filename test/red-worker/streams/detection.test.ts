import test from 'ava';
import { Detector, joinTouching } from '../../../actors/pipeline/red-worker/streams/detector.js';
import { codecsFor } from '../../../actors/pipeline/red-worker/streams/codec-choice.js';
import { parseVideoCodecs } from '../../../codecs/video/codec-list.js';
import { capWords, DisplayCap } from '../../../codecs/protocol/enums.js';

const box = (left: number, top: number, width: number, height: number) => ({ left, top, right: left + width, bottom: top + height });

test('a region redrawn 20 times at 25 fps becomes a stream at its box and rate; a full-screen first frame does not swallow it', (t) => {
  const d = new Detector('all', () => false);
  const video = box(100, 50, 320, 240);
  t.deepEqual(d.frames([box(0, 0, 1024, 768)], 0), []);
  let found: ReturnType<Detector['frames']> = [];
  for (let i = 1; i <= 20 && found.length === 0; i++) found = d.frames([video, box(900, 700, 40, 10)], i * 40);
  t.deepEqual(found, [{ box: video, fps: 25 }]);
});

test('frames banded by the host in one turn are one frame; bands wobbling by a row still land on the region', (t) => {
  t.deepEqual(joinTouching([box(0, 0, 640, 100), box(0, 100, 640, 100), box(0, 200, 640, 160), box(700, 0, 10, 10)]), [
    box(0, 0, 640, 360),
    box(700, 0, 10, 10),
  ]);
  const d = new Detector('all', () => false);
  let found: ReturnType<Detector['frames']> = [];
  for (let i = 0; i < 20; i++) found = d.frames([box(0, i % 2, 640, 360)], i * 33);
  t.is(found.length, 1);
  t.deepEqual(found[0]!.box, box(0, 0, 640, 361));
});

test('no stream: gaps over 400 ms, regions under 96x96, and in filter mode regions that are not photo-like', (t) => {
  const slow = new Detector('all', () => false);
  for (let i = 0; i < 40; i++) t.deepEqual(slow.frames([box(0, 0, 200, 200)], i * 450), []);
  const small = new Detector('all', () => false);
  for (let i = 0; i < 40; i++) t.deepEqual(small.frames([box(0, 0, 95, 400)], i * 40), []);
  const text = new Detector('filter', () => false);
  for (let i = 0; i < 40; i++) t.deepEqual(text.frames([box(0, 0, 400, 400)], i * 40), []);
  const photo = new Detector('filter', () => true);
  let found = 0;
  for (let i = 0; i < 20; i++) found += photo.frames([box(0, 0, 1920, 1080)], i * 33).length;
  t.is(found, 1, 'full-screen 1080p is a region like any other');
});

test("video-codecs takes spice-server's syntax; a client gets what it decodes, its preference first, MJPEG only without MULTI_CODEC", (t) => {
  t.deepEqual(parseVideoCodecs('spice:mjpeg;gstreamer:h264;vp8'), ['mjpeg', 'h264', 'vp8']);
  t.deepEqual(parseVideoCodecs('vp8;;vp8'), ['vp8']);
  t.deepEqual(parseVideoCodecs('vp9'), { error: "unknown codec 'vp9' (known: mjpeg, vp8, h264)" });
  t.deepEqual(parseVideoCodecs('x264:h264'), { error: "unknown encoder 'x264' in 'x264:h264'" });
  t.deepEqual(parseVideoCodecs(';'), { error: 'no codec named' });
  const all = ['mjpeg', 'vp8', 'h264'] as const;
  const gtk = capWords([DisplayCap.multiCodec, DisplayCap.codecMjpeg, DisplayCap.codecVp8, DisplayCap.codecH264]);
  t.deepEqual(codecsFor(all, gtk, []), ['mjpeg', 'vp8', 'h264']);
  t.deepEqual(codecsFor(all, gtk, [3]), ['h264', 'mjpeg', 'vp8']);
  t.deepEqual(codecsFor(all, gtk, [2, 1]), ['vp8', 'mjpeg', 'h264']);
  t.deepEqual(codecsFor(['vp8', 'mjpeg'], capWords([DisplayCap.multiCodec, DisplayCap.codecMjpeg]), [2]), ['mjpeg']);
  t.deepEqual(codecsFor(all, capWords([DisplayCap.codecVp8]), [2]), ['mjpeg'], 'no MULTI_CODEC: MJPEG only');
  t.deepEqual(codecsFor(['vp8'], [], []), []);
});
