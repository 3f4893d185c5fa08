import test from 'ava';
import { MmClock } from '../../client/mm-clock.js';
import { StreamReports } from '../../client/stream-reports.js';

const activate = { stream_id: 2, unique_id: 7, max_window_size: 5, timeout_ms: 1000 };

test('a report when the window is full: frames, drops (frames late on arrival) and the last delay', (t) => {
  const r = new StreamReports();
  r.activate(activate);
  const delays = [40, -5, 30, 20];
  delays.forEach((d, i) => t.is(r.frame(2, 1000 + i * 33, 1000 + i * 33 - d, i * 33), null));
  t.deepEqual(r.frame(2, 1132, 1100, 132), {
    stream_id: 2,
    unique_id: 7,
    start_frame_mm_time: 1000,
    end_frame_mm_time: 1132,
    num_frames: 5,
    num_drops: 1,
    last_frame_delay: 32,
    audio_delay: 0xffffffff,
  });
  t.is(r.frame(2, 1165, 1100, 165), null, 'a new window');
});

test('a report when its time is up, or after three late frames in a row; none for other streams or after the end', (t) => {
  const r = new StreamReports();
  r.activate(activate);
  t.is(r.frame(2, 10, 0, 0), null);
  t.like(r.frame(2, 20, 0, 1000), { num_frames: 2, num_drops: 0 });
  t.is(r.frame(2, 10, 20, 1001), null);
  t.is(r.frame(2, 10, 20, 1002), null);
  t.like(r.frame(2, 10, 20, 1003), { num_frames: 3, num_drops: 3, last_frame_delay: -10 });
  t.is(r.frame(3, 0, 0, 2000), null);
  r.end(2);
  for (let i = 0; i < 10; i++) t.is(r.frame(2, 0, 0, 3000 + i), null);
});

test('the delay survives the u32 clock wrapping', (t) => {
  const r = new StreamReports();
  r.activate({ ...activate, max_window_size: 1 });
  t.like(r.frame(2, 5, 0xfffffff0, 0), { last_frame_delay: 21 });
});

test('the multi-media clock runs on from the last time the server gave', (t) => {
  let now = 100;
  const c = new MmClock(0xfffffffe, () => now);
  now = 105.7;
  t.is(c.now(), 3);
  c.set(500);
  now = 200;
  t.is(c.now(), 594);
});
