import test from 'ava';
import { DemoScene, BACKGROUND_TOP_RGB, STYLES, TASKBAR_RGB } from '../../actors/hosts/demo-host/scene.js';
import { coverOf } from '../../actors/hosts/demo-host/chrome.js';
import { MOVER_H, MOVER_W, STOPWATCH_SCALE, TITLE_H, moverAt } from '../../actors/hosts/demo-host/layout.js';
import { boxAt, boxHeight, boxWidth, bounding, type Box } from '../../codecs/box.js';
import { readPpm, writePpm } from '../../codecs/image/ppm.js';
import { packed, rgbAt } from '../helpers/images.js';
import { prng } from '../helpers/prng.js';
import { area, changedOutside, copyOf, sameBytes, target } from './frames.js';

const still = (w: number, h: number, padding = 0) => {
  const scene = new DemoScene(w, h);
  const frame = target(w, h, padding);
  const damage = scene.draw(frame, 0);
  return { scene, frame, damage };
};

/** Frame times as a caller might give them: 60 Hz ticks, stalls, jumps back, negative times. */
function times(seed: number, n: number): number[] {
  const rnd = prng(seed);
  const out = [0];
  for (let i = 1; i < n; i++) {
    const r = rnd();
    const prev = out[i - 1]!;
    out.push(
      r < 0.6
        ? prev + 1000 / 60
        : r < 0.75
          ? prev + rnd() * 5
          : r < 0.9
            ? prev + rnd() * 90_000
            : r < 0.97
              ? prev - rnd() * 3000
              : -rnd() * 500,
    );
  }
  return out;
}

test('the still frame: background, title bars, text and taskbar where they belong; 4th byte 0; row padding untouched', (t) => {
  const { scene, frame, damage } = still(640, 480, 12);
  const L = scene.layout;
  t.deepEqual(damage, [boxAt(0, 0, 640, 480)], 'a first frame is all damage');
  t.is(rgbAt(frame, 0, 0), BACKGROUND_TOP_RGB, 'the gradient starts at its top colour');
  t.not(rgbAt(frame, 0, 400), BACKGROUND_TOP_RGB, 'and changes downwards');
  t.is(rgbAt(frame, 0, 400), rgbAt(frame, 5, 400), 'but not across');
  t.not(rgbAt(frame, 16, 16), rgbAt(frame, 15, 16), 'a dot of the grid');
  t.is(rgbAt(frame, L.about.left + 2, L.about.top + 2), STYLES.about.titleRgb, 'the About title bar');
  t.is(rgbAt(frame, L.video.left + 2, L.video.top + TITLE_H - 1), STYLES.video.titleRgb, 'the Video title bar');
  t.is(rgbAt(frame, 5, 479), TASKBAR_RGB, 'the taskbar');
  // The heading "spice-companion" at scale 2 in the About body: the 's' has its top row at x 2..9 of the glyph.
  const hx = L.about.left + 1 + 16,
    hy = L.about.top + 1 + TITLE_H + 16;
  let heading = 0;
  for (let y = hy; y < hy + 14; y++) for (let x = hx; x < hx + 180; x++) if (rgbAt(frame, x, y) === STYLES.about.titleRgb) heading++;
  t.true(heading > 300 && heading < (180 * 14) / 2, `heading pixels ${heading}`);
  t.is(rgbAt(frame, hx + 2, hy + 4), STYLES.about.titleRgb, "the 's' of the heading");
  t.is(rgbAt(frame, hx, hy), STYLES.about.bodyRgb, 'and the body around it');
  // "00:00.0": the first 0's top row is pixels 1..3 of 5.
  const sw = L.stopwatchText;
  t.not(rgbAt(frame, sw.x + STOPWATCH_SCALE, sw.y), STYLES.stopwatch.bodyRgb, 'a stopwatch digit');
  t.is(rgbAt(frame, sw.x, sw.y), STYLES.stopwatch.bodyRgb, 'its corner is blank');
  for (let y = 0; y < 480; y++) {
    for (let x = 0; x < 640; x++) if (frame.pixels[y * frame.stride + x * 4 + 3] !== 0) return t.fail(`4th byte at ${x},${y}`);
    for (let i = 640 * 4; i < frame.stride; i++)
      if (frame.pixels[y * frame.stride + i] !== 0xa5) return t.fail(`padding written on row ${y}`);
  }
});

test('deterministic: two scenes given the same times draw the same bytes and the same damage', (t) => {
  const a = new DemoScene(801, 599);
  const b = new DemoScene(801, 599);
  const fa = target(801, 599);
  const fb = target(801, 599);
  const differing: number[] = [];
  for (const tMs of times(7, 40)) {
    t.deepEqual(a.draw(fa, tMs), b.draw(fb, tMs));
    if (!sameBytes(fa.pixels, fb.pixels)) differing.push(tMs);
  }
  t.deepEqual(differing, [], 'frames differ at these times (ms)');
});

test('damage covers every changed pixel, and a frame drawn by damage equals one drawn whole', (t) => {
  for (const [w, h, seed] of [
    [640, 480, 1],
    [801, 599, 2],
    [300, 200, 3],
    [97, 61, 4],
  ] as const) {
    const scene = new DemoScene(w, h);
    const frame = target(w, h, 8);
    for (const tMs of times(seed, 30)) {
      const before = copyOf(frame);
      const damage = scene.draw(frame, tMs);
      for (const r of damage) {
        t.true([r.left, r.top, r.right, r.bottom].every(Number.isInteger) && boxWidth(r) > 0 && boxHeight(r) > 0, 'integer, not empty');
        t.true(r.left >= 0 && r.top >= 0 && r.right <= w && r.bottom <= h, `${JSON.stringify(r)} inside ${w}x${h}`);
      }
      const missed = changedOutside(before, frame, damage);
      if (missed.length)
        return t.fail(
          `${w}x${h} at ${tMs} ms: ${missed.length} changed pixels outside ${JSON.stringify(damage)}, e.g. ${JSON.stringify(missed[0])}`,
        );
      const fresh = target(w, h, 8);
      new DemoScene(w, h).draw(fresh, tMs);
      if (!sameBytes(fresh.pixels, frame.pixels)) return t.fail(`${w}x${h} at ${tMs} ms: incremental frame differs from a whole one`);
    }
  }
});

test('each target gets the damage since its own last frame; a new Bitmap32 over the same memory is the same target', (t) => {
  const scene = new DemoScene(320, 240);
  const one = target(320, 240);
  const two = target(320, 240);
  t.is(area(scene.draw(one, 0)), 320 * 240);
  t.is(area(scene.draw(two, 0)), 320 * 240, 'a second target starts with a whole frame');
  for (const [tMs, into] of [
    [100, one],
    [2000, one],
    [2100, two],
    [5000, one],
    [5017, two],
  ] as const) {
    const before = copyOf(into);
    const damage = scene.draw({ ...into }, tMs);
    t.true(area(damage) < 320 * 240, 'not a whole frame');
    t.deepEqual(changedOutside(before, into, damage), []);
  }
  scene.draw(one, 5017);
  t.true(sameBytes(one.pixels, two.pixels), 'both at the same time hold the same frame');
});

test('the same time again damages nothing; a 60 Hz tick damages about the video region, its rectangle kept whole', (t) => {
  const scene = new DemoScene(1920, 1080);
  const frame = target(1920, 1080);
  scene.draw(frame, 0);
  t.deepEqual(scene.draw(frame, 0), []);
  const plasma = scene.layout.plasma;
  for (let i = 1; i <= 30; i++) {
    const damage = scene.draw(frame, (i * 1000) / 60);
    t.true(
      damage.some((r) => r.left === plasma.left && r.top === plasma.top && r.right === plasma.right && r.bottom === plasma.bottom),
      `frame ${i}: the video region as one rectangle in ${JSON.stringify(damage)}`,
    );
    // The plasma, the moving window's old and new place (220x110 + shadow, a few pixels apart), a clock digit.
    t.true(area(damage) < boxWidth(plasma) * boxHeight(plasma) + 2 * 224 * 114 + 2000, `frame ${i}: ${area(damage)} pixels`);
    t.true(damage.length <= 4, `frame ${i}: ${damage.length} rectangles`);
  }
});

test('the clock and the stopwatch damage only the digits that change', (t) => {
  const scene = new DemoScene(1920, 1080);
  const frame = target(1920, 1080);
  const { stopwatchText: sw, clockText: clock, plasma } = scene.layout;
  const cell = (at: { x: number; y: number }, i: number, scale: number) => boxAt(at.x + i * 6 * scale, at.y, 6 * scale, 7 * scale);
  const sorted = (boxes: readonly Box[]) => [...boxes].sort((a, b) => a.left - b.left || a.top - b.top);
  const mover = (tMs: number) => {
    const { x, y } = moverAt(scene.layout, tMs);
    return coverOf(boxAt(x, y, MOVER_W, MOVER_H));
  };
  const moved = (t0: number, t1: number) => bounding(mover(t0), mover(t1));
  scene.draw(frame, 1000);
  t.deepEqual(
    sorted(scene.draw(frame, 1100)),
    sorted([cell(sw, 6, STOPWATCH_SCALE), moved(1000, 1100), plasma]),
    'the tenths digit, where the moving window was and is (one rectangle: they overlap), the video',
  );
  scene.draw(frame, 1999);
  const second = scene.draw(frame, 2000);
  for (const c of [cell(sw, 4, STOPWATCH_SCALE), cell(sw, 6, STOPWATCH_SCALE), cell(clock, 7, 1)]) {
    t.true(
      second.some((r) => JSON.stringify(r) === JSON.stringify(c)),
      `${JSON.stringify(c)} in ${JSON.stringify(second)}`,
    );
  }
});

test('1920x1080, 640x480, odd and tiny sizes draw; the whole frame stays inside the target', (t) => {
  for (const [w, h] of [
    [1920, 1080],
    [640, 480],
    [801, 599],
    [33, 17],
    [1, 1],
  ] as const) {
    const { frame, damage } = still(w, h, 4);
    t.deepEqual(damage, [boxAt(0, 0, w, h)]);
    t.is(rgbAt(frame, 0, 0), h > 28 ? BACKGROUND_TOP_RGB : rgbAt(frame, 0, 0));
    for (let y = 0; y < h; y++)
      for (let i = w * 4; i < frame.stride; i++)
        if (frame.pixels[y * frame.stride + i] !== 0xa5) return t.fail(`${w}x${h}: padding written`);
  }
});

test('resize: the next frame is whole, at the new size, the same as a fresh scene of that size', (t) => {
  const scene = new DemoScene(640, 480);
  scene.draw(target(640, 480), 0);
  scene.resize(801, 599);
  t.deepEqual([scene.width, scene.height], [801, 599]);
  t.throws(() => scene.draw(target(640, 480), 10), { instanceOf: RangeError }, 'a target of the old size');
  const frame = target(801, 599);
  t.deepEqual(scene.draw(frame, 2500), [boxAt(0, 0, 801, 599)]);
  const fresh = target(801, 599);
  new DemoScene(801, 599).draw(fresh, 2500);
  t.true(sameBytes(frame.pixels, fresh.pixels));
  scene.resize(801, 599);
  t.deepEqual(scene.draw(frame, 2500), [boxAt(0, 0, 801, 599)], 'any resize forgets what targets hold');
});

test('bad sizes, times and targets are RangeErrors', (t) => {
  t.throws(() => new DemoScene(0, 10), { instanceOf: RangeError });
  t.throws(() => new DemoScene(10.5, 10), { instanceOf: RangeError });
  const scene = new DemoScene(8, 8);
  t.throws(() => scene.draw(target(8, 8), Number.NaN), { instanceOf: RangeError });
  t.throws(() => scene.draw(target(8, 8, 2), 0), { instanceOf: RangeError }, 'a stride that is not whole words');
  t.throws(
    () => scene.draw({ width: 8, height: 8, stride: 32, pixels: new Uint8Array(255) }, 0),
    { instanceOf: RangeError },
    'too few bytes',
  );
  t.throws(
    () => scene.draw({ width: 8, height: 8, stride: 32, pixels: new Uint8Array(260).subarray(2) }, 0),
    { instanceOf: RangeError },
    'unaligned',
  );
});

test('a frame written as PPM reads back as the same pixels', (t) => {
  const { frame } = still(801, 599, 4);
  const r = readPpm(writePpm(frame));
  if (!r.ok) return t.fail(r.error);
  t.deepEqual([r.value.width, r.value.height], [801, 599]);
  t.true(sameBytes(r.value.pixels, packed(frame, 'rgb32')));
});
